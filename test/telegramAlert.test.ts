import { expect } from "chai";
import {
    AlertResult, AWS_CLIENT_LIMITS, DEADLINE_MARGIN_MS, LogFn, makeTelegramAlertHandler, redact,
    TELEGRAM_CLIENT_OPTIONS, TELEGRAM_LAMBDA_TIMEOUT_SECONDS, TelegramAlertDeps, worstCaseAwsMs, worstCaseClientMs,
} from "../functions/telegram-alert/telegramAlert";
import { DedupRecord, DedupStore } from "../functions/telegram-alert/dedup";
import { guardDutyFindingUrl } from "../functions/telegram-alert/consoleLink";
import { TelegramPeer } from "./support/telegramPeer";
import { telegramHarness } from "./support/telegramHarness";
import { findingEvents, HOSTILE_DESCRIPTION, otherGuardDutyEvents, rejectionOf, withDetail } from "./support/alertFixtures";

const tg = require("node-telegram-bot-api");

class MemoryStore implements DedupStore {
    records = new Map<string, DedupRecord>();
    failGet = false;
    failRecord = false;
    async get(key: string) {
        if (this.failGet) throw new Error("dynamodb unavailable");
        return this.records.get(key);
    }
    async record(rec: DedupRecord) {
        if (this.failRecord) throw new Error("dynamodb unavailable");
        this.records.set(rec.key, rec);
    }
}

describe("telegram-alert handler against the loopback Bot API", function () {
    const h = telegramHarness("test");
    let peer: TelegramPeer;
    before(() => { peer = h.peer; });
    const { logs, log, api, handler } = h;

    it("delivers every non-archived fixture finding once, with its content and console button", async () => {
        const h = handler();
        const events = findingEvents();
        const results: AlertResult[] = [];
        for (const e of events) results.push(await h(e));
        const live = events.filter((e) => e.detail.service.archived !== true);
        expect(results.filter((r) => r.status === "sent")).to.have.length(live.length);
        expect(results.filter((r) => r.status === "skipped")).to.have.length(events.length - live.length);
        expect(peer.messages).to.have.length(live.length);
        live.forEach((e, i) => {
            const m = peer.messages[i];
            expect(m.chat_id).to.equal(peer.chatId);
            expect(m.contentType).to.equal("application/x-www-form-urlencoded");
            expect(m.parse_mode).to.equal(undefined);
            expect(m.text).to.contain(e.detail.title);
            expect(m.text).to.contain(e.detail.type);
            expect(m.text).to.contain(e.detail.description.trim());
            expect(m.text).to.contain("Stage: test");
            expect(m.link_preview_options).to.deep.equal({ is_disabled: true });
            expect(m.reply_markup.inline_keyboard[0][0].url).to.equal(guardDutyFindingUrl("aws", e.detail.region, e.detail.id));
        });
        expect(peer.messages[0].reply_markup.inline_keyboard[0][0]).to.deep.equal({
            text: "Open in GuardDuty console",
            url: "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current&fId=715d72f526cf539b4e6e67c77bd8b594",
        });
        expect(logs.filter((l) => l.msg === "skipped event")).to.have.length(events.length - live.length);
    });

    it("skips GuardDuty events that are not findings without calling Telegram", async () => {
        const h = handler();
        for (const e of otherGuardDutyEvents()) expect((await h(e)).status).to.equal("skipped");
        expect(peer.requests).to.have.length(0);
        expect(logs.map((l) => l.msg)).to.deep.equal(["skipped event", "skipped event"]);
    });

    it("answers {healthCheck: true} without sending or even building a client", async () => {
        let built = 0;
        const h = handler({ getApi: async () => { built++; return api(); } });
        expect(await h({ healthCheck: true })).to.deep.equal({ status: "healthy", problems: [] });
        expect(built).to.equal(0);
        expect(peer.requests).to.have.length(0);
    });

    it("sends hostile descriptions verbatim and the peer accepts the entities", async () => {
        const e = withDetail(findingEvents()[0], (d) => { d.description = HOSTILE_DESCRIPTION; d.title = "a_b *c* [d](e) `f`"; });
        expect((await handler()(e)).status).to.equal("sent");
        expect(peer.messages[0].text).to.contain(HOSTILE_DESCRIPTION);
        expect(peer.messages[0].text).to.contain("a_b *c* [d](e) `f`");
    });

    it("truncates a 10 000-character description so Telegram accepts it", async () => {
        const e = withDetail(findingEvents()[0], (d) => { d.description = "🛡".repeat(10_000); });
        const r = await handler()(e);
        expect(r).to.include({ status: "sent", truncated: true });
        expect(peer.messages[0].text.length).to.be.at.most(4096);
    });

    it("honours a 429 retry_after below the cap, then delivers", async () => {
        peer.script({ kind: "429", retryAfter: 1 });
        const started = Date.now();
        expect((await handler()(findingEvents()[0])).status).to.equal("sent");
        expect(Date.now() - started).to.be.at.least(950);
        expect(peer.requests.map((r) => r.status)).to.deep.equal([429, 200]);
        expect(peer.messages).to.have.length(1);
    });

    it("throws at once on a 429 whose retry_after exceeds the cap, so Lambda retries later", async () => {
        peer.script({ kind: "429", retryAfter: 30 });
        const started = Date.now();
        const err = await rejectionOf(handler()(findingEvents()[0]));
        expect(err).to.be.instanceOf(tg.TelegramApiError);
        expect(err.errorCode).to.equal(429);
        expect(err.retryAfter).to.equal(30);
        expect(Date.now() - started).to.be.below(1_000);
        expect(peer.requests).to.have.length(1);
        expect(logs.some((l) => l.level === "error" && l.fields?.retryAfter === 30)).to.equal(true);
    });

    it("retries a 500 and delivers on the next attempt", async () => {
        peer.script({ kind: "500" });
        expect((await handler()(findingEvents()[0])).status).to.equal("sent");
        expect(peer.requests.map((r) => r.status)).to.deep.equal([500, 200]);
    });

    it("throws after the client's retries when Telegram keeps failing with 500", async () => {
        peer.script({ kind: "500" }, { kind: "500" }, { kind: "500" });
        const err = await rejectionOf(handler()(findingEvents()[0]));
        expect(err.errorCode).to.equal(500);
        expect(peer.requests).to.have.length(3);
        expect(peer.messages).to.have.length(0);
    });

    it("times out a hanging Telegram and throws a TimeoutError after the retries", async () => {
        peer.script({ kind: "hang" }, { kind: "hang" });
        const started = Date.now();
        const err = await rejectionOf(handler({ client: api({ timeoutMs: 200, maxRetries: 1 }) })(findingEvents()[0]));
        expect(err).to.be.instanceOf(tg.TimeoutError);
        expect(Date.now() - started).to.be.within(390, 3_000);
        expect(peer.requests.map((r) => r.status)).to.deep.equal(["hung", "hung"]);
    });

    it("gives up before the Lambda deadline with a clear error", async () => {
        peer.script({ kind: "hang" }, { kind: "hang" }, { kind: "hang" });
        const h = handler({ client: api({ timeoutMs: 10_000 }) });
        const started = Date.now();
        const err = await rejectionOf(h(findingEvents()[0], { getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 300 }));
        expect(err.message).to.match(/Lambda deadline/);
        expect(Date.now() - started).to.be.below(2_000);
    });

    it("falls back to plain text with the link inline when Telegram rejects the formatted message", async () => {
        peer.script({ kind: "400", description: "Bad Request: can't parse entities: Unsupported start tag" });
        const e = findingEvents()[0];
        const r = await handler()(e);
        expect(r).to.include({ status: "sent", fallback: true });
        const m = peer.messages[0];
        expect(m.entities).to.deep.equal([]);
        expect(m.reply_markup).to.equal(undefined);
        expect(m.text.startsWith(guardDutyFindingUrl("aws", e.detail.region, e.detail.id))).to.equal(true);
        expect(m.text).to.contain(e.detail.title);
    });

    it("throws when the chat does not exist (400 on both attempts)", async () => {
        const h = handler({ chatId: "-100999" });
        const err = await rejectionOf(h(findingEvents()[0]));
        expect(err.errorCode).to.equal(400);
        expect(err.description).to.equal("Bad Request: chat not found");
        expect(peer.requests).to.have.length(2);
    });

    it("throws on a wrong token (401) without retrying", async () => {
        const bad = new tg.Api("987654321:AAwrong-token-wrong-token-wrong", { apiRoot: peer.apiRoot, timeoutMs: 400, retryBackoffMs: 5 });
        const err = await rejectionOf(handler({ client: bad })(findingEvents()[0]));
        expect(err.errorCode).to.equal(401);
        expect(peer.requests).to.have.length(1);
    });

    describe("with de-duplication", () => {
        const HOUR = 3_600_000;
        let clock: number;
        let store: MemoryStore;
        const h = () => handler({ dedup: { store, quietMs: HOUR }, now: () => clock });
        const base = () => findingEvents()[1];
        const at = (count: number, severity?: number) => withDetail(base(), (d) => {
            d.service.count = count;
            if (severity !== undefined) d.severity = severity;
        });

        beforeEach(() => { clock = 1_700_000_000_000; store = new MemoryStore(); });

        it("alerts a new id, suppresses a same-count repeat, and releases a grown count after the quiet period", async () => {
            const run = h();
            expect(await run(at(2))).to.include({ status: "sent", reason: "new" });
            expect(await run(at(2))).to.include({ status: "suppressed", reason: "unchanged" });
            clock += HOUR / 2;
            expect(await run(at(5))).to.include({ status: "suppressed", reason: "quiet-period" });
            clock += HOUR / 2;
            expect(await run(at(6))).to.include({ status: "sent", reason: "repeat" });
            expect(peer.messages).to.have.length(2);
            expect(peer.messages[1].text).to.contain("Occurrences: 6 (repeat)");
        });

        it("alerts an escalation inside the quiet period", async () => {
            const run = h();
            await run(at(2, 5));
            clock += 60_000;
            expect(await run(at(2, 9.2))).to.include({ status: "sent", reason: "escalation" });
            expect(peer.messages[1].text).to.contain("9.2 Critical");
        });

        it("records nothing when the send failed, so Lambda's retry still alerts", async () => {
            peer.script({ kind: "500" }, { kind: "500" }, { kind: "500" });
            await rejectionOf(h()(at(2)));
            expect(store.records.size).to.equal(0);
            expect(await h()(at(2))).to.include({ status: "sent", reason: "new" });
        });

        it("alerts anyway when the table cannot be read", async () => {
            store.failGet = true;
            expect((await h()(at(2))).status).to.equal("sent");
            expect(logs.some((l) => l.level === "warn" && /dedup lookup failed/.test(l.msg))).to.equal(true);
        });

        it("reports success when only the record write fails after delivery", async () => {
            store.failRecord = true;
            expect((await h()(at(2))).status).to.equal("sent");
            expect(logs.some((l) => l.level === "warn" && /dedup record failed/.test(l.msg))).to.equal(true);
        });
    });
});

describe("telegram-alert timing budget", () => {
    it("keeps the worst case before delivery (SSM, dedup read, every Telegram retry) inside the Lambda timeout", () => {
        const worst = worstCaseAwsMs(AWS_CLIENT_LIMITS.ssm) + worstCaseAwsMs(AWS_CLIENT_LIMITS.dynamodb) +
            worstCaseClientMs(TELEGRAM_CLIENT_OPTIONS) + DEADLINE_MARGIN_MS;
        expect(worst).to.be.at.most(TELEGRAM_LAMBDA_TIMEOUT_SECONDS * 1000);
        expect(TELEGRAM_CLIENT_OPTIONS.timeoutMs).to.be.below(TELEGRAM_LAMBDA_TIMEOUT_SECONDS * 1000 / 3);
    });

    it("counts a hang on every attempt plus the longest honoured retry_after between attempts", () => {
        expect(worstCaseClientMs({ timeoutMs: 1_000, maxRetries: 2, retryBackoffMs: 300, maxRetryAfterMs: 4_000 })).to.equal(3_000 + 8_000);
        expect(worstCaseClientMs({ timeoutMs: 1_000, maxRetries: 0, retryBackoffMs: 300, maxRetryAfterMs: 4_000 })).to.equal(1_000);
    });

    it("redacts anything token-shaped from log text", () => {
        expect(redact("failed for 123456789:AAF-peer_token_for_tests_only-0123456 now")).to.equal("failed for <redacted-token> now");
        expect(redact("POST https://api.telegram.org/bot123456789:AAF-peer_token_for_tests_only-0123456/sendMessage")).to.equal("POST https://api.telegram.org/bot<redacted-token>/sendMessage");
        // An ARN's account id and name are token-shaped too, and must stay readable in the logs.
        const arn = "arn:aws:sns:ap-northeast-2:100000000002:guardpost-prod-siem-detections-topic";
        expect(redact(`published to ${arn}`)).to.equal(`published to ${arn}`);
    });
});
