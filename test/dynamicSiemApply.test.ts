import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { SiemDomain } from "../components/siem/siemDomain";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { MockedResource, runMocked } from "../plan/engine";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { testProvider } from "./support/providers";

const FIXTURES = path.join(__dirname, "fixtures");
const KEY = "AKIDSIEMAPPLYTEST";
const SECRET = "siem-apply-test-secret";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"];
const ADMIN = "arn:aws:iam::222222222222:role/security-admins";
const DEPLOYER = "arn:aws:iam::222222222222:role/guardpost-deployer";
const WRITERS = ["arn:aws:iam::333333333333:role/guardpost-cloudtrail-shipper", "arn:aws:iam::444444444444:role/guardpost-firehose-waf"];

/** The order SiemDomain's dependsOn edges impose (what `pulumi up` would follow). */
const APPLY_ORDER = ["AuditConfig", "Role", "RoleMapping", "IndexTemplate", "IsmPolicy", "IndexBootstrap", "DashboardsObject", "AnomalyDetector"];
const SAVED_ORDER = ["index-pattern", "visualization", "dashboard"];

function ndjsonFile(...parts: string[]): any[] {
    return fs.readFileSync(path.join(FIXTURES, ...parts), "utf8").split("\n").filter(l => l.trim()).map(l => JSON.parse(l));
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}

function loadProvider(text: string): any {
    const dir = path.join(__dirname, ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `siem-apply-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, text);
    try { return require(file).handler(); } finally { fs.unlinkSync(file); }
}

describe("SiemDomain applied to a fresh domain (serialized providers against the peer)", () => {
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    let dynamic: MockedResource[];

    before(async function () {
        this.timeout(120_000);
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true" });
        peer = await OpenSearchPeer.start({ masterBackendRoles: [DEPLOYER] });
        peer.requireAuth("sigv4", { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
        const { resources } = await runMocked(() => {
            new SiemDomain("guardpost-siem", {
                engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 },
                adminRoleArn: ADMIN, deployerRoleArn: DEPLOYER, writerRoleArns: WRITERS, retentionDays: 30,
                accountId: "222222222222", region: "eu-west-1",
                providerRetry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 },
            }, { provider: testProvider("222222222222", "eu-west-1") });
        });
        const rank = (r: MockedResource) => APPLY_ORDER.indexOf(r.type.split(":")[2]) * 10 + Math.max(0, SAVED_ORDER.indexOf(r.inputs.objectType));
        dynamic = resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic/opensearch:")).sort((a, b) => rank(a) - rank(b));
        for (const r of dynamic) {
            // The peer stands in for the domain; credentials come from the environment instead of assuming the deployer role.
            const { roleArn, ...inputs } = { ...r.inputs, endpoint: peer.url };
            const provider = loadProvider(r.inputs.__provider);
            const checked = provider.check ? await provider.check({}, inputs) : { failures: [] };
            expect(checked.failures ?? [], r.name).to.deep.equal([]);
            await provider.create(inputs);
        }
    });

    after(async () => {
        await peer?.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    it("creates every object on an empty domain without a single failed request", () => {
        // audit, role, 3 mappings, 5 templates, ISM, bootstrap, 5 index patterns + 23 visualizations + 5 dashboards, detector
        expect(dynamic).to.have.length(1 + 1 + 3 + 5 + 1 + 1 + 5 + 23 + 5 + 1);
        expect(peer.requests.filter(r => r.status >= 400 && r.status !== 404).map(r => `${r.method} ${r.path} ${r.status}`)).to.deep.equal([]);
    });

    it("turns on security-plugin audit logging for failures and security-config changes, without request bodies", () => {
        const cfg = peer.security.audit.config;
        expect(cfg.enabled).to.equal(true);
        expect(cfg.audit).to.include({ enable_rest: true, log_request_body: false });
        expect(cfg.audit.disabled_rest_categories).to.deep.equal(["AUTHENTICATED", "GRANTED_PRIVILEGES"]);
        expect(cfg.compliance.internal_config).to.equal(true);
    });

    it("maps the writers to the least-privilege role and merges the admin into the built-in roles", () => {
        expect(peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles).to.deep.equal(WRITERS);
        expect(peer.security.rolesMapping.get("all_access")!.backend_roles).to.deep.equal([DEPLOYER, ADMIN]);
        expect(peer.security.rolesMapping.get("security_manager")!.backend_roles).to.deep.equal([DEPLOYER, ADMIN]);
    });

    it("bootstraps today's CloudTrail index from its template, under the retention policy, and starts the detector", () => {
        const today = monthlyIndex("cloudtrail", new Date());
        expect(peer.index(today)!.template).to.equal("guardpost-cloudtrail");
        expect(peer.ism.managed.get(today)).to.equal("guardpost-log-retention");
        const [detector] = [...peer.detectors.values()];
        expect(detector.doc.category_field).to.deep.equal(["principal"]);
        expect(detector.job!.enabled).to.equal(true);
        expect(peer.savedObjects.get("dashboard/guardpost-cloudtrail")!.references).to.have.length(7);
        for (const kind of ["vpcflow", "waf", "dns", "securityhub"]) expect(peer.savedObjects.get(`dashboard/guardpost-${kind}`)!.references, kind).to.have.length(4);
    });

    async function bulk(index: string, docs: any[]): Promise<any> {
        peer.requireAuth("none");
        const body = docs.map(d => `${JSON.stringify({ index: { _index: index } })}\n${JSON.stringify(d)}\n`).join("");
        const res = await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
        return res.json();
    }

    function failures(result: any): string[] {
        return result.items.filter((i: any) => i.index.error).map((i: any) => `${i.index.error.type}: ${i.index.error.reason}`);
    }

    it("accepts every real CloudTrail fixture event, including type-unstable parameters and non-IP sourceIPAddress", async () => {
        const events = [
            ...JSON.parse(fs.readFileSync(path.join(FIXTURES, "cloudtrail", "invictus_stratus_selected_events.json"), "utf8")).Records,
            ...JSON.parse(fs.readFileSync(path.join(FIXTURES, "cloudtrail", "aws_docs_example_events.json"), "utf8")).Records,
        ];
        expect(events.length).to.be.above(150);
        const docs = events.map(e => ({ ...withoutNulls(e), "@timestamp": e.eventTime, geo: { location: { lat: 51.5, lon: -0.1 }, country_iso_code: "GB" } }));
        const result = await bulk("cloudtrail-2023.07.10", docs);
        expect(failures(result)).to.deep.equal([]);
        expect(peer.index("cloudtrail-2023.07.10")!.mappings.properties!.requestParameters).to.deep.equal({ type: "flat_object" });
    });

    it("accepts the WAF, Route 53 Resolver and Security Hub fixtures as Firehose delivers them, under its rotated index names", async () => {
        const waf = [...ndjsonFile("waf", "aws_docs_waf_log_examples.ndjson"), ...ndjsonFile("waf", "otel_waf_logs.ndjson")]
            .map(l => ({ ...l, "@timestamp": new Date(l.timestamp).toISOString() }));
        // Resolver query logs and Security Hub's EventBridge events reach Firehose untransformed: sent as they are.
        const dns = [...ndjsonFile("route53-resolver", "constructed_resolver_query_logs.ndjson"), ...ndjsonFile("route53-resolver", "aws_docs_resolver_query_log_example.ndjson")];
        const hub = ndjsonFile("securityhub", "eventbridge_securityhub_findings_imported_asr.ndjson");
        expect(failures(await bulk("waf-2024-01-01", waf))).to.deep.equal([]);
        expect(failures(await bulk("dns-2024-01-01", dns))).to.deep.equal([]);
        expect(failures(await bulk("securityhub-2024-01-01", hub))).to.deep.equal([]);
        expect(peer.index("securityhub-2024-01-01")!.template).to.equal("guardpost-securityhub");
        expect(peer.index("securityhub-2024-01-01")!.mappings.properties!.time).to.deep.equal({ type: "date" });
    });
});
