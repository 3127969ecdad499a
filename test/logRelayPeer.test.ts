import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createLogRelayHandler } from "../functions/log-relay/logRelay";
import { DEFAULT_VPC_FLOW_FIELDS } from "../functions/vpcflow-transform/vpcflowTransform";
import { indexTemplate, LOG_KINDS, WRITER_ROLE, writerRole } from "../components/siem/siemTemplates";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { roleProvider } from "../components/siem/dynamic/role";
import { roleMappingProvider } from "../components/siem/dynamic/roleMapping";
import { awslogsEvent, fixtureLines, GEOIP_ASN, GEOIP_CITY, relayedFlowLines } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { loadSerializedHandler } from "./support/serialized";
import { rejectionOf } from "./support/shipperHelpers";

/**
 * The relay as Lambda runs it — the exact text serializeFunction produces for its factory, configured only by
 * its environment — in a region other than the domain's, against the loopback domain with SigV4 verified
 * (signing region = the domain's) and FGAC enforced: the relay's role is mapped to guardpost_log_writer exactly
 * as SiemDomain maps every writer role, and nothing more.
 */

const DOMAIN_REGION = "ap-northeast-2";
const RELAY_REGION = "us-east-1";
const DEPLOYER = "arn:aws:iam::100000000002:role/guardpost-deployer";
const RELAY_ROLE = "arn:aws:iam::100000000003:role/guardpost/prod-payments-us-east-1-relay-role-1a2b3c4";
const MASTER = { accessKeyId: "AKIAGUARDPOSTMASTER01", secretAccessKey: "guardpost-master-test-secret" };
const RELAY = { accessKeyId: "AKIAGUARDPOSTRELAY001", secretAccessKey: "guardpost-relay-test-secret" };
const GROUPS = { vpcflow: "/guardpost/prod/relay/vpcflow", waf: "aws-waf-logs-guardpost-prod", dns: "/guardpost/prod/relay/dns" };
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_EC2_METADATA_DISABLED", "OPENSEARCH_ENDPOINT",
    "OPENSEARCH_REGION", "INDEX_PERIOD", "LOG_GROUP_KINDS", "VPC_FLOW_FIELDS", "GEOIP_DATABASE", "GEOIP_ASN_DATABASE", "DEAD_LETTER_BUCKET"];

describe("log-relay against the loopback OpenSearch peer (serialized, signed for the domain's region, FGAC as a writer)", function () {
    this.timeout(120_000);
    let peer: OpenSearchPeer;
    let s3: AwsClientStub<S3Client>;
    let saved: Record<string, string | undefined>;
    const ctx = { getRemainingTimeInMillis: () => 60_000 };

    function relayEnv(o: Record<string, string | undefined> = {}) {
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, {
            AWS_ACCESS_KEY_ID: RELAY.accessKeyId, AWS_SECRET_ACCESS_KEY: RELAY.secretAccessKey, AWS_REGION: RELAY_REGION, AWS_EC2_METADATA_DISABLED: "true",
            OPENSEARCH_ENDPOINT: peer.url, OPENSEARCH_REGION: DOMAIN_REGION, INDEX_PERIOD: "month",
            LOG_GROUP_KINDS: JSON.stringify({ [GROUPS.vpcflow]: "vpcflow", [GROUPS.waf]: "waf", [GROUPS.dns]: "dns" }),
            VPC_FLOW_FIELDS: DEFAULT_VPC_FLOW_FIELDS.join(" "), GEOIP_DATABASE: GEOIP_CITY, GEOIP_ASN_DATABASE: GEOIP_ASN, DEAD_LETTER_BUCKET: "guardpost-prod-dead-letters",
        });
        for (const [k, v] of Object.entries(o)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    }

    before(async () => {
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        peer = await OpenSearchPeer.start({ masterBackendRoles: [DEPLOYER] });
        peer.requireAuth("sigv4", { credentials: MASTER, region: DOMAIN_REGION, identities: { [RELAY.accessKeyId]: { secretAccessKey: RELAY.secretAccessKey, roleArn: RELAY_ROLE } } });
        s3 = mockClient(S3Client);
        // What SiemDomain applies as the deployer (the master user): the writer role, its mapping, the templates.
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: MASTER.accessKeyId, AWS_SECRET_ACCESS_KEY: MASTER.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" });
        const conn = { endpoint: peer.url, region: DOMAIN_REGION, retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 } };
        const writer = writerRole();
        await roleProvider.create({ ...conn, name: WRITER_ROLE, clusterPermissions: writer.clusterPermissions, indexPermissions: writer.indexPermissions });
        await roleMappingProvider.create({ ...conn, role: WRITER_ROLE, backendRoles: [RELAY_ROLE], mode: "own" });
        for (const kind of LOG_KINDS) await indexTemplateProvider.create({ ...conn, name: `guardpost-${kind}`, body: indexTemplate(kind, 13) });
    });
    after(async () => {
        s3.restore();
        await peer.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });
    beforeEach(() => {
        s3.reset();
        s3.on(PutObjectCommand).resolves({});
        peer.rejectItems(undefined);
    });

    it("relays every log type from us-east-1 into the ap-northeast-2 domain, signed for ap-northeast-2, as guardpost_log_writer", async () => {
        relayEnv();
        const { handler, text } = await loadSerializedHandler("log-relay", createLogRelayHandler);
        const before = peer.requests.length;
        const flows = relayedFlowLines();
        const waf = fixtureLines("waf", "aws_docs_waf_log_examples.ndjson");
        const dns = fixtureLines("route53-resolver", "aws_docs_resolver_query_log_example.ndjson");
        const hub = JSON.parse(fixtureLines("securityhub", "eventbridge_securityhub_findings_imported_asr.ndjson")[0]);
        const results: any[] = [
            await handler(awslogsEvent(flows, { logGroup: GROUPS.vpcflow, owner: "100000000003" }), ctx),
            await handler(awslogsEvent(waf, { logGroup: GROUPS.waf, owner: "100000000003" }), ctx),
            await handler(awslogsEvent(dns, { logGroup: GROUPS.dns, owner: "100000000003" }), ctx),
            await handler(hub, ctx),
        ];
        expect(results.map(r => [r.kind, r.indexed, r.deadLettered])).to.deep.equal([["vpcflow", flows.length, 0], ["waf", waf.length, 0], ["dns", dns.length, 0], ["securityhub", 1, 0]]);
        expect(peer.docs("vpcflow-2021-03").size).to.equal(flows.length);
        expect(peer.docs("dns-2021-02").size).to.equal(dns.length);
        expect([...peer.indices()].filter(i => i.startsWith("waf-")).reduce((n, i) => n + peer.docs(i).size, 0)).to.equal(waf.length);
        const hubIndex = `securityhub-${hub.time.slice(0, 7)}`;
        expect(peer.docs(hubIndex).get(hub.id)).to.deep.equal(hub);
        // The index templates took effect: VPC flow numbers are longs, addresses ips.
        expect(peer.index("vpcflow-2021-03")!.mappings.properties!.srcaddr.type).to.equal("ip");
        const bulks = peer.requests.slice(before).filter(q => q.path === "/_bulk");
        expect(bulks.length).to.equal(4);
        for (const q of bulks) {
            expect(q.status).to.equal(200);
            expect(String(q.headers.authorization)).to.match(new RegExp(`^AWS4-HMAC-SHA256 Credential=${RELAY.accessKeyId}/\\d{8}/${DOMAIN_REGION}/es/aws4_request`));
        }
        // Redelivery overwrites by _id.
        await handler(awslogsEvent(dns, { logGroup: GROUPS.dns, firstId: 77_000_000n }), ctx);
        await handler(awslogsEvent(dns, { logGroup: GROUPS.dns, firstId: 77_000_000n }), ctx);
        expect([...peer.docs("dns-2021-02").keys()].filter(id => id.startsWith("7700000")).length).to.equal(dns.length);
        expect(s3.commandCalls(PutObjectCommand)).to.have.length(0);
        // Node's HTTP client and crypto sign and send: no OpenSearch client in the archive, no secret in its text.
        expect(text).to.contain('require("https")');
        expect(text).to.not.contain("@opensearch-project/opensearch");
        expect(text).to.not.contain(RELAY.secretAccessKey);
        expect(text).to.not.contain(peer.url);
    });

    it("as a writer it may not read what it wrote: FGAC refuses a search", async () => {
        const aws4 = require("aws4");
        const signed = aws4.sign({ host: new URL(peer.url).host, path: "/vpcflow-2021-03/_search", method: "GET", service: "es", region: DOMAIN_REGION }, RELAY);
        const res = await fetch(`${peer.url}/vpcflow-2021-03/_search`, { headers: signed.headers });
        expect(res.status).to.equal(403);
        expect(await res.text()).to.contain("no permissions for [indices:data/read/search]");
    });

    it("mapping errors go to the dead-letter bucket under log-relay/rejected/, the rest is indexed", async () => {
        relayEnv();
        const { handler } = await loadSerializedHandler("log-relay-rejects", createLogRelayHandler);
        const dns = fixtureLines("route53-resolver", "constructed_resolver_query_logs.ndjson");
        const event = awslogsEvent(dns, { logGroup: GROUPS.dns, firstId: 88_000_000n });
        peer.rejectItems(({ id }) => (id === "88000000" ? { status: 400, type: "mapper_parsing_exception", reason: "failed to parse field [answers]" } : undefined));
        const r: any = await handler(event, ctx);
        expect(r).to.include({ indexed: dns.length - 1, rejected: 1, deadLettered: 1 });
        const puts = s3.commandCalls(PutObjectCommand).map(c => c.args[0].input);
        expect(puts.map(p => [p.Bucket, p.Key])).to.deep.equal([["guardpost-prod-dead-letters", "log-relay/rejected/dns-2026-10/88000000.json"]]);
        expect(peer.docs("dns-2026-10").size).to.equal(dns.length - 1);
        const body = JSON.parse(String(puts[0].Body));
        expect(body.document).to.deep.equal(JSON.parse(dns[0]));
        expect(body.error).to.deep.include({ status: 400, type: "mapper_parsing_exception" });
    });

    it("signed for its own region, as without OPENSEARCH_REGION, the domain refuses the batch and the invocation fails rather than losing it", async () => {
        relayEnv({ OPENSEARCH_REGION: undefined });
        const { handler } = await loadSerializedHandler("log-relay-own-region", createLogRelayHandler);
        const before = peer.requests.length;
        const err = await rejectionOf(handler(awslogsEvent(relayedFlowLines(), { logGroup: GROUPS.vpcflow }), ctx));
        const bulk = peer.requests.slice(before).find(q => q.path === "/_bulk")!;
        expect(bulk.status).to.equal(403);
        expect(String(bulk.headers.authorization)).to.contain(`/${RELAY_REGION}/es/aws4_request`);
        expect(String(err.message)).to.contain(`Credential should be scoped to a valid region, not '${RELAY_REGION}'`);
    });
});
