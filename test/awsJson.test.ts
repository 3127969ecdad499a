import { expect } from "chai";
import { awsJsonClient, serviceEndpoint } from "../functions/shared/awsJson";
import { dynamoDedupStore } from "../functions/telegram-alert/dedup";
import { commandClient, jsonCommand } from "../functions/shared/awsJson";
import { awsError, AwsJsonPeer, startAwsJsonPeer } from "./support/awsJsonPeer";

const CREDS = { accessKeyId: "AKIAGUARDPOSTJSON001", secretAccessKey: "json-client-test-not-a-secret" };
const LIMITS = { maxAttempts: 2, connectionTimeoutMs: 100, requestTimeoutMs: 150 };

describe("awsJson: the signed JSON-protocol client the telegram function uses for SSM and DynamoDB", () => {
    let peer: AwsJsonPeer;
    before(async () => { peer = await startAwsJsonPeer({ credentials: CREDS }); });
    after(() => peer.close());
    beforeEach(() => peer.reset());

    const client = (service = "dynamodb", credentials = CREDS) => awsJsonClient({
        service, targetPrefix: service === "ssm" ? "AmazonSSM" : "DynamoDB_20120810", jsonVersion: service === "ssm" ? "1.1" : "1.0",
        region: "eu-west-1", limits: LIMITS, env: { AWS_ENDPOINT_URL: peer.url }, credentials: () => credentials, sleep: async () => undefined,
    });

    it("posts the operation as X-Amz-Target with a signature the peer verifies, and returns the parsed answer", async () => {
        peer.on("GetParameter", (input) => ({ body: { Parameter: { Name: input.Name, Value: "v" } } }));
        expect(await client("ssm").call("GetParameter", { Name: "/p", WithDecryption: true })).to.deep.equal({ Parameter: { Name: "/p", Value: "v" } });
        expect(peer.requests[0].headers["content-type"]).to.equal("application/x-amz-json-1.1");
        const refused = await client("ssm", { ...CREDS, secretAccessKey: "wrong" }).call("GetParameter", { Name: "/p" }).catch((e) => e);
        expect(refused.name).to.equal("InvalidSignatureException");
    });

    it("names errors after the service's exception and retries only what may pass on a retry", async () => {
        let puts = 0;
        peer.on("PutItem", () => { puts++; return awsError("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed"); });
        const err = await client().call("PutItem", {}).catch((e) => e);
        expect(err.name).to.equal("ConditionalCheckFailedException");
        expect(puts).to.equal(1);
        let gets = 0;
        peer.on("GetItem", () => (++gets === 1 ? awsError("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "slow down") : { body: {} }));
        expect(await client().call("GetItem", {})).to.deep.equal({});
        expect(gets).to.equal(2);
    });

    it("bounds each attempt and stops at once when the caller's signal aborts", async () => {
        peer.on("GetItem", () => ({ hang: true }));
        let started = Date.now();
        const timedOut = await client().call("GetItem", {}).catch((e) => e);
        expect(timedOut.name).to.equal("TimeoutError");
        expect(Date.now() - started).to.be.within(2 * 250 - 50, 2 * 250 + 400);
        started = Date.now();
        const controller = new AbortController();
        setTimeout(() => controller.abort(new Error("Lambda deadline")), 50);
        const aborted = await client().call("GetItem", {}, controller.signal).catch((e) => e);
        expect(aborted.message).to.equal("Lambda deadline");
        expect(Date.now() - started).to.be.below(200);
    });

    it("gives the dedup store the SDK-shaped client it was written for; a lost race is not an error", async () => {
        peer.on("PutItem", () => awsError("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed"));
        const store = dynamoDedupStore(commandClient(client()), { GetItemCommand: jsonCommand("GetItem"), PutItemCommand: jsonCommand("PutItem") }, "t");
        await store.record({ key: "k", severity: 5, count: 1, alertedAt: 1 });
        expect(peer.requests[0].input.TableName).to.equal("t");
    });

    it("finds the regional endpoint, the China partition's, or the SDKs' override variables", () => {
        expect(serviceEndpoint("ssm", "eu-west-1", {})).to.equal("https://ssm.eu-west-1.amazonaws.com");
        expect(serviceEndpoint("dynamodb", "cn-north-1", {})).to.equal("https://dynamodb.cn-north-1.amazonaws.com.cn");
        expect(serviceEndpoint("dynamodb", "eu-west-1", { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:1/", AWS_ENDPOINT_URL: "http://x" })).to.equal("http://127.0.0.1:1");
        expect(serviceEndpoint("ssm", "eu-west-1", { AWS_ENDPOINT_URL: "http://x" })).to.equal("http://x");
    });
});
