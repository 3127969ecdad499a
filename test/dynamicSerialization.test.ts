import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { AnomalyDetector } from "../components/siem/dynamic/anomalyDetector";
import { AuditConfig } from "../components/siem/dynamic/auditConfig";
import { DashboardsIndexPattern, DashboardsObject } from "../components/siem/dynamic/dashboards";
import { IndexBootstrap } from "../components/siem/dynamic/indexBootstrap";
import { IndexTemplate } from "../components/siem/dynamic/indexTemplate";
import { IsmPolicy } from "../components/siem/dynamic/ismPolicy";
import { OpenSearchRole } from "../components/siem/dynamic/role";
import { OpenSearchRoleMapping } from "../components/siem/dynamic/roleMapping";
import { NotificationChannel } from "../components/siem/dynamic/notificationChannel";
import { SecurityAnalyticsDetector } from "../components/siem/dynamic/securityAnalyticsDetector";
import { AlertingMonitor } from "../components/siem/dynamic/alertingMonitor";
import { vpcRejectBurstMonitor } from "../components/siem/siemDetections";
import { runMocked } from "../plan/engine";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { startStsPeer } from "./support/stsPeer";
import { OPENSEARCH_PROVIDER_SESSION, sessionNameCondition } from "../model/sessionName";

const SECRET = "serialization-test-secret-value";
const KEY = "AKIDSERIALIZATIONTEST";
const TOKEN = "serialization-test-session-token";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL_STS"];

/** Loads a serialized provider the way Pulumi's dynamic provider host does (`require(text).handler()`). */
function loadProvider(name: string, text: string): any {
    const dir = path.join(__dirname, ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `provider-${name}-${process.pid}-${Date.now()}.js`);
    fs.writeFileSync(file, text);
    try { return require(file).handler(); } finally { fs.unlinkSync(file); }
}

describe("OpenSearch dynamic resources: the serialized __provider", () => {
    let saved: Record<string, string | undefined>;
    let providers: Map<string, string>;
    let peer: OpenSearchPeer;

    /** One input set per resource type, in dependency order, and a changed version of it. */
    function cases(conn: object): Array<{ type: string; make: (inputs: any) => unknown; inputs: any; next: any }> {
        const tpl = { name: "guardpost-t", body: { index_patterns: ["t-*"], template: { mappings: { properties: {
            "@timestamp": { type: "date" }, who: { type: "keyword" } } } } } };
        const det = { name: "d", time_field: "@timestamp", indices: ["t-*"], category_field: ["who"],
            feature_attributes: [{ feature_name: "n", feature_enabled: true, aggregation_query: { n: { value_count: { field: "who" } } } }] };
        const policy = { default_state: "a", states: [{ name: "a", actions: [], transitions: [] }] };
        const list: Array<{ type: string; make: (inputs: any) => unknown; inputs: any; next: any }> = [
            { type: "Role", make: i => new OpenSearchRole("role", i), inputs: { name: "guardpost_log_writer", clusterPermissions: [], indexPermissions: [] },
                next: { name: "guardpost_log_writer", clusterPermissions: ["indices:data/write/bulk"], indexPermissions: [] } },
            { type: "RoleMapping", make: i => new OpenSearchRoleMapping("mapping", i), inputs: { role: "guardpost_log_writer", mode: "own", backendRoles: ["arn:w"] },
                next: { role: "guardpost_log_writer", mode: "own", backendRoles: ["arn:w", "arn:v"] } },
            { type: "AuditConfig", make: i => new AuditConfig("audit", i), inputs: { settings: { enabled: true } }, next: { settings: { enabled: true, audit: { enable_rest: true } } } },
            { type: "IndexTemplate", make: i => new IndexTemplate("template", i), inputs: tpl, next: { ...tpl, body: { ...tpl.body, priority: 5 } } },
            { type: "IsmPolicy", make: i => new IsmPolicy("ism", i), inputs: { policyId: "p", policy }, next: { policyId: "p", policy: { ...policy, description: "v2" } } },
            { type: "DashboardsObject", make: i => new DashboardsObject("object", i), inputs: { objectType: "visualization", objectId: "v", attributes: { title: "v" } },
                next: { objectType: "visualization", objectId: "v", attributes: { title: "v2" } } },
            { type: "IndexBootstrap", make: i => new IndexBootstrap("bootstrap", i), inputs: { indexPrefix: "t-", timeField: "@timestamp", document: { who: "bootstrap" } },
                next: { indexPrefix: "t-", timeField: "@timestamp", document: { who: "bootstrap-2" } } },
            { type: "AnomalyDetector", make: i => new AnomalyDetector("detector", i), inputs: { start: true, detector: det }, next: { start: true, detector: { ...det, description: "v2" } } },
            { type: "NotificationChannel", make: i => new NotificationChannel("channel", i),
                inputs: { channelId: "c1", name: "alerts", topicArn: "arn:aws:sns:us-east-1:111111111111:alerts", publishRoleArn: "arn:aws:iam::111111111111:role/publish" },
                next: { channelId: "c1", name: "alerts v2", topicArn: "arn:aws:sns:us-east-1:111111111111:alerts", publishRoleArn: "arn:aws:iam::111111111111:role/publish" } },
            { type: "SecurityAnalyticsDetector", make: i => new SecurityAnalyticsDetector("sa", i),
                inputs: { name: "guardpost t", detectorType: "cloudtrail", indexPattern: "t-*", ruleTitles: ["AWS Root Credentials"], channelId: "c1" },
                next: { name: "guardpost t", detectorType: "cloudtrail", indexPattern: "t-*", ruleTitles: ["AWS Root Credentials", "AWS CloudTrail Important Change"], channelId: "c1" } },
            { type: "AlertingMonitor", make: i => new AlertingMonitor("monitor", i), inputs: { monitor: vpcRejectBurstMonitor("c1") }, next: { monitor: vpcRejectBurstMonitor("c1", 50) } },
        ];
        return list.map(c => ({ ...c, inputs: { ...conn, ...c.inputs }, next: { ...conn, ...c.next } }));
    }

    before(async function () {
        this.timeout(120_000);
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        // Credentials present in the deploying process must not end up in the serialized code.
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN, AWS_EC2_METADATA_DISABLED: "true" });
        peer = await OpenSearchPeer.start();
        const conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 } };
        const { resources } = await runMocked(() => {
            for (const c of cases(conn)) c.make({ ...c.inputs });
            new DashboardsIndexPattern("pattern", { ...conn, objectId: "ip", title: "t-*", timeFieldName: "@timestamp" });
        });
        providers = new Map(resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic/opensearch:")).map(r => [r.type.split(":")[2], r.inputs.__provider]));
    });

    after(async () => {
        await peer?.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    it("registers every OpenSearch resource as a dynamic resource with a serialized provider", () => {
        expect([...providers.keys()].sort()).to.deep.equal(["AlertingMonitor", "AnomalyDetector", "AuditConfig", "DashboardsObject", "IndexBootstrap", "IndexTemplate", "IsmPolicy", "NotificationChannel",
            "Role", "RoleMapping", "SecurityAnalyticsDetector"]);
        for (const text of providers.values()) expect(text).to.be.a("string").and.contain("exports.handler");
    });

    it("contains no credentials, secrets or tokens from the deploying environment", () => {
        for (const [type, text] of providers) {
            for (const forbidden of [SECRET, KEY, TOKEN]) expect(text, type).to.not.contain(forbidden);
            expect(text, type).to.not.match(/(AKIA|ASIA)[0-9A-Z]{16}/);
            expect(text, type).to.not.match(/secretAccessKey\s*[:=]\s*["'`]/i);
            expect(text, type).to.not.match(/sessionToken\s*[:=]\s*["'`]/i);
        }
    });

    it("captures node_modules by require, not by value", () => {
        const role = providers.get("Role")!;
        expect(role).to.contain('require("@opensearch-project/opensearch")');
        expect(role).to.contain('require("@aws-sdk/credential-providers")');
    });

    it("runs from its serialized text: check, create, diff, update and delete of every type against the peer", async () => {
        peer.requireAuth("sigv4", { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
        const conn = { endpoint: peer.url, region: "us-east-1", version: "1", retry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 } };
        const done: Array<{ provider: any; id: string; outs: any }> = [];
        for (const c of cases(conn)) {
            const provider = loadProvider(c.type, providers.get(c.type)!);
            if (provider.check) expect((await provider.check({}, c.inputs)).failures ?? [], c.type).to.deep.equal([]);
            const created = await provider.create(c.inputs);
            expect((await provider.diff(created.id, created.outs, c.inputs)).changes, c.type).to.equal(false);
            // `pulumi refresh` runs `read` from this same text, with the stored state (sdk/nodejs/cmd/dynamic-provider, read).
            const refreshed = await provider.read(created.id, { ...created.outs, __provider: providers.get(c.type) });
            expect(refreshed.id, c.type).to.equal(created.id);
            expect((await provider.diff(created.id, refreshed.props, c.inputs)).changes, `${c.type} after refresh`).to.equal(false);
            // A domain deleted outside Pulumi: refresh reads the resource as gone instead of failing.
            expect(await provider.read(created.id, { ...created.outs, endpoint: "https://search-deleted-domain.guardpost.invalid" }), `${c.type} on a gone domain`).to.deep.equal({});
            expect((await provider.diff(created.id, created.outs, c.next)).changes, c.type).to.equal(true);
            const updated = await provider.update(created.id, created.outs, c.next);
            done.push({ provider, id: created.id, outs: updated.outs });
        }
        expect(peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles).to.deep.equal(["arn:w", "arn:v"]);
        expect(peer.templates.get("guardpost-t").priority).to.equal(5);
        expect(peer.detectors.size).to.equal(1);
        for (const d of done.reverse()) await d.provider.delete(d.id, d.outs);
        expect(peer.templates.size + peer.ism.policies.size + peer.savedObjects.size + peer.detectors.size).to.equal(0);
        expect(peer.detections.channels.size + peer.detections.saDetectors.size + peer.detections.monitors.size).to.equal(0);
        expect(peer.security.roles.has("guardpost_log_writer")).to.equal(false);
        expect(peer.requests.every(r => String(r.headers.authorization).startsWith(`AWS4-HMAC-SHA256 Credential=${KEY}/`))).to.equal(true);
    });

    it("assumes the deployer role as a guardpost- session from its serialized text, which the deployer trust policy admits", async () => {
        const role = "arn:aws:iam::222222222222:role/guardpost-deployer";
        const ci = "arn:aws:iam::222222222222:role/guardpost-ci";
        const sts = await startStsPeer({
            trustPolicies: { [role]: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: ci }, Action: ["sts:AssumeRole", "sts:TagSession"], Condition: sessionNameCondition() }] } },
            principals: { [KEY]: ci },
        });
        process.env.AWS_ENDPOINT_URL_STS = sts.url;
        peer.requireAuth("sigv4", { credentials: { accessKeyId: "ASIAGUARDPOSTASSUMED", secretAccessKey: "assumed-secret" } });
        try {
            const provider = loadProvider("Role", providers.get("Role")!);
            const inputs = { endpoint: peer.url, region: "us-east-1", roleArn: role, version: "1", name: "guardpost_session_check", clusterPermissions: [], indexPermissions: [],
                retry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 } };
            const created = await provider.create(inputs);
            expect(peer.security.roles.has("guardpost_session_check")).to.equal(true);
            await provider.delete(created.id, created.outs);
            expect(sts.calls.every(c => c.allowed && c.sessionName === OPENSEARCH_PROVIDER_SESSION && c.roleArn === role)).to.equal(true);
            expect(sts.calls.length).to.be.greaterThan(0);
        } finally {
            delete process.env.AWS_ENDPOINT_URL_STS;
            await sts.close();
        }
    });
});
