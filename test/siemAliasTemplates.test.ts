import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { SiemDomain } from "../components/siem/siemDomain";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { MockedResource, runMocked } from "../plan/engine";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { PRE_PACKAGED_RULES } from "./support/opensearchPeerDetections";
import { testProvider } from "./support/providers";

/**
 * Security Analytics keeps the alias mappings of an index pattern in a component template it composes into the
 * matching index template (test/support/opensearchPeerSaMappings.ts, after security-analytics IndexTemplateManager.java
 * `upsertIndexTemplateWithAliasMappings`). guardpost owns that template and re-PUTs it whenever its body changes;
 * here the serialized providers apply the whole SIEM to the peer, a replica change updates every template, and the
 * month after, the DNS rule that reads `query` through the `dns.question.name → query_name` alias must still fire.
 * The last test PUTs the body the way the provider used to, to show the peer really loses the alias then.
 */

const ACCOUNT = "222222222222";
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
const KEY = "AKIDALIASTEMPLATES";
const SECRET = "alias-templates-test-secret";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"];
const ORDER = ["AuditConfig", "Role", "IndexTemplate", "IsmPolicy", "RoleMapping", "IndexBootstrap", "DashboardsObject", "AnomalyDetector", "NotificationChannel", "SecurityAnalyticsDetector", "AlertingMonitor"];
const DNS_COMPONENT = ".opensearch-sap-alias-mappings-component-dns-";
const COBALT = PRE_PACKAGED_RULES.find(r => r.title === "Cobalt Strike DNS Beaconing")!.id;

/** The SIEM as `pulumi up` would declare it on `instanceCount` data nodes (replicas follow: 0 on one node, else 1). */
async function declared(instanceCount: number): Promise<MockedResource[]> {
    const { resources } = await runMocked(() => {
        new SiemDomain("guardpost-siem", {
            engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount, volumeSizeGiB: 20 }, retentionDays: 30,
            adminRoleArn: DEPLOYER, deployerRoleArn: DEPLOYER, writerRoleArns: [], accountId: ACCOUNT, region: "eu-west-1",
            alarmTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:guardpost-alerts`, detectionTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:guardpost-siem`,
            providerRetry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 },
        }, { provider: testProvider(ACCOUNT, "eu-west-1") });
    });
    return resources;
}

function loadProvider(text: string): any {
    const dir = path.join(__dirname, ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `alias-templates-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, text);
    try { return require(file).handler(); } finally { fs.unlinkSync(file); }
}

/** The index the writers use `months` calendar months from now. */
function monthIndex(months: number): string {
    const now = new Date();
    return monthlyIndex("dns", new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, 15)));
}

describe("Security Analytics' alias component survives a template change (serialized providers against the peer)", function () {
    this.timeout(120_000);
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    /** What `pulumi up` left in state for each dynamic resource: its provider text, id and outputs. */
    const state = new Map<string, { type: string; text: string; id: string; outs: any }>();
    let next: MockedResource[];

    const inputsOf = (r: MockedResource) => { const { roleArn, ...inputs } = { ...r.inputs, endpoint: peer.url }; return inputs; };
    const templates = () => [...state].filter(([, s]) => s.type === "IndexTemplate");

    async function bulk(index: string, docs: any[]): Promise<void> {
        const body = docs.map(d => `${JSON.stringify({ index: { _index: index } })}\n${JSON.stringify(d)}\n`).join("");
        const res: any = await (await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body })).json();
        expect(res.errors, JSON.stringify(res.items.find((i: any) => i.index.error))).to.equal(false);
    }

    /** A Route 53 Resolver record of a Cobalt Strike beacon lookup, written to `index`; returns the rules that fired on it. */
    async function beaconIn(index: string): Promise<string[]> {
        await bulk(index, [{ query_timestamp: new Date().toISOString(), query_name: "aaa.stage.8734.evil.example.", query_type: "TXT", rcode: "NOERROR", srcaddr: "10.0.3.9" }]);
        peer.runDetections();
        return peer.detections.findings.filter(f => f.index === index).map(f => f.ruleId);
    }

    before(async () => {
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true" });
        peer = await OpenSearchPeer.start({ masterBackendRoles: [DEPLOYER] });
        peer.requireAuth("none");
        const rank = (r: MockedResource) => ORDER.indexOf(r.type.split(":")[2]) * 10 + ["index-pattern", "visualization", "dashboard"].indexOf(r.inputs.objectType ?? "");
        const dyn = (await declared(1)).filter(r => r.type.startsWith("pulumi-nodejs:dynamic/opensearch:")).sort((a, b) => rank(a) - rank(b));
        let detectorId = "";
        for (const r of dyn) {
            const inputs = inputsOf(r);
            if (r.type.endsWith(":AlertingMonitor") && inputs.monitor.name.includes("anomaly")) {
                // The mock engine cannot know the anomaly detector's id; the real one comes from its create, as in pulumi up.
                inputs.monitor = structuredClone(inputs.monitor);
                inputs.monitor.inputs[0].search.query.query.bool.filter[0] = { term: { detector_id: detectorId } };
            }
            const created = await loadProvider(r.inputs.__provider).create(inputs);
            if (r.type.endsWith(":AnomalyDetector")) detectorId = created.outs.detectorId;
            state.set(r.name, { type: r.type.split(":")[2], text: r.inputs.__provider, id: created.id, outs: created.outs });
        }
        next = await declared(2);
    });
    after(async () => {
        await peer?.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    it("the DNS detector's mappings call composes Security Analytics' alias component into guardpost-dns and puts the alias into this month's index", () => {
        const dns = peer.templates.get("guardpost-dns");
        expect(dns.composed_of).to.deep.equal([DNS_COMPONENT]);
        // The plugin appends the pattern it was called with, even though the template already has it.
        expect(dns.index_patterns).to.deep.equal(["dns-*", "dns-*"]);
        expect(peer.componentTemplates.get(DNS_COMPONENT).template.mappings.properties).to.deep.equal({
            query_name: { type: "keyword" }, "dns.question.name": { type: "alias", path: "query_name" } });
        expect(peer.templates.get("guardpost-cloudtrail").composed_of).to.deep.equal([".opensearch-sap-alias-mappings-component-cloudtrail-"]);
        expect(peer.index(monthIndex(0))!.mappings.properties!.dns).to.deep.equal({ properties: { question: { properties: { name: { type: "alias", path: "query_name" } } } } });
    });

    it("refresh shows no drift on any template, although Security Analytics changed two of them", async () => {
        expect(templates()).to.have.length(5);
        for (const [name, s] of templates()) {
            const provider = loadProvider(s.text);
            const read = await provider.read(s.id, s.outs);
            expect(read.id, name).to.equal(s.id);
            expect(read.props.body, name).to.deep.equal(s.outs.body);
            expect((await provider.diff(s.id, read.props, s.outs)).changes, name).to.equal(false);
        }
    });

    it("a replica change updates every template and keeps the component: next month's DNS index has the alias and the Cobalt Strike rule fires", async () => {
        for (const [name, s] of templates()) {
            const r = next.find(n => n.name === name)!;
            const news = inputsOf(r);
            const provider = loadProvider(r.inputs.__provider);
            expect((await provider.diff(s.id, s.outs, news)).changes, name).to.equal(true);
            const updated = await provider.update(s.id, s.outs, news);
            state.set(name, { ...s, text: r.inputs.__provider, outs: updated.outs });
        }
        const dns = peer.templates.get("guardpost-dns");
        expect(dns.template.settings.index.number_of_replicas).to.equal(1);
        expect(dns.composed_of).to.deep.equal([DNS_COMPONENT]);
        expect(dns.index_patterns).to.deep.equal(["dns-*"]);
        // And the state after the update reads back without drift.
        const s = state.get("guardpost-siem-template-dns")!;
        const read = await loadProvider(s.text).read(s.id, s.outs);
        expect((await loadProvider(s.text).diff(s.id, read.props, s.outs)).changes).to.equal(false);

        const index = monthIndex(1);
        expect(await beaconIn(index)).to.deep.equal([COBALT]);
        expect(peer.index(index)!.settings["index.number_of_replicas"]).to.equal("1");
        expect(peer.index(index)!.mappings.properties!.dns).to.deep.equal({ properties: { question: { properties: { name: { type: "alias", path: "query_name" } } } } });
        expect(peer.detections.sent.map(m => m.subject)).to.include("guardpost SIEM: guardpost dns");
    });

    it("a component someone else composes into a guardpost template is drift, and the next update takes it out but keeps Security Analytics'", async () => {
        const s = state.get("guardpost-siem-template-dns")!;
        const provider = loadProvider(s.text);
        await fetch(`${peer.url}/_component_template/someones-extra`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ template: { settings: { index: { refresh_interval: "1s" } } } }) });
        const live = peer.templates.get("guardpost-dns");
        peer.templates.set("guardpost-dns", { ...live, composed_of: [...live.composed_of, "someones-extra"] });
        const read = await provider.read(s.id, s.outs);
        expect(read.props.body.composed_of).to.deep.equal(["someones-extra"]);
        expect((await provider.diff(s.id, read.props, s.outs)).changes).to.equal(true);
        await provider.update(s.id, read.props, s.outs);
        expect(peer.templates.get("guardpost-dns").composed_of).to.deep.equal([DNS_COMPONENT]);
    });

    it("a plain PUT of the same body, as the provider did before, drops the component: the index after that has no alias and the rule stays silent", async () => {
        const body = state.get("guardpost-siem-template-dns")!.outs.body;
        const put = await fetch(`${peer.url}/_index_template/guardpost-dns`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        expect(put.status).to.equal(200);
        expect(peer.templates.get("guardpost-dns").composed_of).to.equal(undefined);
        const index = monthIndex(2);
        expect(await beaconIn(index)).to.deep.equal([]);
        expect(peer.index(index)!.mappings.properties!.dns).to.equal(undefined);
        // The component is still there, composed by nothing: only Security Analytics' mappings call composes it again —
        // the DNS detector's next update makes it (state from a guardpost before the fix has provider version "1", so
        // the next up updates it), and the index after that has the alias once more.
        expect(peer.componentTemplates.has(DNS_COMPONENT)).to.equal(true);
        const [name, detector] = [...state].find(([, s]) => s.type === "SecurityAnalyticsDetector" && s.outs.detectorType === "dns")!;
        const provider = loadProvider(detector.text);
        const news = inputsOf(next.find(n => n.name === name)!);
        expect((await provider.diff(detector.id, { ...detector.outs, version: "1" }, news)).changes).to.equal(true);
        await provider.update(detector.id, detector.outs, news);
        expect(peer.templates.get("guardpost-dns").composed_of).to.deep.equal([DNS_COMPONENT]);
        expect(await beaconIn(monthIndex(3))).to.deep.equal([COBALT]);
    });
});
