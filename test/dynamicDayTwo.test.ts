import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { alertingMonitorProvider } from "../components/siem/dynamic/alertingMonitor";
import { notificationChannelProvider } from "../components/siem/dynamic/notificationChannel";
import { securityAnalyticsDetectorProvider } from "../components/siem/dynamic/securityAnalyticsDetector";
import { anomalyDetectorProvider } from "../components/siem/dynamic/anomalyDetector";
import { auditConfigProvider } from "../components/siem/dynamic/auditConfig";
import { dashboardsProvider } from "../components/siem/dynamic/dashboards";
import { indexBootstrapProvider } from "../components/siem/dynamic/indexBootstrap";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { ismPolicyProvider } from "../components/siem/dynamic/ismPolicy";
import { roleProvider } from "../components/siem/dynamic/role";
import { roleMappingProvider } from "../components/siem/dynamic/roleMapping";
import { SiemDomain } from "../components/siem/siemDomain";
import { runMocked } from "../plan/engine";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { testProvider } from "./support/providers";

/**
 * Day two of the OpenSearch dynamic resources: `pulumi refresh` calls each provider's `read` with the state
 * it stored — `__provider` included, so it works for refresh; pulumi/pulumi#16175 is about `import`/`get`,
 * where no state exists (sdk/nodejs/cmd/dynamic-provider/index.ts, `read`) — and a drift found there makes the
 * next `pulumi up` diff and put it back. Delete must not spend its retry budget on a domain that no longer
 * exists, and `pulumi destroy` must delete every object before the access policy and the domain it lives in.
 */

const KEY = "AKIDGUARDPOSTDAYTWO";
const SECRET = "day-two-test-secret-not-real";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"];
const MASTER = "arn:aws:iam::111111111111:role/guardpost-deployer";

describe("OpenSearch dynamic providers on day two: read, delete when the domain is gone, destroy order", function () {
    this.timeout(60_000);
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    let conn: any;

    beforeEach(async () => {
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true" });
        peer = await OpenSearchPeer.start({ masterBackendRoles: [MASTER] });
        peer.requireAuth("sigv4", { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
        conn = { endpoint: peer.url, region: "us-east-1", version: "2", retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 } };
    });
    afterEach(async () => {
        await peer.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    /** Refresh then the next `up`: read's props become the olds the program's inputs are diffed against. */
    async function drift(provider: any, id: string, outs: any, inputs: any): Promise<{ changes: boolean; props: any; id?: string }> {
        const read = await provider.read(id, outs);
        if (!read.id) return { changes: true, props: read.props, id: read.id };
        return { changes: (await provider.diff(id, read.props, inputs)).changes, props: read.props, id: read.id };
    }

    const template = () => ({ ...conn, name: "guardpost-t", body: { index_patterns: ["t-*"], priority: 100, template: {
        settings: { index: { number_of_shards: 1, number_of_replicas: 0 } }, mappings: { properties: { "@timestamp": { type: "date" }, who: { type: "keyword" } } } } } });

    it("reads every type back without drift right after creating it", async () => {
        const role = { ...conn, name: "guardpost_log_writer", clusterPermissions: ["indices:data/write/bulk"], indexPermissions: [{ index_patterns: ["t-*"], allowed_actions: ["indices:data/write/index"] }] };
        const cases: Array<[string, any, any]> = [
            ["role", roleProvider, role],
            ["mapping", roleMappingProvider, { ...conn, role: "guardpost_log_writer", mode: "own", backendRoles: ["arn:aws:iam::1:role/w"] }],
            ["merge", roleMappingProvider, { ...conn, role: "all_access", mode: "merge", backendRoles: ["arn:aws:iam::1:role/admins"] }],
            ["template", indexTemplateProvider, template()],
            ["ism", ismPolicyProvider, { ...conn, policyId: "p", policy: { description: "d", default_state: "hot", states: [{ name: "hot", actions: [], transitions: [] }], ism_template: [{ index_patterns: ["t-*"], priority: 100 }] } }],
            ["audit", auditConfigProvider, { ...conn, settings: { enabled: true, audit: { log_request_body: false } } }],
            ["dashboards", dashboardsProvider, { ...conn, objectType: "visualization", objectId: "v", attributes: { title: "v", visState: "{}" } }],
            ["bootstrap", indexBootstrapProvider, { ...conn, indexPrefix: "t", timeField: "@timestamp", document: { who: "guardpost" } }],
            ["detector", anomalyDetectorProvider, { ...conn, start: true, detector: { name: "d", time_field: "@timestamp", indices: ["t-*"], category_field: ["who"],
                feature_attributes: [{ feature_name: "n", feature_enabled: true, aggregation_query: { n: { value_count: { field: "who" } } } }] } }],
        ];
        for (const [what, provider, inputs] of cases) {
            const created = await provider.create(inputs);
            const d = await drift(provider, created.id, created.outs, inputs);
            expect(d.id, what).to.equal(created.id);
            expect(d.changes, what).to.equal(false);
        }
    });

    it("shows changes made outside Pulumi as drift, and the next update puts them back", async () => {
        const role = { ...conn, name: "guardpost_analyst", clusterPermissions: ["cluster_composite_ops_ro"], indexPermissions: [{ index_patterns: ["t-*"], allowed_actions: ["read"] }] };
        const r = await roleProvider.create(role);
        (peer.security.roles.get("guardpost_analyst") as any).index_permissions[0].allowed_actions = ["read", "write"];
        expect((await drift(roleProvider, r.id, r.outs, role)).changes).to.equal(true);
        await roleProvider.update!(r.id, r.outs, role);
        expect((peer.security.roles.get("guardpost_analyst") as any).index_permissions[0].allowed_actions).to.deep.equal(["read"]);

        const merge = { ...conn, role: "security_manager", mode: "merge", backendRoles: ["arn:aws:iam::1:role/admins"] };
        const m = await roleMappingProvider.create(merge);
        peer.security.rolesMapping.get("security_manager")!.backend_roles = [MASTER];
        const md = await drift(roleMappingProvider, m.id, m.outs, merge);
        expect(md.changes).to.equal(true);
        expect(md.props.backendRoles).to.deep.equal([]);
        await roleMappingProvider.update!(m.id, md.props, merge);
        expect(peer.security.rolesMapping.get("security_manager")!.backend_roles).to.deep.equal([MASTER, "arn:aws:iam::1:role/admins"]);

        const t = await indexTemplateProvider.create(template());
        peer.templates.get("guardpost-t").priority = 5;
        expect((await drift(indexTemplateProvider, t.id, t.outs, template())).changes).to.equal(true);

        const audit = { ...conn, settings: { enabled: true } };
        const a = await auditConfigProvider.create(audit);
        peer.security.audit.config.enabled = false;
        expect((await drift(auditConfigProvider, a.id, a.outs, audit)).changes).to.equal(true);

        await indexTemplateProvider.update!(t.id, t.outs, template());
        const det = { ...conn, start: true, detector: { name: "d", time_field: "@timestamp", indices: ["t-*"], category_field: ["who"],
            feature_attributes: [{ feature_name: "n", feature_enabled: true, aggregation_query: { n: { value_count: { field: "who" } } } }] } };
        const b = await indexBootstrapProvider.create({ ...conn, indexPrefix: "t", timeField: "@timestamp", document: { who: "guardpost" } });
        const dd = await anomalyDetectorProvider.create(det);
        [...peer.detectors.values()][0].job!.enabled = false;
        const dr = await drift(anomalyDetectorProvider, dd.id, dd.outs, det);
        expect(dr.props.start).to.equal(false);
        expect(dr.changes).to.equal(true);
        peer.index(b.outs.index)!.docs.clear();
        expect((await indexBootstrapProvider.read!(b.id, b.outs)).props.seeded).to.equal(false);
    });

    it("reports a deleted object as gone, so refresh drops it and the next up recreates it", async () => {
        const t = await indexTemplateProvider.create(template());
        peer.templates.delete("guardpost-t");
        expect((await indexTemplateProvider.read!(t.id, t.outs)).id).to.equal(undefined);
        const r = await roleProvider.create({ ...conn, name: "guardpost_x", clusterPermissions: [], indexPermissions: [] });
        peer.security.roles.delete("guardpost_x");
        expect((await roleProvider.read!(r.id, r.outs)).id).to.equal(undefined);
    });

    it("keeps a person's edit of a managed dashboard object as a copy before overwriting it, and never duplicates guardpost's own", async () => {
        const vis = { ...conn, objectType: "visualization", objectId: "guardpost-vis", attributes: { title: "Top talkers", visState: "{\"a\":1}" }, references: [] };
        const created = await dashboardsProvider.create(vis);
        const again = await dashboardsProvider.update!(created.id, created.outs, vis);
        expect(again.outs.preservedCopies).to.deep.equal([]);
        expect([...peer.savedObjects.keys()]).to.deep.equal(["visualization/guardpost-vis"]);

        peer.savedObjects.get("visualization/guardpost-vis")!.attributes = { title: "Top talkers (mine)", visState: "{\"a\":2}" };
        peer.savedObjects.get("visualization/guardpost-vis")!.version += 1;
        const refreshed = await drift(dashboardsProvider, created.id, again.outs, vis);
        expect(refreshed.changes).to.equal(true);
        const updated = await dashboardsProvider.update!(created.id, refreshed.props, vis);
        expect(updated.outs.preservedCopies).to.have.length(1);
        const copy = peer.savedObjects.get(`visualization/${updated.outs.preservedCopies[0]}`)!;
        expect(copy.attributes).to.deep.equal({ title: "Top talkers (mine) (edited copy)", visState: "{\"a\":2}" });
        expect(peer.savedObjects.get("visualization/guardpost-vis")!.attributes).to.deep.equal(vis.attributes);
    });

    it("upgrading from state written before edits were tracked does not mistake guardpost's own object for a person's edit", async () => {
        const v1 = { ...conn, objectType: "dashboard", objectId: "guardpost-waf", attributes: { title: "WAF", panelsJSON: "[1]" } };
        const created = await dashboardsProvider.create(v1);
        const { writtenVersion, writtenDigest, preservedCopies, ...stateOfV1 } = created.outs;
        const updated = await dashboardsProvider.update!(created.id, stateOfV1, { ...v1, attributes: { title: "WAF", panelsJSON: "[1,2]" } });
        expect(updated.outs.preservedCopies).to.deep.equal([]);
        expect([...peer.savedObjects.keys()]).to.deep.equal(["dashboard/guardpost-waf"]);
    });

    describe("delete when the domain is gone", () => {
        const kinds: Array<[string, any, any]> = [
            ["role", roleProvider, { name: "r", clusterPermissions: [], indexPermissions: [] }],
            ["own mapping", roleMappingProvider, { role: "r", mode: "own", backendRoles: [] }],
            ["merged mapping", roleMappingProvider, { role: "all_access", mode: "merge", backendRoles: [], added: ["arn:aws:iam::1:role/a"] }],
            ["template", indexTemplateProvider, { name: "t", body: { index_patterns: ["t-*"] } }],
            ["ism", ismPolicyProvider, { policyId: "p", policy: {} }],
            ["audit", auditConfigProvider, { settings: { enabled: true } }],
            ["dashboards", dashboardsProvider, { objectType: "visualization", objectId: "v", attributes: {} }],
            ["bootstrap", indexBootstrapProvider, { indexPrefix: "t", index: "t-2025-01", seeded: true }],
            ["detector", anomalyDetectorProvider, { detector: { name: "d" }, detectorId: "x" }],
        ];

        it("returns within a second when the endpoint's name no longer resolves (NXDOMAIN), with the default 300 s budget", async () => {
            for (const [what, provider, props] of kinds) {
                const started = Date.now();
                await provider.delete("id", { ...props, endpoint: "https://search-deleted-domain.guardpost.invalid", region: "us-east-1" });
                expect(Date.now() - started, what).to.be.below(1_000);
            }
        });

        it("reads every resource as gone (refresh drops it) when the endpoint's name no longer resolves, instead of failing the refresh", async () => {
            const all: Array<[string, any, any]> = [...kinds,
                ["alerting monitor", alertingMonitorProvider, { monitor: { name: "m" }, monitorId: "x" }],
                ["notification channel", notificationChannelProvider, { channelId: "c", config: {} }],
                ["security analytics detector", securityAnalyticsDetectorProvider, { name: "d", detectorId: "x" }],
            ];
            for (const [what, provider, props] of all) {
                const started = Date.now();
                expect(await provider.read("id", { ...props, endpoint: "https://search-deleted-domain.guardpost.invalid", region: "us-east-1" }), what).to.deep.equal({});
                expect(Date.now() - started, what).to.be.below(1_000);
            }
        });

        it("returns at once when the endpoint answers 404 to everything, as no live domain does to GET /", async () => {
            const server = http.createServer((_req, res) => { res.writeHead(404, { "content-type": "application/json" }); res.end('{"message":"Not Found"}'); });
            const broken = http.createServer((req, res) => {
                res.writeHead(req.url === "/" ? 404 : 503, { "content-type": "application/json" });
                res.end(req.url === "/" ? '{"message":"Not Found"}' : '{"message":"Service Unavailable"}');
            });
            await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
            await new Promise<void>(r => broken.listen(0, "127.0.0.1", r));
            try {
                for (const [s, label] of [[server, "404"], [broken, "503 + 404 on /"]] as const) {
                    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
                    for (const [what, provider, props] of kinds) {
                        const started = Date.now();
                        await provider.delete("id", { ...props, endpoint: url, region: "us-east-1" });
                        expect(Date.now() - started, `${what} (${label})`).to.be.below(2_000);
                    }
                }
            } finally {
                server.close();
                broken.close();
            }
        });

        it("still retries a live domain that is busy (503 while GET / answers), and gives up only at its budget", async () => {
            peer.failNext(100, { status: 503, body: { message: "busy" }, path: "/_index_template" });
            const started = Date.now();
            const err = await indexTemplateProvider.delete!("t", { ...conn, name: "t", body: { index_patterns: ["t-*"] }, retry: { initialDelayMs: 20, maxDelayMs: 50, timeoutSeconds: 1 } }).catch(e => e);
            expect(err?.message).to.match(/gave up after \d+ attempts/);
            expect(Date.now() - started).to.be.at.least(700);
        });
    });

    it("pulumi destroy order: every OpenSearch object waits for the domain and its access policy, so destroy deletes it before them", async () => {
        const direct = new Map<string, string[]>();
        const types = new Map<string, string>();
        await runMocked(() => {
            const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
            const register = monitor.registerResource.bind(monitor);
            monitor.registerResource = (req: any, callback: any) => {
                direct.set(req.getName(), req.getDependenciesList().map((urn: string) => urn.split("::").pop()));
                types.set(req.getName(), req.getType());
                return register(req, callback);
            };
            new SiemDomain("guardpost-siem", {
                engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 }, retentionDays: 30,
                adminRoleArn: MASTER, deployerRoleArn: MASTER, writerRoleArns: [], accountId: "111111111111", region: "eu-west-1",
            }, { provider: testProvider("111111111111", "eu-west-1") });
        });
        const waitsFor = (name: string, seen = new Set<string>()): Set<string> => {
            for (const d of direct.get(name) ?? []) if (!seen.has(d)) { seen.add(d); waitsFor(d, seen); }
            return seen;
        };
        const dynamic = [...types].filter(([, t]) => t.startsWith("pulumi-nodejs:dynamic/opensearch:")).map(([n]) => n);
        expect(dynamic.length).to.be.greaterThan(15);
        for (const name of dynamic) {
            // Through `endpoint` (the domain's output) and dependsOn (the policy): Pulumi deletes dependents first.
            expect([...waitsFor(name)], name).to.include.members(["guardpost-siem-domain", "guardpost-siem-access"]);
        }
        // The writers' mapping goes before the role it maps.
        expect([...waitsFor("guardpost-siem-writer-mapping")]).to.include("guardpost-siem-writer-role");
    });
});
