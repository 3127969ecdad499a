import { expect } from "chai";
import { anomalyDetectorProvider } from "../components/siem/dynamic/anomalyDetector";
import { auditConfigProvider, overlay } from "../components/siem/dynamic/auditConfig";
import { dashboardsProvider } from "../components/siem/dynamic/dashboards";
import { BOOTSTRAP_DOC_ID, indexBootstrapProvider } from "../components/siem/dynamic/indexBootstrap";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { ismPolicyProvider } from "../components/siem/dynamic/ismPolicy";
import { roleProvider } from "../components/siem/dynamic/role";
import { mergeBackendRoles, roleMappingProvider } from "../components/siem/dynamic/roleMapping";
import { OpenSearchPeer } from "./support/opensearchPeer";

const KEY = "AKIDGUARDPOSTPROVIDER";
const SECRET = "provider-test-secret-not-real";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"];
const MASTER = "arn:aws:iam::111111111111:role/guardpost-siem-admin";

function useEnvCredentials(): () => void {
    const saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true" });
    return () => { for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } };
}

describe("OpenSearch dynamic providers against the peer", () => {
    let peer: OpenSearchPeer;
    let restore: () => void;
    let conn: { endpoint: string; region: string; retry: object; version: string };

    beforeEach(async () => {
        restore = useEnvCredentials();
        peer = await OpenSearchPeer.start({ masterBackendRoles: [MASTER] });
        peer.requireAuth("sigv4", { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
        conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 }, version: "1" };
    });
    afterEach(async () => { await peer.close(); restore(); });

    describe("OpenSearchRole", () => {
        const role = () => ({ ...conn, name: "guardpost_log_writer", clusterPermissions: ["indices:data/write/bulk"],
            indexPermissions: [{ index_patterns: ["cloudtrail-*"], allowed_actions: ["indices:data/write/bulk*", "indices:admin/create"] }] });

        it("create → diff → update → delete round trip, idempotent", async () => {
            const created = await roleProvider.create(role());
            expect(created.id).to.equal("guardpost_log_writer");
            expect(peer.security.roles.get("guardpost_log_writer")!.cluster_permissions).to.deep.equal(["indices:data/write/bulk"]);
            expect((await roleProvider.create(role())).id).to.equal("guardpost_log_writer");
            expect((await roleProvider.diff!(created.id, created.outs, role())).changes).to.equal(false);
            const next = { ...role(), indexPermissions: [{ index_patterns: ["cloudtrail-*", "waf-*"], allowed_actions: ["indices:data/write/bulk*"] }] };
            expect(await roleProvider.diff!(created.id, created.outs, next)).to.include({ changes: true });
            expect((await roleProvider.diff!(created.id, created.outs, next)).replaces).to.deep.equal([]);
            expect((await roleProvider.diff!(created.id, created.outs, { ...role(), name: "other" })).replaces).to.deep.equal(["name"]);
            await roleProvider.update!(created.id, created.outs, next);
            expect((peer.security.roles.get("guardpost_log_writer")!.index_permissions as any)[0].index_patterns).to.deep.equal(["cloudtrail-*", "waf-*"]);
            await roleProvider.delete!(created.id, created.outs);
            expect(peer.security.roles.has("guardpost_log_writer")).to.equal(false);
            await roleProvider.delete!(created.id, created.outs);
        });

        it("refuses to own a built-in role", async () => {
            const checked = await roleProvider.check!({}, { ...role(), name: "all_access" });
            expect(checked.failures![0].reason).to.contain("built-in");
        });
    });

    describe("OpenSearchRoleMapping", () => {
        beforeEach(async () => {
            await roleProvider.create({ ...conn, name: "guardpost_log_writer", clusterPermissions: [], indexPermissions: [] });
        });

        it("mode own: PUT sets exactly our backend roles, overwriting hand edits; delete removes the mapping", async () => {
            const inputs = { ...conn, role: "guardpost_log_writer", mode: "own", backendRoles: ["arn:w1", "arn:w2", "arn:w1"] };
            const created = await roleMappingProvider.create(inputs);
            expect(peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles).to.deep.equal(["arn:w1", "arn:w2"]);
            peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles = ["arn:w1", "arn:by-hand"];
            await roleMappingProvider.update!(created.id, created.outs, { ...inputs, backendRoles: ["arn:w2", "arn:w3"] });
            expect(peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles).to.deep.equal(["arn:w2", "arn:w3"]);
            await roleMappingProvider.delete!(created.id, created.outs);
            expect(peer.security.rolesMapping.has("guardpost_log_writer")).to.equal(false);
            await roleMappingProvider.delete!(created.id, created.outs);
        });

        it("mode merge: adds only ours, keeps the master user and others' entries, and removes only what it added", async () => {
            peer.security.rolesMapping.get("all_access")!.backend_roles = [MASTER, "arn:someone-else"];
            const inputs = { ...conn, role: "all_access", mode: "merge", backendRoles: [MASTER, "arn:ops-admin"] };
            const created = await roleMappingProvider.create(inputs);
            expect(peer.security.rolesMapping.get("all_access")!.backend_roles).to.deep.equal([MASTER, "arn:someone-else", "arn:ops-admin"]);
            expect(created.outs.added).to.deep.equal(["arn:ops-admin"]);
            expect(peer.requestsTo("PUT", "/_plugins/_security/api/rolesmapping")).to.have.length(0);
            const again = await roleMappingProvider.create(inputs);
            expect(again.outs.added).to.deep.equal([]);
            expect((await roleMappingProvider.diff!(created.id, created.outs, inputs)).changes).to.equal(false);

            const next = { ...inputs, backendRoles: [MASTER, "arn:ops-admin-2"] };
            const updated = await roleMappingProvider.update!(created.id, created.outs, next);
            expect(peer.security.rolesMapping.get("all_access")!.backend_roles).to.deep.equal([MASTER, "arn:someone-else", "arn:ops-admin-2"]);
            expect(updated.outs!.added).to.deep.equal(["arn:ops-admin-2"]);

            await roleMappingProvider.delete!(created.id, updated.outs);
            expect(peer.security.rolesMapping.get("all_access")!.backend_roles).to.deep.equal([MASTER, "arn:someone-else"]);
        });

        it("mode merge: a concurrent edit fails the patch's test op, and the read-modify-write is retried", async () => {
            peer.failNext(1, { method: "PATCH", path: "/_plugins/_security/api/rolesmapping/security_manager", status: 400,
                body: { status: "BAD_REQUEST", message: "test operation failed: value mismatch at /backend_roles" } });
            const created = await roleMappingProvider.create({ ...conn, role: "security_manager", mode: "merge", backendRoles: ["arn:ops-admin"] });
            expect(created.outs.added).to.deep.equal(["arn:ops-admin"]);
            expect(peer.requestsTo("GET", "/_plugins/_security/api/rolesmapping/security_manager")).to.have.length(2);
            expect(peer.security.rolesMapping.get("security_manager")!.backend_roles).to.deep.equal([MASTER, "arn:ops-admin"]);
        });

        it("mode merge creates a mapping that does not exist yet", async () => {
            const created = await roleMappingProvider.create({ ...conn, role: "guardpost_log_writer", mode: "merge", backendRoles: ["arn:w"] });
            expect(created.outs.added).to.deep.equal(["arn:w"]);
            expect(peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles).to.deep.equal(["arn:w"]);
        });

        it("refuses mode own for all_access, and changing mode replaces", async () => {
            const checked = await roleMappingProvider.check!({}, { ...conn, role: "all_access", mode: "own", backendRoles: [] });
            expect(checked.failures![0].reason).to.contain("master user");
            const diff = await roleMappingProvider.diff!("x", { ...conn, role: "r", mode: "own", backendRoles: [] }, { ...conn, role: "r", mode: "merge", backendRoles: [] });
            expect(diff.replaces).to.deep.equal(["mode"]);
        });

        it("merge arithmetic: re-adds ours when someone removed it, never claims pre-existing entries", () => {
            expect(mergeBackendRoles(["m"], ["a"], ["m", "a"])).to.deep.equal({ next: ["m", "a"], added: ["a"] });
            expect(mergeBackendRoles(["m", "a"], [], ["a"])).to.deep.equal({ next: ["m", "a"], added: [] });
            expect(mergeBackendRoles(["m", "a", "b"], ["a", "b"], ["b"])).to.deep.equal({ next: ["m", "b"], added: ["b"] });
            expect(mergeBackendRoles(["m", "a"], ["a"], [])).to.deep.equal({ next: ["m"], added: [] });
        });
    });

    describe("IndexTemplate", () => {
        const tpl = () => ({ ...conn, name: "guardpost-waf", body: { index_patterns: ["waf-*"], priority: 200, template: { mappings: { properties: { "@timestamp": { type: "date" } } } } } });

        it("create → diff → update → delete round trip; renames delete first", async () => {
            const created = await indexTemplateProvider.create(tpl());
            expect(peer.templates.get("guardpost-waf").priority).to.equal(200);
            await indexTemplateProvider.create(tpl());
            expect((await indexTemplateProvider.diff!(created.id, created.outs, tpl())).changes).to.equal(false);
            const renamed = await indexTemplateProvider.diff!(created.id, created.outs, { ...tpl(), name: "guardpost-waf-v2" });
            expect(renamed).to.deep.equal({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
            const next = { ...tpl(), body: { ...tpl().body, priority: 201 } };
            await indexTemplateProvider.update!(created.id, created.outs, next);
            expect(peer.templates.get("guardpost-waf").priority).to.equal(201);
            await indexTemplateProvider.delete!(created.id, next);
            expect(peer.templates.has("guardpost-waf")).to.equal(false);
            await indexTemplateProvider.delete!(created.id, next);
        });
    });

    describe("IsmPolicy", () => {
        const policy = (days: number) => ({ ...conn, policyId: "guardpost-retention", policy: { description: "d", default_state: "hot",
            states: [{ name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: `${days}d` } }] },
                { name: "delete", actions: [{ delete: {} }], transitions: [] }],
            ism_template: [{ index_patterns: ["cloudtrail-*"], priority: 100 }] } });

        it("create → update uses if_seq_no/if_primary_term → delete; create over an existing policy adopts it", async () => {
            const created = await ismPolicyProvider.create(policy(90));
            expect(peer.ism.policies.get("guardpost-retention")!.version).to.equal(1);
            await ismPolicyProvider.create(policy(90));
            expect(peer.ism.policies.get("guardpost-retention")!.version).to.equal(2);
            expect((await ismPolicyProvider.diff!(created.id, created.outs, policy(90))).changes).to.equal(false);
            expect((await ismPolicyProvider.diff!(created.id, created.outs, policy(30))).replaces).to.deep.equal([]);
            await ismPolicyProvider.update!(created.id, created.outs, policy(30));
            const stored = peer.ism.policies.get("guardpost-retention")!;
            expect(stored.doc.states[0].transitions[0].conditions.min_index_age).to.equal("30d");
            const puts = peer.requestsTo("PUT", "/_plugins/_ism/policies/guardpost-retention");
            expect(puts[0].query).to.deep.equal({});
            expect(puts[2].query).to.have.keys("if_seq_no", "if_primary_term");
            await ismPolicyProvider.delete!(created.id, created.outs);
            expect(peer.ism.policies.size).to.equal(0);
            await ismPolicyProvider.delete!(created.id, created.outs);
        });

        it("retries when another writer wins between read and conditional write", async () => {
            await ismPolicyProvider.create(policy(90));
            peer.failNext(1, { method: "PUT", path: "/_plugins/_ism/policies/", status: 409,
                body: { error: { type: "version_conflict_engine_exception", reason: "version conflict" }, status: 409 } });
            await ismPolicyProvider.update!("guardpost-retention", policy(90), policy(60));
            expect(peer.ism.policies.get("guardpost-retention")!.doc.states[0].transitions[0].conditions.min_index_age).to.equal("60d");
        });
    });

    describe("DashboardsObject", () => {
        const pattern = () => ({ ...conn, objectType: "index-pattern", objectId: "guardpost-cloudtrail", attributes: { title: "cloudtrail-*", timeFieldName: "@timestamp" } });

        it("create → diff → update → delete round trip with the osd-xsrf header", async () => {
            const created = await dashboardsProvider.create(pattern());
            expect(created.id).to.equal("index-pattern/guardpost-cloudtrail");
            expect(peer.savedObjects.get("index-pattern/guardpost-cloudtrail")!.attributes.title).to.equal("cloudtrail-*");
            expect(peer.requests.at(-1)!.headers["osd-xsrf"]).to.equal("true");
            await dashboardsProvider.create(pattern());
            const next = { ...pattern(), attributes: { title: "cloudtrail-*", timeFieldName: "eventTime" } };
            expect((await dashboardsProvider.diff!(created.id, created.outs, next)).changes).to.equal(true);
            expect((await dashboardsProvider.diff!(created.id, created.outs, { ...pattern(), objectId: "x" })).replaces).to.deep.equal(["objectId"]);
            await dashboardsProvider.update!(created.id, created.outs, next);
            expect(peer.savedObjects.get("index-pattern/guardpost-cloudtrail")!.attributes.timeFieldName).to.equal("eventTime");
            await dashboardsProvider.delete!(created.id, next);
            expect(peer.savedObjects.size).to.equal(0);
            await dashboardsProvider.delete!(created.id, next);
        });
    });

    describe("AuditConfig", () => {
        const settings = (on: boolean) => ({ ...conn, settings: { enabled: on, audit: { enable_transport: false, log_request_body: false }, compliance: { internal_config: true } } });

        it("create → update → delete switches audit logging, keeping every other setting", async () => {
            const before = structuredClone(peer.security.audit.config);
            const created = await auditConfigProvider.create(settings(true));
            const cfg = peer.security.audit.config;
            expect(cfg.enabled).to.equal(true);
            expect(cfg.audit).to.deep.equal({ ...before.audit, enable_transport: false, log_request_body: false });
            expect(cfg.compliance).to.deep.equal(before.compliance);
            expect((await auditConfigProvider.diff!(created.id, created.outs, settings(true))).changes).to.equal(false);
            await auditConfigProvider.update!(created.id, created.outs, { ...settings(true), settings: { enabled: true, audit: { log_request_body: true } } });
            expect(peer.security.audit.config.audit.log_request_body).to.equal(true);
            await auditConfigProvider.delete!(created.id, created.outs);
            expect(peer.security.audit.config.enabled).to.equal(false);
            expect(peer.security.audit.config.audit.log_request_body).to.equal(true);
        });

        it("leaves fields the domain marks read-only untouched instead of failing the PUT", async () => {
            await peer.close();
            peer = await OpenSearchPeer.start({ auditReadonly: ["/compliance/internal_config"] });
            conn = { ...conn, endpoint: peer.url };
            await auditConfigProvider.create({ ...conn, settings: { enabled: true, compliance: { internal_config: false, write_log_diffs: true } } });
            expect(peer.security.audit.config.compliance).to.include({ internal_config: true, write_log_diffs: true });
            expect(overlay({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: 5 }, d: [2] }, ["/a/c"])).to.deep.equal({ a: { b: 5, c: 2 }, d: [2] });
        });
    });

    describe("IndexBootstrap and AnomalyDetector on a fresh domain", () => {
        const template = () => ({ ...conn, name: "guardpost-cloudtrail", body: { index_patterns: ["cloudtrail-*"], priority: 100, template: { mappings: { properties: {
            "@timestamp": { type: "date" }, eventName: { type: "keyword" }, userIdentity: { properties: { arn: { type: "keyword" } } } } } } } });
        const bootstrap = () => ({ ...conn, indexPrefix: "cloudtrail", timeField: "@timestamp",
            document: { eventSource: "guardpost.siem", eventName: "GuardpostSiemBootstrap", userIdentity: { arn: "guardpost:bootstrap" } } });
        const detector = (interval = 10) => ({ ...conn, start: true, detector: { name: "guardpost-cloudtrail-callers", time_field: "@timestamp", indices: ["cloudtrail-*"],
            category_field: ["userIdentity.arn"], detection_interval: { period: { interval, unit: "Minutes" } },
            feature_attributes: [{ feature_name: "events", feature_enabled: true, aggregation_query: { events: { value_count: { field: "eventName" } } } }] } });

        it("explains that the detector needs a document when the indices are empty", async () => {
            await indexTemplateProvider.create(template());
            const err = await anomalyDetectorProvider.create(detector()).catch(e => e);
            expect(err.message).to.contain("no document is found");
            expect(err.message).to.contain("IndexBootstrap");
        });

        it("bootstraps today's index from its template with one marker document, once", async () => {
            await indexTemplateProvider.create(template());
            const first = await indexBootstrapProvider.create(bootstrap());
            const today = monthlyIndex("cloudtrail", new Date());
            expect(first.outs).to.include({ index: today, seeded: true });
            expect(peer.index(today)!.template).to.equal("guardpost-cloudtrail");
            const marker = peer.docs(today).get(BOOTSTRAP_DOC_ID);
            expect(marker.eventName).to.equal("GuardpostSiemBootstrap");
            expect(Date.parse(marker["@timestamp"])).to.be.closeTo(Date.now(), 60_000);
            const second = await indexBootstrapProvider.create(bootstrap());
            expect(second.outs.seeded).to.equal(false);
            expect(peer.docs(today).size).to.equal(1);
            await indexBootstrapProvider.delete!(first.id, first.outs);
            expect(peer.docs(today).size).to.equal(0);
            expect(peer.indices()).to.include(today);
        });

        it("does not seed when logs already arrived", async () => {
            await indexTemplateProvider.create(template());
            peer.requireAuth("none");
            await fetch(`${peer.url}/cloudtrail-2020.01.01/_doc/real`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ eventName: "x" }) });
            peer.requireAuth("sigv4", { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
            const out = await indexBootstrapProvider.create(bootstrap());
            expect(out.outs.seeded).to.equal(false);
            expect(peer.docs(monthlyIndex("cloudtrail", new Date())).size).to.equal(0);
        });

        it("create (and start) → update stops, changes, restarts → adopt by name → delete stops and deletes", async () => {
            await indexTemplateProvider.create(template());
            await indexBootstrapProvider.create(bootstrap());
            const created = await anomalyDetectorProvider.create(detector());
            expect(created.id).to.equal("guardpost-cloudtrail-callers");
            const id = created.outs.detectorId;
            expect(peer.detectors.get(id)!.job!.enabled).to.equal(true);
            expect((await anomalyDetectorProvider.diff!(created.id, created.outs, detector())).changes).to.equal(false);
            expect((await anomalyDetectorProvider.diff!(created.id, created.outs, detector(5))).changes).to.equal(true);

            const updated = await anomalyDetectorProvider.update!(created.id, created.outs, detector(5));
            expect(updated.outs!.detectorId).to.equal(id);
            expect(peer.detectors.get(id)!.doc.detection_interval.period.interval).to.equal(5);
            expect(peer.detectors.get(id)!.job!.enabled).to.equal(true);
            expect(peer.requests.filter(r => r.path.endsWith("/_stop")).length).to.equal(1);

            const adopted = await anomalyDetectorProvider.create(detector(5));
            expect(adopted.outs.detectorId).to.equal(id);
            expect(peer.detectors.size).to.equal(1);

            await anomalyDetectorProvider.delete!(created.id, updated.outs);
            expect(peer.detectors.size).to.equal(0);
            await anomalyDetectorProvider.delete!(created.id, updated.outs);
        });

        it("recreates a detector deleted out of band on update", async () => {
            await indexTemplateProvider.create(template());
            await indexBootstrapProvider.create(bootstrap());
            const created = await anomalyDetectorProvider.create({ ...detector(), start: false });
            peer.detectors.clear();
            const updated = await anomalyDetectorProvider.update!(created.id, created.outs, { ...detector(), start: false });
            expect(updated.outs!.detectorId).to.not.equal(created.outs.detectorId);
            expect(peer.detectors.get(updated.outs!.detectorId)!.job).to.equal(undefined);
        });
    });
});
