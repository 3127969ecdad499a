import { expect } from "chai";
import { createTelegramAlertHandler } from "../functions/telegram-alert/telegramAlert";
import { emailInputTransformer } from "../components/alerting/alertPolicies";
import { findingEvents } from "./support/alertFixtures";

describe("review: telegram-alert API root default", () => {
    let saved: NodeJS.ProcessEnv;
    const realFetch = globalThis.fetch;
    beforeEach(() => { saved = { ...process.env }; });
    afterEach(() => {
        process.env = saved;
        globalThis.fetch = realFetch;
    });

    it("calls https://api.telegram.org when TELEGRAM_API_ROOT is unset", async () => {
        const token = "123456789:AAF-default-root-test-token-0000";
        Object.assign(process.env, { TELEGRAM_CHAT_ID: "-1001", TELEGRAM_BOT_TOKEN: token, STAGE: "t" });
        delete process.env.TELEGRAM_API_ROOT;
        delete process.env.DEDUP_TABLE;
        const urls: string[] = [];
        // The client reads globalThis.fetch when the first invocation builds it; answer like Telegram does.
        globalThis.fetch = (async (url: string | URL) => {
            urls.push(String(url));
            return new Response(JSON.stringify({ ok: true, result: { message_id: 7, date: 0, chat: { id: -1001, type: "supergroup" } } }),
                { status: 200, headers: { "content-type": "application/json" } });
        }) as typeof fetch;
        const quiet = console.log;
        console.log = () => undefined;
        let r: any;
        try {
            r = await createTelegramAlertHandler()(findingEvents()[0]);
        } finally {
            console.log = quiet;
        }
        expect(r).to.include({ status: "sent", messageId: 7 });
        expect(urls).to.deep.equal([`https://api.telegram.org/bot${token}/sendMessage`]);
    });
});

describe("review: e-mail input transformer obeys EventBridge's InputTransformer rules", () => {
    for (const partition of ["aws", "aws-cn", "aws-us-gov"]) {
        it(`defines every placeholder it uses with a dot-notation path, within the API limits (${partition})`, () => {
            const t = emailInputTransformer("prod", "Critical", partition);
            const used = [...t.inputTemplate.matchAll(/<([^<>]+)>/g)].map(m => m[1]);
            expect(new Set(used)).to.deep.equal(new Set(Object.keys(t.inputPaths)));
            for (const [key, path] of Object.entries(t.inputPaths)) {
                expect(key).to.match(/^[A-Za-z0-9_-]+$/);
                expect(key.toLowerCase().startsWith("aws")).to.equal(false);
                expect(path).to.match(/^\$(\.[A-Za-z0-9_-]+)+$/);
                expect(path.length).to.be.at.most(256);
            }
            expect(t.inputTemplate.length).to.be.within(1, 8192);
            // A quoted JSON string: SNS gets one sentence, and every path the template names exists in real events.
            expect(typeof JSON.parse(t.inputTemplate)).to.equal("string");
            for (const e of findingEvents()) {
                for (const path of Object.values(t.inputPaths)) {
                    const value = path.slice(2).split(".").reduce((o: any, k) => o?.[k], e);
                    expect(value, `${path} in ${e.detail.id}`).to.not.equal(undefined);
                }
            }
        });
    }
});
