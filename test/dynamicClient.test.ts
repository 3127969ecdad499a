import { expect } from "chai";
import { baseUrl, diffInputs, send, withRetry } from "../components/siem/dynamic/opensearchClient";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { startStsPeer, StsPeer } from "./support/stsPeer";
import { OPENSEARCH_PROVIDER_SESSION, sessionNameCondition } from "../model/sessionName";

const KEY = "AKIDGUARDPOSTCLIENT1";
const SECRET = "client-test-secret-not-real";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_STS", "AWS_EC2_METADATA_DISABLED"];

/** Static credentials for the SDK's default chain, restored afterwards. */
function useEnvCredentials(): () => void {
    const saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true" });
    return () => { for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } };
}

const CALLER = "arn:aws:iam::111111111111:role/guardpost-ci";

/** The deployer role's trust policy as guardpost prints it: the CI role, any `guardpost-` session. */
function trustPolicy(condition: object = sessionNameCondition()): object {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: CALLER }, Action: ["sts:AssumeRole", "sts:TagSession"], Condition: condition }] };
}

async function startSts(roleArn: string, policy: object = trustPolicy()): Promise<StsPeer> {
    return startStsPeer({ trustPolicies: { [roleArn]: policy }, principals: { [KEY]: CALLER } });
}

describe("dynamic/opensearchClient", () => {
    let peer: OpenSearchPeer;
    let restore: () => void;
    const fast = { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 };

    beforeEach(async () => {
        restore = useEnvCredentials();
        peer = await OpenSearchPeer.start();
        peer.requireAuth("sigv4", { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
    });
    afterEach(async () => { await peer.close(); restore(); });

    it("signs with SigV4 for service es and the given region, credentials from the default chain", async () => {
        const conn = { endpoint: peer.url, region: "eu-west-1" };
        const res = await withRetry(conn, "t", c => send(c, conn, { method: "PUT", path: "/_index_template/a", body: { index_patterns: ["a-*"] } }));
        expect(res.statusCode).to.equal(200);
        const auth = String(peer.requests[0].headers.authorization);
        expect(auth).to.match(new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY}/\\d{8}/eu-west-1/es/aws4_request, SignedHeaders=[^ ]*host[^ ]*, Signature=[0-9a-f]{64}$`));
        expect(peer.requests[0].headers["x-amz-content-sha256"]).to.match(/^[0-9a-f]{64}$/);
    });

    it("is refused by the peer when the secret is wrong (the signature is really checked)", async () => {
        process.env.AWS_SECRET_ACCESS_KEY = "some-other-secret";
        const conn = { endpoint: peer.url, region: "eu-west-1" };
        const err = await withRetry(conn, "t", c => send(c, conn, { method: "GET", path: "/" })).catch(e => e);
        expect(err.statusCode).to.equal(403);
    });

    it("assumes roleArn through STS as a guardpost- session and signs with the temporary credentials and session token", async () => {
        const sts = await startSts("arn:aws:iam::111111111111:role/guardpost-deployer");
        process.env.AWS_ENDPOINT_URL_STS = sts.url;
        peer.requireAuth("sigv4", { credentials: { accessKeyId: "ASIAGUARDPOSTASSUMED", secretAccessKey: "assumed-secret" } });
        try {
            const conn = { endpoint: peer.url, region: "us-east-1", roleArn: "arn:aws:iam::111111111111:role/guardpost-deployer" };
            const res = await withRetry(conn, "t", c => send(c, conn, { method: "GET", path: "/" }));
            expect(res.statusCode).to.equal(200);
            expect(sts.calls).to.deep.equal([{ roleArn: "arn:aws:iam::111111111111:role/guardpost-deployer", sessionName: OPENSEARCH_PROVIDER_SESSION, caller: CALLER, allowed: true }]);
            expect(String(peer.requests[0].headers.authorization)).to.contain("Credential=ASIAGUARDPOSTASSUMED/");
            expect(peer.requests[0].headers["x-amz-security-token"]).to.equal("assumed-session");
        } finally { await sts.close(); }
    });

    it("fails at once, naming the role, the session name and the fix, when the trust policy refuses the session", async () => {
        // The trust condition the README used to print: only `guardpost-<stack>`, which refused the providers' own session.
        const role = "arn:aws:iam::111111111111:role/guardpost-deployer";
        const sts = await startSts(role, trustPolicy({ StringEquals: { "sts:RoleSessionName": "guardpost-prod" } }));
        process.env.AWS_ENDPOINT_URL_STS = sts.url;
        try {
            const conn = { endpoint: peer.url, region: "us-east-1", roleArn: role, retry: { initialDelayMs: 50, maxDelayMs: 200, timeoutSeconds: 30 } };
            const started = Date.now();
            const err = await withRetry(conn, "role mapping all_access", c => send(c, conn, { method: "GET", path: "/" })).catch(e => e);
            expect(Date.now() - started).to.be.below(3000);
            expect(sts.calls.map(c => c.allowed)).to.deep.equal([false]);
            expect(peer.requests).to.have.length(0);
            expect(err.message).to.contain(`assume ${role} as session '${OPENSEARCH_PROVIDER_SESSION}'`);
            expect(err.message).to.contain("not authorized to perform: sts:AssumeRole");
            expect(err.message).to.contain('"sts:RoleSessionName": "guardpost-*"');
            expect(err.message).to.contain("npm run deployer-role");
        } finally { await sts.close(); }
    });

    it("retries 429 and 5xx with backoff and then succeeds", async () => {
        peer.failNext(1, { status: 429, body: { error: { type: "es_rejected_execution_exception", reason: "busy" }, status: 429 } });
        peer.failNext(1, { status: 503, body: { Message: "domain is processing" } });
        peer.failNext(1, { status: 500, body: "" });
        const conn = { endpoint: peer.url, region: "us-east-1", retry: fast };
        const res = await withRetry(conn, "t", c => send(c, conn, { method: "PUT", path: "/_index_template/a", body: { index_patterns: ["a-*"] } }));
        expect(res.body).to.deep.equal({ acknowledged: true });
        expect(peer.requests.map(r => r.status)).to.deep.equal([429, 503, 500, 200]);
    });

    it("retries 409 only when the operation says a conflict is transient", async () => {
        const conn = { endpoint: peer.url, region: "us-east-1", retry: fast };
        peer.failNext(1, { status: 409, body: { status: "CONFLICT", message: "concurrent modification" } });
        const plain = await withRetry(conn, "t", c => send(c, conn, { method: "GET", path: "/" })).catch(e => e);
        expect(plain.statusCode).to.equal(409);
        peer.failNext(1, { status: 409, body: { status: "CONFLICT", message: "concurrent modification" } });
        const retried = await withRetry(conn, "t", c => send(c, conn, { method: "GET", path: "/" }, [], true));
        expect(retried.statusCode).to.equal(200);
    });

    it("gives up within its time budget when the domain keeps failing", async () => {
        peer.failNext(1000, { status: 503, body: { Message: "still processing" } });
        const conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 20, maxDelayMs: 50, timeoutSeconds: 0.3 } };
        const started = Date.now();
        const err = await withRetry(conn, "index template a", c => send(c, conn, { method: "GET", path: "/" })).catch(e => e);
        expect(Date.now() - started).to.be.below(1500);
        expect(err.message).to.match(/^index template a: gave up after \d+ attempts: .*answered 503: still processing/);
        expect(peer.requests.length).to.be.within(3, 20);
    });

    it("does not retry 400 and reports OpenSearch's reason", async () => {
        const conn = { endpoint: peer.url, region: "us-east-1", retry: fast };
        const err = await withRetry(conn, "t", c => send(c, conn, { method: "PUT", path: "/_index_template/a", body: { template: {} } })).catch(e => e);
        expect(err.statusCode).to.equal(400);
        expect(err.message).to.contain("action_request_validation_exception: Validation Failed: 1: index patterns are missing;");
        expect(peer.requests).to.have.length(1);
    });

    for (const status of [401, 403]) {
        it(`turns ${status} into a hint naming the role that must be mapped to all_access and security_manager`, async () => {
            peer.failNext(1, { status, body: { error: { root_cause: [{ type: "security_exception", reason: "no permissions for [cluster:admin/opendistro/ism/policy/write]" }], type: "security_exception", reason: "no permissions for [cluster:admin/opendistro/ism/policy/write]" }, status } });
            const conn = { endpoint: peer.url, region: "us-east-1", retry: fast };
            const err = await withRetry(conn, "t", c => send(c, conn, { method: "PUT", path: "/_plugins/_ism/policies/p", body: {} })).catch(e => e);
            expect(err.statusCode).to.equal(status);
            expect(err.message).to.contain("no permissions for [cluster:admin/opendistro/ism/policy/write]");
            expect(err.message).to.contain("the identity of the AWS default credential chain");
            expect(err.message).to.contain("'all_access' and 'security_manager'");
            expect(err.message).to.contain("masterUserArn");
            expect(peer.requests).to.have.length(1);
        });
    }

    it("names the assumed role in the 403 hint when roleArn is set", async () => {
        const sts = await startSts("arn:aws:iam::222222222222:role/siem-admin");
        process.env.AWS_ENDPOINT_URL_STS = sts.url;
        peer.requireAuth("none");
        peer.failNext(1, { status: 403, body: { Message: "User: arn:aws:sts::1:assumed-role/x is not authorized to perform: es:ESHttpPut" } });
        try {
            const conn = { endpoint: peer.url, region: "us-east-1", roleArn: "arn:aws:iam::222222222222:role/siem-admin" };
            const err = await withRetry(conn, "t", c => send(c, conn, { method: "PUT", path: "/x" })).catch(e => e);
            expect(err.message).to.contain("the IAM role arn:aws:iam::222222222222:role/siem-admin");
            expect(err.message).to.contain("is not authorized to perform: es:ESHttpPut");
        } finally { await sts.close(); }
    });

    it("normalizes endpoints: bare host → https, URLs kept, trailing slashes dropped", () => {
        expect(baseUrl("search-x.eu-west-1.es.amazonaws.com")).to.equal("https://search-x.eu-west-1.es.amazonaws.com");
        expect(baseUrl("http://127.0.0.1:9200/")).to.equal("http://127.0.0.1:9200");
        expect(() => baseUrl("  ")).to.throw(/empty/);
    });

    it("diffs desired state only: key order and provider-added outputs don't count; endpoint change replaces", () => {
        const olds = { endpoint: "a", region: "r", name: "n", body: { x: 1, y: 2 }, added: ["q"], __provider: "old" };
        expect(diffInputs(olds, { endpoint: "a", region: "r", name: "n", body: { y: 2, x: 1 }, __provider: "new" }, ["name"], ["added"]))
            .to.deep.equal({ changes: false, replaces: [], deleteBeforeReplace: false });
        expect(diffInputs(olds, { ...olds, body: { x: 2 } }, ["name"], ["added"]).changes).to.equal(true);
        expect(diffInputs(olds, { ...olds, endpoint: "b" }, ["name"], ["added"], true))
            .to.deep.equal({ changes: true, replaces: ["endpoint"], deleteBeforeReplace: true });
    });
});
