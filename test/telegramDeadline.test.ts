import * as net from "net";
import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
    AWS_CLIENT_LIMITS, createTelegramAlertHandler, DEADLINE_MARGIN_MS, LogFn, makeTelegramAlertHandler,
} from "../functions/telegram-alert/telegramAlert";
import { DedupRecord, DedupStore, dynamoDedupStore } from "../functions/telegram-alert/dedup";
import { startTelegramPeer, TelegramPeer } from "./support/telegramPeer";
import { findingEvents, rejectionOf } from "./support/alertFixtures";
import { loadSerializedHandler } from "./support/serialized";

const tg = require("node-telegram-bot-api");

/** Resolves only when `signal` aborts (then rejects with its reason), like a call to an endpoint that hangs. */
function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
    return new Promise((_resolve, reject) => {
        if (!signal) return; // no deadline: hang for good (the test would time out and fail)
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
}

/** Lambda's context with this much time left. */
const contextWith = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

describe("telegram-alert: every call is bounded by the invocation deadline", function () {
    let peer: TelegramPeer;
    let logs: Array<{ level: string; msg: string }>;
    const log: LogFn = (level, msg) => { logs.push({ level, msg }); };

    before(async () => { peer = await startTelegramPeer(); });
    after(async () => { await peer.close(); });
    beforeEach(() => { peer.reset(); logs = []; });

    const api = () => new tg.Api(peer.token, { apiRoot: peer.apiRoot, timeoutMs: 2_000, maxRetries: 0 });

    it("returns 'sent' before the deadline when recording the dedup entry hangs after delivery", async () => {
        const seen: Array<AbortSignal | undefined> = [];
        const store: DedupStore = {
            async get(_key, signal) { seen.push(signal); return undefined; },
            record(_rec: DedupRecord, signal?: AbortSignal) { seen.push(signal); return hangUntilAborted(signal); },
        };
        const h = makeTelegramAlertHandler({ stage: "t", chatId: peer.chatId, getApi: async () => api(), tg, log, dedup: { store, quietMs: 0 } });
        const budget = 600;
        const started = Date.now();
        const r = await h(findingEvents()[0], contextWith(DEADLINE_MARGIN_MS + budget));
        const elapsed = Date.now() - started;
        expect(r.status).to.equal("sent");
        expect(peer.messages).to.have.length(1);
        expect(elapsed).to.be.within(budget - 50, budget + 700);
        expect(seen).to.have.length(2);
        expect(seen.every((s) => s instanceof AbortSignal)).to.equal(true);
        expect(logs.some((l) => l.level === "warn" && /dedup record failed/.test(l.msg))).to.equal(true);
    });

    it("hands the same deadline to the client factory (the SSM read) as to the store", async () => {
        let apiSignal: AbortSignal | undefined;
        let getSignal: AbortSignal | undefined;
        const store: DedupStore = { async get(_k, s) { getSignal = s; return undefined; }, async record() { /* recorded */ } };
        const h = makeTelegramAlertHandler({
            stage: "t", chatId: peer.chatId, tg, log, dedup: { store, quietMs: 0 },
            getApi: async (signal) => { apiSignal = signal; return api(); },
        });
        expect((await h(findingEvents()[0], contextWith(30_000))).status).to.equal("sent");
        expect(apiSignal).to.be.instanceOf(AbortSignal);
        expect(apiSignal).to.equal(getSignal);
        expect(apiSignal!.aborted).to.equal(false);
    });
});

describe("telegram-alert factory: the deadline reaches the real SDK clients", function () {
    let server: net.Server;
    const sockets = new Set<net.Socket>();
    let endpoint: string;
    let saved: NodeJS.ProcessEnv;
    before(async () => {
        // Accepts connections and never answers.
        server = net.createServer((socket) => {
            sockets.add(socket);
            socket.on("close", () => sockets.delete(socket));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    });
    after(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    beforeEach(() => { saved = { ...process.env }; });
    afterEach(() => { process.env = saved; });

    const awsEnv = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" };

    it("aborts a hanging SSM read at the deadline, sooner than the SDK's own request timeout", async () => {
        Object.assign(process.env, awsEnv, { TELEGRAM_CHAT_ID: "-100", TELEGRAM_TOKEN_PARAMETER: "/guardpost/x/token", AWS_ENDPOINT_URL_SSM: endpoint });
        delete process.env.TELEGRAM_BOT_TOKEN;
        delete process.env.DEDUP_TABLE;
        const budget = 300;
        const started = Date.now();
        const err = await rejectionOf(createTelegramAlertHandler()(findingEvents()[0], contextWith(DEADLINE_MARGIN_MS + budget)));
        const elapsed = Date.now() - started;
        expect(err).to.be.instanceOf(Error);
        expect(elapsed).to.be.at.least(budget - 50);
        expect(elapsed).to.be.below(AWS_CLIENT_LIMITS.ssm.requestTimeoutMs);
    });

    it("aborts a hanging DynamoDB read at the deadline and throws instead of overrunning Lambda's timeout", async () => {
        const peer = await startTelegramPeer();
        try {
            Object.assign(process.env, awsEnv, {
                TELEGRAM_CHAT_ID: peer.chatId, TELEGRAM_BOT_TOKEN: peer.token, TELEGRAM_API_ROOT: peer.apiRoot,
                DEDUP_TABLE: "dedup", AWS_ENDPOINT_URL_DYNAMODB: endpoint,
            });
            const quiet = { warn: console.warn, error: console.error };
            console.warn = () => undefined;
            console.error = () => undefined;
            const budget = 300;
            const started = Date.now();
            let err: any;
            try {
                err = await rejectionOf(createTelegramAlertHandler()(findingEvents()[0], contextWith(DEADLINE_MARGIN_MS + budget)));
            } finally {
                Object.assign(console, quiet);
            }
            expect(Date.now() - started).to.be.below(AWS_CLIENT_LIMITS.dynamodb.requestTimeoutMs);
            expect(err.message).to.match(/Lambda deadline/);
            expect(peer.messages).to.have.length(0);
        } finally {
            await peer.close();
        }
    });
});

describe("dynamoDedupStore passes the deadline to DynamoDB", () => {
    let ddb: AwsClientStub<DynamoDBClient>;
    before(() => { ddb = mockClient(DynamoDBClient); });
    beforeEach(() => ddb.reset());
    after(() => ddb.restore());

    it("sends GetItem and PutItem with the caller's abortSignal", async () => {
        ddb.on(GetItemCommand).resolves({});
        ddb.on(PutItemCommand).resolves({});
        const store = dynamoDedupStore(new DynamoDBClient({ region: "us-east-1" }), { GetItemCommand, PutItemCommand }, "t");
        const signal = new AbortController().signal;
        await store.get("k", signal);
        await store.record({ key: "k", severity: 5, count: 1, alertedAt: 1 }, signal);
        // The stub records send's arguments; the second one is the per-call options.
        const optionsOf = (call: { args: unknown[] }) => call.args[1];
        expect(optionsOf(ddb.commandCalls(GetItemCommand)[0])).to.deep.equal({ abortSignal: signal });
        expect(optionsOf(ddb.commandCalls(PutItemCommand)[0])).to.deep.equal({ abortSignal: signal });
    });
});

describe("telegram-alert serialized closure", () => {
    let saved: NodeJS.ProcessEnv;
    beforeEach(() => { saved = { ...process.env }; });
    afterEach(() => { process.env = saved; });

    it("is small and captures no configuration, secret or Pulumi module", async () => {
        const marker = { chat: "-100777000111", token: "424242:AAsecret-marker-token-value-xyz", param: "/guardpost/marker/param" };
        Object.assign(process.env, { TELEGRAM_CHAT_ID: marker.chat, TELEGRAM_BOT_TOKEN: marker.token, TELEGRAM_TOKEN_PARAMETER: marker.param });
        const { text, handler } = await loadSerializedHandler("telegram-alert-review", createTelegramAlertHandler);
        expect(text.length).to.be.below(64 * 1024);
        for (const value of Object.values(marker)) expect(text).to.not.contain(value);
        expect(text).to.not.match(/require\("@pulumi\//);
        expect(text).to.not.contain("__pulumi");
        // The factory read the environment at load time, not at serialization time.
        expect(await handler({ healthCheck: true })).to.deep.equal({ status: "healthy", problems: [] });
    });
});
