import { expect } from "chai";
import * as crypto from "crypto";
import { environmentCredentials, signRequest, signedBulkSend } from "../functions/cloudtrail-shipper/signedBulk";
import { OpenSearchPeer } from "./support/opensearchPeer";

const CREDS = { accessKeyId: "AKIAGUARDPOSTSIGN001", secretAccessKey: "guardpost-signing-test-not-real" };

/** aws4 (an independent SigV4 implementation, the one the OpenSearch client used) signing the same request. */
function aws4Authorization(headers: Record<string, string>, body: string, creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): string {
    const aws4 = require("aws4");
    const signed: Record<string, string> = {};
    for (const h of headers.authorization.match(/SignedHeaders=([^,]+)/)![1].split(";")) signed[h] = headers[h];
    const signer = new aws4.RequestSigner({ method: "POST", host: headers.host, path: "/_bulk", headers: signed, body, service: "es", region: "eu-west-1", doNotModifyHeaders: true }, creds);
    signer.datetime = headers["x-amz-date"];
    return signer.sign().headers.Authorization;
}

describe("signedBulk: SigV4 for OpenSearch Service over Node's HTTP client", () => {
    const body = '{"index":{"_index":"cloudtrail-2024.01.02","_id":"e1"}}\n{"eventName":"ConsoleLogin","ü":"ß"}\n';
    const now = Date.UTC(2024, 0, 2, 3, 4, 5);

    for (const sessionToken of [undefined, "FwoGZXIvYXdzEXAMPLEtoken"]) {
        it(`signs exactly as an independent implementation does${sessionToken ? " (session credentials)" : ""}`, () => {
            const creds = { ...CREDS, sessionToken };
            const headers = signRequest({
                method: "POST", path: "/_bulk", host: "search-siem-abc.eu-west-1.es.amazonaws.com",
                headers: { "content-type": "application/x-ndjson" }, body: Buffer.from(body), region: "eu-west-1", service: "es", credentials: creds, now,
            });
            expect(headers["x-amz-date"]).to.equal("20240102T030405Z");
            expect(headers["x-amz-content-sha256"]).to.equal(crypto.createHash("sha256").update(body).digest("hex"));
            expect(headers.authorization).to.match(/^AWS4-HMAC-SHA256 Credential=AKIAGUARDPOSTSIGN001\/20240102\/eu-west-1\/es\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date/);
            if (sessionToken) expect(headers["x-amz-security-token"]).to.equal(sessionToken);
            expect(headers.authorization).to.equal(aws4Authorization(headers, body, creds));
        });
    }

    it("reads the execution role's credentials from the environment Lambda sets, and says so when they are missing", () => {
        expect(environmentCredentials({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S", AWS_SESSION_TOKEN: "T" })).to.deep.equal({ accessKeyId: "A", secretAccessKey: "S", sessionToken: "T" });
        expect(() => environmentCredentials({})).to.throw(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/);
    });

    describe("against the loopback peer that verifies the signature itself", () => {
        let peer: OpenSearchPeer;
        before(async () => { peer = await OpenSearchPeer.start(); });
        after(() => peer.close());

        it("is accepted with the right secret and refused (403) with a wrong one", async () => {
            peer.requireAuth("sigv4", { credentials: CREDS });
            const ok = await signedBulkSend(peer.url, "us-east-1", { credentials: () => CREDS })(body, 5_000);
            expect(ok.status).to.equal(200);
            expect((ok.body as any).items[0].index.status).to.equal(201);
            const bad = await signedBulkSend(peer.url, "us-east-1", { credentials: () => ({ ...CREDS, secretAccessKey: "wrong" }) })(body, 5_000);
            expect(bad.status).to.equal(403);
            expect(JSON.stringify(bad.body)).to.match(/signature we calculated does not match/);
        });

        it("gives up on a response that does not arrive in time, with a TimeoutError", async () => {
            peer.requireAuth("none");
            peer.failNext(1, { status: 200, body: { took: 1, errors: false, items: [] }, delayMs: 500 });
            const started = Date.now();
            const err = await signedBulkSend(peer.url, "us-east-1", { credentials: () => CREDS })(body, 100).then(() => undefined, (e) => e);
            expect(err?.name).to.equal("TimeoutError");
            expect(Date.now() - started).to.be.below(450);
        });

        it("rejects before sending when there are no credentials", async () => {
            const before = peer.requests.length;
            const err = await signedBulkSend(peer.url, "us-east-1", { credentials: () => environmentCredentials({}) })(body, 1_000).then(() => undefined, (e) => e);
            expect(err?.message).to.match(/no AWS credentials/);
            expect(peer.requests.length).to.equal(before);
        });
    });
});
