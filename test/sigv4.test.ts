import { expect } from "chai";
import * as http from "http";
import { awsJsonClient } from "../functions/shared/awsJson";
import {
    amzDate, canonicalPath, isClockSkewError, MAX_CLOCK_SKEW_MS, QueryParams, queryString, requestTarget, signingClock, signRequest, uriEncode,
} from "../functions/shared/sigv4";
import { signedBulkSend } from "../functions/cloudtrail-shipper/signedBulk";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { startAwsJsonPeer } from "./support/awsJsonPeer";

/**
 * functions/shared/sigv4.ts against two independent implementations — aws4 (what the OpenSearch client used)
 * and @smithy/signature-v4 (the AWS SDK v3's signer) — and against the loopback peers that verify signatures
 * and signing times the way AWS does (test/support/sigv4Check.ts).
 */

const CREDS = { accessKeyId: "AKIAGUARDPOSTSIGV401", secretAccessKey: "sigv4-test-not-a-secret" };
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

interface Case { name: string; method: string; path: string; query?: QueryParams; service: string; headers: Record<string, string>; body: string; sessionToken?: string }

const CASES: Case[] = [
    { name: "_bulk with a non-ASCII body", method: "POST", path: "/_bulk", service: "es", headers: { "content-type": "application/x-ndjson" },
        body: '{"index":{"_index":"cloudtrail-2024-01","_id":"e1"}}\n{"eventName":"ConsoleLogin","userAgent":"Mozilla ü ß ✓"}\n' },
    { name: "session credentials", method: "POST", path: "/_bulk", service: "es", headers: { "content-type": "application/x-ndjson" }, body: "{}\n", sessionToken: "FwoGZXIvYXdzEXAMPLE//token+with/slashes==" },
    { name: "a non-ASCII path and query (encoded twice in the canonical URI)", method: "GET", path: "/caf%C3%A9-%E2%9C%93/_search", service: "es", headers: {}, body: "",
        query: { q: "geo.country:Ürümqi AND user:\"a b\"", "size": "10", "sort": ["@timestamp:desc", "_id:asc"], "empty": "", "tilde~-_.": "a/b?c=d&e" } },
    { name: "characters the wire leaves as they are (* : @ ! ' ( ))", method: "GET", path: "/cloudtrail-*/_doc/a:b@c!d'e(f)", service: "es", headers: {}, body: "" },
    { name: "dot and empty segments", method: "PUT", path: "/a/./b/../c//d/", service: "es", headers: { "content-type": "application/json" }, body: '{"x":1}' },
    { name: "a JSON-protocol call (DynamoDB)", method: "POST", path: "/", service: "dynamodb",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.GetItem" }, body: '{"TableName":"t","Key":{"pk":{"S":"ü"}}}' },
    { name: "header values with runs of spaces", method: "POST", path: "/", service: "ssm",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "  AmazonSSM.GetParameter  ", "x-guardpost-note": "a   b \t c" }, body: "{}" },
];

function ours(c: Case, region = "eu-west-1"): Record<string, string> {
    return signRequest({
        method: c.method, path: c.path, query: c.query, host: "search-siem-abc.eu-west-1.es.amazonaws.com", headers: c.headers,
        body: Buffer.from(c.body), region, service: c.service, credentials: { ...CREDS, sessionToken: c.sessionToken }, now: NOW,
    });
}

function viaAws4(c: Case, signed: Record<string, string>): string {
    const aws4 = require("aws4");
    const names = signed.authorization.match(/SignedHeaders=([^,]+)/)![1].split(";");
    const headers: Record<string, string> = {};
    for (const n of names) headers[n] = c.headers[n] ?? signed[n];
    const signer = new aws4.RequestSigner({ method: c.method, host: signed.host, path: requestTarget(c.path, c.query), headers, body: c.body, service: c.service, region: "eu-west-1", doNotModifyHeaders: true },
        { ...CREDS, sessionToken: c.sessionToken });
    signer.datetime = signed["x-amz-date"];
    return signer.sign().headers.Authorization;
}

async function viaSmithy(c: Case, signed: Record<string, string>): Promise<string> {
    const { SignatureV4 } = require("@smithy/signature-v4");
    const { Sha256 } = require("@aws-crypto/sha256-js");
    const signer = new SignatureV4({ service: c.service, region: "eu-west-1", credentials: { ...CREDS, sessionToken: c.sessionToken }, sha256: Sha256, uriEscapePath: true });
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(c.query ?? {})) query[k] = typeof v === "string" ? v : [...v];
    const out = await signer.sign({ method: c.method, protocol: "https:", hostname: signed.host, path: c.path, query, headers: { ...c.headers, host: signed.host }, body: c.body },
        { signingDate: new Date(NOW) });
    return out.headers.authorization;
}

describe("sigv4: the hand-written SigV4 signer the functions use instead of an SDK", () => {
    for (const c of CASES) {
        it(`signs ${c.name} exactly as aws4 and the AWS SDK's signer do`, async () => {
            const signed = ours(c);
            expect(signed.authorization).to.match(new RegExp(`^AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/20240102/eu-west-1/${c.service}/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`));
            expect(signed.authorization).to.equal(viaAws4(c, signed));
            expect(signed.authorization).to.equal(await viaSmithy(c, signed));
            if (c.sessionToken) {
                expect(signed["x-amz-security-token"]).to.equal(c.sessionToken);
                expect(signed.authorization).to.contain("x-amz-security-token");
            }
        });
    }

    it("URI-encodes as the signing documentation says: unreserved characters as they are, everything else as %XY of UTF-8", () => {
        expect(uriEncode("AZaz09-_.~")).to.equal("AZaz09-_.~");
        expect(uriEncode("a b+c/d*e!f'g(h)i")).to.equal("a%20b%2Bc%2Fd%2Ae%21f%27g%28h%29i");
        expect(uriEncode("é✓")).to.equal("%C3%A9%E2%9C%93");
        // The documentation's own example: a path sent as /documents%20and%20settings/ signs as twice encoded.
        expect(canonicalPath("/documents%20and%20settings/")).to.equal("/documents%2520and%2520settings/");
        expect(canonicalPath("")).to.equal("/");
        expect(canonicalPath("/a/./b/../c//d")).to.equal("/a/c/d");
        expect(queryString({ b: "2", a: ["z", "y"], "c d": "" })).to.equal("a=y&a=z&b=2&c%20d=");
        expect(requestTarget("/x", {})).to.equal("/x");
    });

    it("refuses to sign for S3, whose paths are encoded once", () => {
        expect(() => ours({ ...CASES[0], service: "s3" })).to.throw(/other than S3/);
    });

    it("takes the date of the scope from the same instant as x-amz-date, in UTC, seconds truncated", () => {
        expect(amzDate(Date.UTC(2024, 11, 31, 23, 59, 59, 999))).to.equal("20241231T235959Z");
        const signed = signRequest({ ...{ method: "POST", path: "/", host: "h", headers: {}, body: Buffer.alloc(0), region: "us-east-1", service: "ssm", credentials: CREDS }, now: Date.UTC(2024, 11, 31, 23, 59, 59, 999) });
        expect(signed["x-amz-date"]).to.equal("20241231T235959Z");
        expect(signed.authorization).to.contain("/20241231/us-east-1/ssm/aws4_request");
    });

    it("corrects its clock from AWS's Date header only beyond the five minutes AWS allows", () => {
        let local = NOW;
        const clock = signingClock(() => local);
        expect(clock.observe(new Date(NOW + MAX_CLOCK_SKEW_MS - 2000).toUTCString())).to.equal(false);
        expect(clock.now()).to.equal(NOW);
        expect(clock.observe("not a date")).to.equal(false);
        expect(clock.observe(undefined)).to.equal(false);
        expect(clock.observe(new Date(NOW + 20 * 60_000).toUTCString())).to.equal(true);
        expect(Math.abs(clock.now() - (NOW + 20 * 60_000))).to.be.below(1000);
        local += 5_000;
        expect(Math.abs(clock.now() - (NOW + 20 * 60_000 + 5_000))).to.be.below(1000);
        expect(isClockSkewError("Signature expired: 20240102T030405Z is now earlier than 20240102T031405Z (20240102T031905Z - 5 min.)")).to.equal(true);
        expect(isClockSkewError("The request signature we calculated does not match the signature you provided.")).to.equal(false);
    });

    describe("against the verifying loopback peers", () => {
        let peer: OpenSearchPeer;
        before(async () => { peer = await OpenSearchPeer.start(); });
        after(() => peer.close());
        afterEach(() => peer.requireAuth("none"));

        function send(c: Case, creds: typeof CREDS & { sessionToken?: string }, now = Date.now()): Promise<{ status: number; body: any }> {
            const url = new URL(peer.url);
            const headers = signRequest({ method: c.method, path: c.path, query: c.query, host: url.host, headers: c.headers, body: Buffer.from(c.body), region: "eu-west-1", service: "es", credentials: creds, now });
            return new Promise((resolve, reject) => {
                const req = http.request({ hostname: url.hostname, port: url.port, method: c.method, path: requestTarget(c.path, c.query), headers: { ...headers, "content-length": String(Buffer.byteLength(c.body)) } });
                req.on("error", reject);
                req.on("response", (res) => {
                    let text = "";
                    res.on("data", (d) => { text += d; });
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
                });
                req.end(c.body);
            });
        }

        it("accepts a signed non-ASCII path and query, with and without a session token, and refuses a wrong secret", async () => {
            peer.requireAuth("sigv4", { credentials: CREDS });
            const search = CASES[2];
            const ok = await send(search, CREDS);
            // Past authentication (the peer has no _search): the path and query arrive as they were meant.
            expect(ok.status, JSON.stringify(ok.body)).to.equal(400);
            expect(ok.body.error).to.match(/^no handler found/);
            const seen = peer.requests[peer.requests.length - 1];
            expect(seen.path).to.equal("/café-✓/_search");
            expect(seen.query.q).to.equal(search.query!.q);
            expect(seen.query["tilde~-_."]).to.equal("a/b?c=d&e");
            expect((await send(search, { ...CREDS, sessionToken: "FwoGZXIvYXdzEXAMPLE//token+with/slashes==" })).status).to.equal(400);
            const wrong = await send(search, { ...CREDS, secretAccessKey: "wrong" });
            expect(wrong.status).to.equal(403);
            expect(wrong.body.message).to.match(/signature we calculated does not match/);
        });

        it("is refused when signed more than five minutes from the service's clock, either way", async () => {
            peer.requireAuth("sigv4", { credentials: CREDS });
            const late = await send(CASES[0], CREDS, Date.now() - 6 * 60_000);
            expect(late.status).to.equal(403);
            expect(late.body.message).to.match(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
            const early = await send(CASES[0], CREDS, Date.now() + 6 * 60_000);
            expect(early.body.message).to.match(/^Signature not yet current/);
            expect((await send(CASES[0], CREDS, Date.now() - 4 * 60_000)).status).to.equal(200);
        });

        it("signedBulk: a clock 20 minutes behind AWS's is corrected from the Date header, and the batch is sent again once", async () => {
            peer.requireAuth("sigv4", { credentials: CREDS, clockOffsetMs: 20 * 60_000 });
            const sendBulk = signedBulkSend(peer.url, "eu-west-1", { credentials: () => CREDS });
            const before = peer.requests.length;
            const first = await sendBulk(CASES[0].body, 5_000);
            expect(first.status).to.equal(200);
            expect(peer.requests.slice(before).map((r) => r.status)).to.deep.equal([403, 200]);
            // The next batch is signed in AWS's time at once.
            const second = await sendBulk(CASES[0].body, 5_000);
            expect(second.status).to.equal(200);
            expect(peer.requests.length - before).to.equal(3);
        });

        it("signedBulk: another 403 is answered, not retried", async () => {
            peer.requireAuth("sigv4", { credentials: CREDS });
            const before = peer.requests.length;
            const refused = await signedBulkSend(peer.url, "eu-west-1", { credentials: () => ({ ...CREDS, secretAccessKey: "wrong" }) })(CASES[0].body, 5_000);
            expect(refused.status).to.equal(403);
            expect(peer.requests.length - before).to.equal(1);
        });

        it("awsJson: a skewed clock is refused with InvalidSignatureException, corrected from the Date header, and the call retried", async () => {
            const json = await startAwsJsonPeer({ credentials: CREDS, clockOffsetMs: -30 * 60_000 });
            try {
                json.on("GetParameter", (input) => ({ body: { Parameter: { Name: input.Name, Value: "v" } } }));
                const client = awsJsonClient({
                    service: "ssm", targetPrefix: "AmazonSSM", jsonVersion: "1.1", region: "eu-west-1", env: { AWS_ENDPOINT_URL: json.url },
                    limits: { maxAttempts: 2, connectionTimeoutMs: 500, requestTimeoutMs: 1000 }, credentials: () => CREDS, sleep: async () => undefined,
                });
                expect(await client.call("GetParameter", { Name: "/p" })).to.deep.equal({ Parameter: { Name: "/p", Value: "v" } });
                expect(json.requests.length).to.equal(2);
                // A single-attempt client whose clock is skewed gets AWS's own refusal.
                const once = awsJsonClient({
                    service: "ssm", targetPrefix: "AmazonSSM", jsonVersion: "1.1", region: "eu-west-1", env: { AWS_ENDPOINT_URL: json.url },
                    limits: { maxAttempts: 1, connectionTimeoutMs: 500, requestTimeoutMs: 1000 }, credentials: () => CREDS,
                });
                const err = await once.call("GetParameter", { Name: "/p" }).catch((e) => e);
                expect(err.name).to.equal("InvalidSignatureException");
                expect(err.message).to.match(/^Signature not yet current/);
            } finally {
                await json.close();
            }
        });
    });
});
