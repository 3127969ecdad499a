import { expect } from "chai";
import { createTelegramAlertHandler, DEADLINE_MARGIN_MS, LogFn, makeTelegramAlertHandler, snsDedupKey, TelegramAlertDeps } from "../functions/telegram-alert/telegramAlert";
import { buildSiemMessage, dashboardsLink, parseSnsEvent, siemSeverity } from "../functions/telegram-alert/siemMessage";
import { DedupRecord, DedupStore, dedupKey } from "../functions/telegram-alert/dedup";
import { TELEGRAM_TEXT_LIMIT } from "../functions/telegram-alert/findingMessage";
import { TelegramPeer } from "./support/telegramPeer";
import { telegramHarness } from "./support/telegramHarness";
import { findingEvents, HOSTILE_DESCRIPTION, rejectionOf } from "./support/alertFixtures";
import { DASHBOARDS, principalAnomaly, rootLoginFinding, SIEM_TOPIC, snsLambdaEvent, vpcRejectBurst } from "./support/siemSnsEvents";
import { loadSerializedHandler } from "./support/serialized";

const tg = require("node-telegram-bot-api");

class MemoryStore implements DedupStore {
    records = new Map<string, DedupRecord>();
    async get(key: string) { return this.records.get(key); }
    async record(rec: DedupRecord) { this.records.set(rec.key, rec); }
}

describe("telegram-alert: SIEM detections delivered by SNS", () => {
    describe("reading the SNS event", () => {
        it("takes the one SNS record's notification, account and region from the topic ARN", () => {
            const e = snsLambdaEvent({ ...rootLoginFinding(), messageId: "m-1", timestamp: "2025-06-01T10:00:00.000Z" });
            const p: any = parseSnsEvent(e);
            expect(p.kind).to.equal("siem");
            expect(p.notification).to.deep.include({ messageId: "m-1", topicArn: SIEM_TOPIC, subject: "guardpost SIEM: guardpost cloudtrail", account: "222222222222", region: "eu-west-1" });
        });

        it("leaves GuardDuty events and health checks to the finding path, skips other record types, refuses batches", () => {
            expect(parseSnsEvent(findingEvents()[0]).kind).to.equal("none");
            expect(parseSnsEvent({ healthCheck: true }).kind).to.equal("none");
            const confirmation = snsLambdaEvent(rootLoginFinding());
            confirmation.Records[0].Sns.Type = "SubscriptionConfirmation";
            expect(parseSnsEvent(confirmation)).to.deep.equal({ kind: "skip", reason: "SNS message type is \"SubscriptionConfirmation\"" });
            expect(parseSnsEvent({ Records: [{ eventSource: "aws:sqs", body: "{}" }] }).kind).to.equal("skip");
            const two = snsLambdaEvent(rootLoginFinding());
            two.Records.push(two.Records[0]);
            expect(parseSnsEvent(two)).to.deep.equal({ kind: "unexpected", reason: "expected one SNS record per invocation, got 2" });
            expect((parseSnsEvent(snsLambdaEvent({ subject: null, message: "  " })) as any).kind).to.equal("skip");
        });

        it("reads the severity: the highest rule level of a finding, else the trigger's 1–5", () => {
            expect(siemSeverity(rootLoginFinding().message)).to.deep.equal({ label: "Medium (rule level)", emoji: "🟡" });
            expect(siemSeverity("Rule: A (level medium)\nRule: B (level critical)\nSeverity: 1")!.label).to.equal("Critical (rule level)");
            expect(siemSeverity(vpcRejectBurst().message)).to.deep.equal({ label: "2 of 5 (high)", emoji: "🟠" });
            expect(siemSeverity("Monitor x just entered alert status.")).to.equal(undefined);
        });

        it("links Dashboards only with a well-formed https URL", () => {
            expect(dashboardsLink(rootLoginFinding().message)).to.equal(DASHBOARDS);
            expect(dashboardsLink("see https://d.example/_dashboards/app/alerting now")).to.equal("https://d.example/_dashboards/app/alerting");
            expect(dashboardsLink("Dashboards: http://d.example/")).to.equal(undefined);
            expect(dashboardsLink("Dashboards: javascript:alert(1)")).to.equal(undefined);
            expect(dashboardsLink("no link")).to.equal(undefined);
        });

        it("renders within Telegram's limit, header first, whatever the text holds", () => {
            const n: any = (parseSnsEvent(snsLambdaEvent({ subject: "s", message: `Severity: 3\n${"🛡".repeat(5_000)}` })) as any).notification;
            const m = buildSiemMessage(n, { stage: "prod" }, tg);
            expect(m.truncated).to.equal(true);
            expect(m.text.length).to.be.at.most(TELEGRAM_TEXT_LIMIT);
            expect(m.text.startsWith("🟡 s\n\nStage: prod\nSource: OpenSearch SIEM\nSeverity: 3 of 5 (medium)\n")).to.equal(true);
            expect(m.replyMarkup).to.equal(undefined);
        });
    });

    describe("against the loopback Bot API", function () {
        const h = telegramHarness("prod");
        let peer: TelegramPeer;
        before(() => { peer = h.peer; });
        const { logs, log, api, handler } = h;

        it("sends a Security Analytics finding once: which detection, severity, the text and a Dashboards button", async () => {
            const r = await handler()(snsLambdaEvent({ ...rootLoginFinding(), messageId: "m-root", timestamp: "2025-06-01T10:00:00.000Z" }), { getRemainingTimeInMillis: () => 30_000 });
            expect(r).to.deep.include({ status: "sent", notificationId: "m-root", truncated: false, fallback: false });
            expect(peer.messages).to.have.length(1);
            const m = peer.messages[0];
            expect(m.parse_mode).to.equal(undefined);
            expect(m.text.split("\n")).to.include.members([
                "🟡 guardpost SIEM: guardpost cloudtrail", "Stage: prod", "Source: OpenSearch SIEM", "Severity: Medium (rule level)",
                "Account: 222222222222", "Region: eu-west-1", "Time: 2025-06-01 10:00:00 UTC",
                "Rule: AWS Root Credentials (level medium)", "Document: cloudtrail-2025-06 3c5a1f1e-0b7d-4d2a-9a57-6f4c1d9b2e11",
            ]);
            expect(m.entities.find((e) => e.type === "bold")).to.deep.include({ offset: 3, length: "guardpost SIEM: guardpost cloudtrail".length });
            expect(m.reply_markup.inline_keyboard[0][0]).to.deep.equal({ text: "Open OpenSearch Dashboards", url: DASHBOARDS });
            expect(logs.find((l) => l.msg === "SIEM alert sent")!.fields).to.include({ notificationId: "m-root", topic: "guardpost-siem-detections" });
        });

        it("sends the VPC reject burst and the principal anomaly with what they found", async () => {
            await handler()(snsLambdaEvent(vpcRejectBurst("198.51.100.23")));
            await handler()(snsLambdaEvent(principalAnomaly("arn:aws:iam::222222222222:role/payments-ci")));
            expect(peer.messages.map((m) => m.text.split("\n")[0])).to.deep.equal([
                "🟠 guardpost SIEM: guardpost vpcflow reject burst", "🟠 guardpost SIEM: guardpost cloudtrail principal anomaly"]);
            expect(peer.messages[0].text).to.contain("Source address: 198.51.100.23");
            expect(peer.messages[1].text).to.contain("Principal: arn:aws:iam::222222222222:role/payments-ci");
        });

        it("sends any other OpenSearch notification too, with a null subject, and hostile text verbatim", async () => {
            expect((await handler()(snsLambdaEvent({ subject: null, message: `Monitor x just entered alert status.\n${HOSTILE_DESCRIPTION}` }))).status).to.equal("sent");
            expect(peer.messages[0].text.startsWith("🛡️ OpenSearch notification\n")).to.equal(true);
            expect(peer.messages[0].text).to.contain(HOSTILE_DESCRIPTION);
            expect(peer.messages[0].reply_markup).to.equal(undefined);
        });

        it("truncates a 10 000-character message so Telegram accepts it", async () => {
            const r = await handler()(snsLambdaEvent({ subject: "guardpost SIEM: big", message: `${rootLoginFinding().message}\n${"x".repeat(10_000)}` }));
            expect(r).to.include({ status: "sent", truncated: true });
            expect(peer.messages[0].text.length).to.be.at.most(4096);
            expect(peer.messages[0].text.endsWith("… [truncated]")).to.equal(true);
        });

        it("falls back to plain text with the Dashboards link inline when Telegram rejects the formatted message", async () => {
            peer.script({ kind: "400", description: "Bad Request: can't parse entities: Unsupported start tag" });
            expect(await handler()(snsLambdaEvent(rootLoginFinding()))).to.include({ status: "sent", fallback: true });
            expect(peer.messages[0].entities).to.deep.equal([]);
            expect(peer.messages[0].text.startsWith(`${DASHBOARDS}\n\n`)).to.equal(true);
        });

        it("throws when Telegram keeps failing, so Lambda retries and then parks the event in the failure queue", async () => {
            peer.script({ kind: "500" }, { kind: "500" }, { kind: "500" });
            expect((await rejectionOf(handler()(snsLambdaEvent(rootLoginFinding())))).errorCode).to.equal(500);
            expect(peer.messages).to.have.length(0);
        });

        it("gives up before the Lambda deadline with a clear error", async () => {
            peer.script({ kind: "hang" }, { kind: "hang" }, { kind: "hang" });
            const started = Date.now();
            const err = await rejectionOf(handler({ client: api({ timeoutMs: 10_000 }) })(snsLambdaEvent(rootLoginFinding()), { getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 300 }));
            expect(err.message).to.match(/Lambda deadline/);
            expect(Date.now() - started).to.be.below(2_000);
        });

        it("throws on a misconfigured function and on a batch of records, sending nothing", async () => {
            expect((await rejectionOf(handler({ configProblems: ["TELEGRAM_CHAT_ID is not set"] })(snsLambdaEvent(rootLoginFinding())))).message).to.match(/misconfigured/);
            const two = snsLambdaEvent(rootLoginFinding());
            two.Records.push(two.Records[0]);
            expect((await rejectionOf(handler()(two))).message).to.match(/expected one SNS record per invocation, got 2/);
            expect(peer.requests).to.have.length(0);
        });

        it("with the dedup table, a second delivery of one SNS message is suppressed; the GuardDuty keys are untouched", async () => {
            const store = new MemoryStore();
            const h = handler({ dedup: { store, quietMs: 3_600_000 }, now: () => 1_700_000_000_000 });
            const once = snsLambdaEvent({ ...rootLoginFinding(), messageId: "m-dup" });
            expect((await h(once)).status).to.equal("sent");
            expect(await h(once)).to.deep.equal({ status: "suppressed", reason: "duplicate-delivery", notificationId: "m-dup" });
            expect((await h(snsLambdaEvent({ ...rootLoginFinding(), messageId: "m-other" }))).status).to.equal("sent");
            expect(peer.messages).to.have.length(2);
            expect([...store.records.keys()]).to.deep.equal([snsDedupKey({ topicArn: SIEM_TOPIC, messageId: "m-dup" }), snsDedupKey({ topicArn: SIEM_TOPIC, messageId: "m-other" })]);
            // A finding's key has another shape: the GuardDuty path decides as before.
            expect(dedupKey(findingEvents()[0].detail)).to.not.match(/^sns\//);
            expect((await h(findingEvents()[0])).status).to.equal("sent");
        });

        it("records nothing when the send failed, so Lambda's retry still sends it", async () => {
            const store = new MemoryStore();
            const h = handler({ dedup: { store, quietMs: 0 } });
            const e = snsLambdaEvent({ ...rootLoginFinding(), messageId: "m-retry" });
            peer.script({ kind: "500" }, { kind: "500" }, { kind: "500" });
            await rejectionOf(h(e));
            expect(store.records.size).to.equal(0);
            expect((await h(e)).status).to.equal("sent");
        });

        it("runs the exact serialized factory text against the peer", async () => {
            const saved = { ...process.env };
            try {
                Object.assign(process.env, { TELEGRAM_CHAT_ID: peer.chatId, STAGE: "prod", TELEGRAM_API_ROOT: peer.apiRoot, TELEGRAM_BOT_TOKEN: peer.token, AWS_REGION: "eu-west-1" });
                delete process.env.DEDUP_TABLE;
                const { handler: serialized } = await loadSerializedHandler("telegram-alert-siem", createTelegramAlertHandler);
                const r: any = await serialized(snsLambdaEvent({ ...rootLoginFinding(), messageId: "m-serialized" }), { getRemainingTimeInMillis: () => 30_000 });
                expect(r).to.deep.include({ status: "sent", notificationId: "m-serialized" });
                expect(peer.messages).to.have.length(1);
                expect(peer.messages[0].text).to.contain("Rule: AWS Root Credentials (level medium)");
                expect(peer.messages[0].reply_markup.inline_keyboard[0][0].url).to.equal(DASHBOARDS);
            } finally {
                process.env = saved;
            }
        });
    });
});
