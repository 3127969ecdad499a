import * as net from "net";
import { expect } from "chai";
import { awsError, AwsJsonPeer, startAwsJsonPeer } from "./support/awsJsonPeer";
import { AWS_CLIENT_LIMITS, createTelegramAlertHandler, worstCaseAwsMs } from "../functions/telegram-alert/telegramAlert";
import { guardDutyFindingUrl } from "../functions/telegram-alert/consoleLink";
import { startTelegramPeer, TelegramPeer } from "./support/telegramPeer";
import { findingEvents, rejectionOf } from "./support/alertFixtures";
import { loadSerializedHandler } from "./support/serialized";

describe("telegram-alert factory (environment contract)", () => {
    let peer: TelegramPeer;
    let saved: NodeJS.ProcessEnv;
    let consoleLines: string[];
    const originals = { log: console.log, warn: console.warn, error: console.error };
    // SSM and DynamoDB as loopback JSON-protocol services, checking each request's SigV4 signature.
    let aws: AwsJsonPeer;
    const CREDS = { accessKeyId: "AKIAGUARDPOSTFACTORY", secretAccessKey: "factory-test-not-a-secret" };
    const ENV_KEYS = ["TELEGRAM_CHAT_ID", "STAGE", "TELEGRAM_TOKEN_PARAMETER", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "DEDUP_TABLE", "DEDUP_QUIET_MINUTES", "AWS_REGION"];
    const calls = (operation: string) => aws.requests.filter((r) => r.operation === operation);

    before(async () => {
        peer = await startTelegramPeer();
        aws = await startAwsJsonPeer({ credentials: CREDS });
    });
    after(async () => {
        await aws.close();
        await peer.close();
    });
    beforeEach(() => {
        peer.reset();
        aws.reset();
        saved = { ...process.env };
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, {
            TELEGRAM_CHAT_ID: peer.chatId, STAGE: "staging", TELEGRAM_API_ROOT: peer.apiRoot, AWS_REGION: "eu-west-1",
            AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey, AWS_ENDPOINT_URL_SSM: aws.url, AWS_ENDPOINT_URL_DYNAMODB: aws.url,
        });
        consoleLines = [];
        for (const k of ["log", "warn", "error"] as const) console[k] = (...a: unknown[]) => { consoleLines.push(a.join(" ")); };
    });
    afterEach(() => {
        Object.assign(console, originals);
        process.env = saved;
    });

    it("reads the token from the SSM SecureString once per container, with decryption", async () => {
        process.env.TELEGRAM_TOKEN_PARAMETER = "/guardpost/staging/telegram-bot-token";
        // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
        aws.on("GetParameter", (input) => ({ body: { Parameter: { Name: input.Name, Type: "SecureString", Value: peer.token, Version: 1 } } }));
        const h = createTelegramAlertHandler();
        await h(findingEvents()[0]);
        await h(findingEvents()[1]);
        expect(peer.messages).to.have.length(2);
        expect(peer.messages[0].text).to.contain("Stage: staging");
        expect(calls("GetParameter")).to.have.length(1);
        expect(calls("GetParameter")[0].target).to.equal("AmazonSSM.GetParameter");
        expect(calls("GetParameter")[0].input).to.deep.equal({ Name: "/guardpost/staging/telegram-bot-token", WithDecryption: true });
        expect(String(calls("GetParameter")[0].headers.authorization)).to.match(/Credential=AKIAGUARDPOSTFACTORY\/\d{8}\/eu-west-1\/ssm\/aws4_request/);
        expect(consoleLines.join("\n")).to.not.contain(peer.token);
    });

    it("throws when SSM fails, and reads it again on the next invocation", async () => {
        process.env.TELEGRAM_TOKEN_PARAMETER = "/guardpost/staging/telegram-bot-token";
        // Throttled on both attempts of the first invocation (SSM answers 400 ThrottlingException), then fine.
        let n = 0;
        aws.on("GetParameter", () => (++n <= 2 ? awsError("ThrottlingException", "Rate exceeded") : { body: { Parameter: { Value: peer.token } } }));
        const h = createTelegramAlertHandler();
        expect((await rejectionOf(h(findingEvents()[0]))).name).to.equal("ThrottlingException");
        expect((await h(findingEvents()[0])).status).to.equal("sent");
        expect(calls("GetParameter")).to.have.length(3);
    });

    it("uses TELEGRAM_BOT_TOKEN directly without calling SSM", async () => {
        process.env.TELEGRAM_BOT_TOKEN = peer.token;
        expect((await createTelegramAlertHandler()(findingEvents()[0])).status).to.equal("sent");
        expect(calls("GetParameter")).to.have.length(0);
    });

    it("de-duplicates through DEDUP_TABLE with DEDUP_QUIET_MINUTES", async () => {
        Object.assign(process.env, { TELEGRAM_BOT_TOKEN: peer.token, DEDUP_TABLE: "guardpost-alert-dedup", DEDUP_QUIET_MINUTES: "30" });
        // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html: no Item when absent.
        let gets = 0;
        aws.on("GetItem", () => ({ body: ++gets === 1 ? {} : {
            Item: { pk: { S: "x" }, severity: { N: "5" }, findingCount: { N: "2" }, alertedAt: { N: String(Date.now()) } },
        } }));
        aws.on("PutItem", () => ({ body: {} }));
        const h = createTelegramAlertHandler();
        expect((await h(findingEvents()[0])).status).to.equal("sent");
        expect((await h(findingEvents()[0])).status).to.equal("suppressed");
        expect(calls("GetItem")[0].target).to.equal("DynamoDB_20120810.GetItem");
        expect(calls("GetItem")[0].input.TableName).to.equal("guardpost-alert-dedup");
        expect(calls("PutItem")).to.have.length(1);
        expect(calls("PutItem")[0].input.ConditionExpression).to.equal("attribute_not_exists(#pk) OR #alertedAt < :alertedAt");
        expect(peer.messages).to.have.length(1);
    });

    it("reports missing configuration in the health check and throws it on real events", async () => {
        delete process.env.TELEGRAM_CHAT_ID;
        process.env.DEDUP_QUIET_MINUTES = "later";
        const h = createTelegramAlertHandler();
        const health: any = await h({ healthCheck: true });
        expect(health.status).to.equal("unhealthy");
        expect(health.problems).to.have.length(3);
        expect((await rejectionOf(h(findingEvents()[0]))).message).to.match(/TELEGRAM_CHAT_ID is not set/);
        expect(peer.requests).to.have.length(0);
    });

    it("runs the exact serialized factory text against the peer", async () => {
        process.env.TELEGRAM_BOT_TOKEN = peer.token;
        const { handler, text } = await loadSerializedHandler("telegram-alert", createTelegramAlertHandler);
        const e = findingEvents()[5];
        const r: any = await handler(e, { getRemainingTimeInMillis: () => 30_000 });
        expect(r.status).to.equal("sent");
        expect(peer.messages).to.have.length(1);
        expect(peer.messages[0].text).to.contain(e.detail.title);
        expect(peer.messages[0].reply_markup.inline_keyboard[0][0].url).to.equal(guardDutyFindingUrl("aws", e.detail.region, e.detail.id));
        expect(text).to.contain('require("node-telegram-bot-api")');
        expect(text).to.not.contain(peer.token);
        expect(await handler({ healthCheck: true })).to.deep.equal({ status: "healthy", problems: [] });
    });
});

describe("telegram-alert AWS client limits", () => {
    let server: net.Server;
    let saved: NodeJS.ProcessEnv;
    before(async () => {
        // Accepts connections and never answers: an SSM endpoint that hangs.
        server = net.createServer(() => undefined);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    after(async () => {
        server.close();
    });
    beforeEach(() => { saved = { ...process.env }; });
    afterEach(() => { process.env = saved; });

    it("gives up on a hanging SSM endpoint within the configured bound and throws", async function () {
        this.timeout(20_000);
        Object.assign(process.env, {
            TELEGRAM_CHAT_ID: "-100", TELEGRAM_TOKEN_PARAMETER: "/guardpost/x/token", AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "",
            AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        });
        delete process.env.TELEGRAM_BOT_TOKEN;
        const started = Date.now();
        const err = await rejectionOf(createTelegramAlertHandler()(findingEvents()[0]));
        const elapsed = Date.now() - started;
        expect(err).to.be.instanceOf(Error);
        expect(elapsed).to.be.at.least(AWS_CLIENT_LIMITS.ssm.requestTimeoutMs);
        expect(elapsed).to.be.at.most(worstCaseAwsMs(AWS_CLIENT_LIMITS.ssm) + 1_000);
    });

    it("still alerts, within the bound, when the dedup table's endpoint hangs", async function () {
        this.timeout(30_000);
        const peer = await startTelegramPeer();
        try {
            Object.assign(process.env, {
                TELEGRAM_CHAT_ID: peer.chatId, TELEGRAM_BOT_TOKEN: peer.token, TELEGRAM_API_ROOT: peer.apiRoot,
                DEDUP_TABLE: "dedup", AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret",
                AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
            });
            const quiet = console.warn;
            console.warn = () => undefined;
            const started = Date.now();
            let r: any;
            try {
                r = await createTelegramAlertHandler()(findingEvents()[0]);
            } finally {
                console.warn = quiet;
            }
            expect(r.status).to.equal("sent");
            expect(peer.messages).to.have.length(1);
            expect(Date.now() - started).to.be.at.most(2 * worstCaseAwsMs(AWS_CLIENT_LIMITS.dynamodb) + 1_000);
        } finally {
            await peer.close();
        }
    });
});
