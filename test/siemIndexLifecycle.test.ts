import { expect } from "chai";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { ismPolicyProvider } from "../components/siem/dynamic/ismPolicy";
import { indexTemplate, ISM_POLICY_ID, LOG_KINDS, retentionPolicy } from "../components/siem/siemTemplates";
import { parseConfig } from "../config";
import { makeCloudTrailShipperHandler, openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { LogFn } from "../functions/shared/logLine";
import { steadyStateShards, type IndexPeriod } from "../model/siemSizing";
import { readStackFile } from "../stackFile";
import { awslogsEventFromPayload, cloudTrailRecords, cwlPayload } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";

/**
 * The SIEM's indices over time, against the peer's shard limit, cluster health and ISM (cached policy
 * versions, change_policy, min_index_age): what ingestion does to the cluster in a year, whether a retention
 * change reaches indices that already exist, and whether a redelivered event stays one document when it
 * arrives after its month's index has been succeeded by the next one.
 */

const quiet: LogFn = () => undefined;
const DAY = 86_400_000;
const ENV = { AWS_ACCESS_KEY_ID: "AKIDGUARDPOSTLIFECYCLE", AWS_SECRET_ACCESS_KEY: "lifecycle-test-secret-not-real", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
const FIREHOSE_KINDS = LOG_KINDS.filter(k => k !== "cloudtrail");
const BASE_EVENT = cloudTrailRecords("invictus_stratus_selected_events.json")[0];

/** Firehose's rotation: `OneMonth` → `-YYYY-MM`, `OneDay` → `-YYYY-MM-DD` of the UTC arrival time (es-index-rotation.html). */
function firehoseIndex(kind: string, period: IndexPeriod, arrival: Date): string {
    return `${kind}-${arrival.toISOString().slice(0, period === "month" ? 7 : 10)}`;
}

describe("SIEM indices over time, against the peer's shard limit, health and ISM", function () {
    this.timeout(120_000);
    let saved: Record<string, string | undefined>;
    before(() => {
        saved = Object.fromEntries(Object.keys(ENV).map(k => [k, process.env[k]]));
        Object.assign(process.env, ENV);
    });
    after(() => { for (const k of Object.keys(ENV)) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } });

    async function setUp(peer: OpenSearchPeer, o: { retentionDays: number; period: IndexPeriod; replicas: number }) {
        const conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 } };
        for (const kind of LOG_KINDS) {
            await indexTemplateProvider.create({ ...conn, name: `guardpost-${kind}`, body: indexTemplate(kind, 13, { primaryShards: 1, replicas: o.replicas }) });
        }
        const ism = { ...conn, policyId: ISM_POLICY_ID, policy: retentionPolicy(o.retentionDays, o.period) };
        const created = await ismPolicyProvider.create(ism);
        return { conn, ism, ismOuts: created.outs };
    }

    /** One day of every log type: a CloudTrail event through the real shipper, one document per Firehose stream. */
    async function ingestDay(peer: OpenSearchPeer, period: IndexPeriod, day: number): Promise<string[]> {
        const now = new Date(peer.now());
        const shipper = makeCloudTrailShipperHandler({ indexPrefix: "cloudtrail", indexPeriod: period, send: openSearchBulkSend(peer.url, "us-east-1", 5_000),
            limits: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 1 }, log: quiet, now: () => peer.now() });
        const errors: string[] = [];
        try {
            await shipper(awslogsEventFromPayload(cwlPayload([{ ...BASE_EVENT, eventID: `year-${day}`, eventTime: now.toISOString() }])));
        } catch (e) {
            errors.push(`cloudtrail: ${(e as Error).message}`);
        }
        const body = FIREHOSE_KINDS.map(k => `${JSON.stringify({ index: { _index: firehoseIndex(k, period, now) } })}\n${JSON.stringify({ "@timestamp": now.toISOString(), query_timestamp: now.toISOString(), time: now.toISOString() })}\n`).join("");
        const res: any = await (await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body })).json();
        for (const item of res.items) if (item.index.error) errors.push(`${item.index._index}: ${item.index.error.type}: ${item.index.error.reason}`);
        return errors;
    }

    it("a simulated year (and two months more) of prod ingestion stays inside the shard budget, green, with every record kept its retention", async () => {
        const cfg = parseConfig(readStackFile("prod").config).siem;
        const budget = steadyStateShards({ retentionDays: cfg.retentionDays, indexPeriod: cfg.indexPeriod, primaryShards: cfg.primaryShards,
            replicas: cfg.replicas, dataNodes: cfg.instanceCount, instanceType: cfg.instanceType });
        const peer = await OpenSearchPeer.start({ dataNodes: cfg.instanceCount });
        try {
            const start = Date.UTC(2025, 0, 1, 12);
            peer.setClock(start);
            await setUp(peer, { retentionDays: cfg.retentionDays, period: cfg.indexPeriod, replicas: cfg.replicas });
            let maxShards = 0;
            const errors: string[] = [];
            const colours = new Set<string>();
            const deleted: string[] = [];
            const days = cfg.retentionDays + 70;
            for (let d = 0; d < days; d++) {
                peer.setClock(start + d * DAY);
                errors.push(...await ingestDay(peer, cfg.indexPeriod, d));
                deleted.push(...peer.runIsm());
                maxShards = Math.max(maxShards, peer.totalShards());
                colours.add(peer.health().status);
            }
            expect(errors).to.deep.equal([]);
            expect([...colours]).to.deep.equal(["green"]);
            expect(maxShards).to.be.at.most(budget.logShards);
            // …and the simulation did reach steady state: 14–15 monthly indices per type, primary + replica.
            expect(maxShards).to.be.at.least(140);
            expect(maxShards + budget.systemShards).to.be.at.most(budget.limitPerNode! * cfg.instanceCount);
            // ISM did delete: the first months went once their newest record was a retention old, not before.
            expect(deleted).to.include.members(LOG_KINDS.map(k => `${k}-2025-01`));
            const end = new Date(start + (days - 1) * DAY);
            const retained = new Date(end.getTime() - cfg.retentionDays * DAY);
            for (const kind of LOG_KINDS) expect(peer.indices(), `${kind} keeps ${retained.toISOString()}`).to.include(monthlyIndex(kind, retained));
        } finally {
            await peer.close();
        }
    });

    it("the daily design it replaces hits the 1,000-per-node limit on day 300: every new index is refused from then on", async () => {
        const peer = await OpenSearchPeer.start({ dataNodes: 3 });
        try {
            const start = Date.UTC(2025, 0, 1, 12);
            peer.setClock(start);
            await setUp(peer, { retentionDays: 365, period: "day", replicas: 1 });
            let firstRefusal: { day: number; errors: string[] } | undefined;
            for (let d = 0; d < 310 && !firstRefusal; d++) {
                peer.setClock(start + d * DAY);
                const errors = await ingestDay(peer, "day", d);
                peer.runIsm();
                if (errors.length) firstRefusal = { day: d, errors };
            }
            expect(firstRefusal?.day).to.equal(300);
            expect(firstRefusal!.errors.join("\n")).to.match(/validation_exception: Validation Failed: 1: this action would add \[2\] total shards, but this cluster currently has \[3000\]\/\[3000\] maximum shards open;/);
        } finally {
            await peer.close();
        }
    });

    it("a retention change reaches indices that already exist: change_policy moves them to the new version, which ISM then applies", async () => {
        const peer = await OpenSearchPeer.start();
        try {
            const now = Date.UTC(2025, 6, 15, 12);
            const ages = [200, 130, 100, 10];
            peer.setClock(now - 300 * DAY);
            const { ism, ismOuts } = await setUp(peer, { retentionDays: 90, period: "month", replicas: 0 });
            for (const age of ages) {
                peer.setClock(now - age * DAY);
                await ingestDay(peer, "month", age);
            }
            const indexOf = (age: number) => monthlyIndex("vpcflow", new Date(now - age * DAY));
            peer.setClock(now);
            peer.runIsm();
            // 90 days + one month: gone at 121 days of age.
            expect(peer.indices().filter(i => i.startsWith("vpcflow-"))).to.deep.equal([indexOf(100), indexOf(10)]);

            const updated = await ismPolicyProvider.update!(ISM_POLICY_ID, ismOuts, { ...ism, policy: retentionPolicy(30, "month") });
            const newSeqNo = updated.outs.policySeqNo;
            expect(peer.ism.jobs.get(indexOf(100))!.pendingChange).to.deep.equal({ policyId: ISM_POLICY_ID, state: undefined });
            peer.runIsm();
            // 30 days + one month: the 100-day-old index goes at once, the young one stays and now runs the new version.
            expect(peer.indices().filter(i => i.startsWith("vpcflow-"))).to.deep.equal([indexOf(10)]);
            expect(peer.ism.jobs.get(indexOf(10))!.policySeqNo).to.equal(newSeqNo);
            const read = await ismPolicyProvider.read!(ISM_POLICY_ID, updated.outs);
            expect(read.props.outdatedIndices).to.deep.equal([]);
        } finally {
            await peer.close();
        }
    });

    it("an index the retention pattern matches but ISM never managed does not fail the policy update", async () => {
        const peer = await OpenSearchPeer.start();
        try {
            await fetch(`${peer.url}/waf-2020-01`, { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" });
            const { ism, ismOuts } = await setUp(peer, { retentionDays: 90, period: "month", replicas: 0 });
            const res: any = await (await fetch(`${peer.url}/_plugins/_ism/change_policy/waf-*`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ policy_id: ISM_POLICY_ID }) })).json();
            expect(res.failed_indices[0]).to.include({ index_name: "waf-2020-01", reason: "This index is not being managed." });
            await ismPolicyProvider.update!(ISM_POLICY_ID, ismOuts, { ...ism, policy: retentionPolicy(30, "month") });
        } finally {
            await peer.close();
        }
    });

    it("the peer is honest about the cache: a policy updated without change_policy leaves existing indices on the old version, and read reports them", async () => {
        const peer = await OpenSearchPeer.start();
        try {
            const now = Date.UTC(2025, 6, 15, 12);
            peer.setClock(now - 100 * DAY);
            const { ism, ismOuts } = await setUp(peer, { retentionDays: 90, period: "month", replicas: 0 });
            await ingestDay(peer, "month", 1);
            const old = monthlyIndex("waf", new Date(now - 100 * DAY));
            peer.setClock(now);
            const got: any = await (await fetch(`${peer.url}/_plugins/_ism/policies/${ISM_POLICY_ID}`)).json();
            await fetch(`${peer.url}/_plugins/_ism/policies/${ISM_POLICY_ID}?if_seq_no=${got._seq_no}&if_primary_term=${got._primary_term}`, {
                method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ policy: retentionPolicy(30, "month") }) });
            peer.runIsm();
            expect(peer.indices()).to.include(old);
            const read = await ismPolicyProvider.read!(ISM_POLICY_ID, ismOuts);
            expect(read.props.outdatedIndices).to.include(old);
            expect((await ismPolicyProvider.diff!(ISM_POLICY_ID, read.props, { ...ism, policy: retentionPolicy(30, "month") })).changes).to.equal(true);
        } finally {
            await peer.close();
        }
    });

    it("a CloudTrail event redelivered after its month's index was succeeded stays one document (index from event time, _id = eventID)", async () => {
        const peer = await OpenSearchPeer.start();
        try {
            peer.setClock(Date.UTC(2025, 1, 1, 0, 5));
            await setUp(peer, { retentionDays: 30, period: "month", replicas: 0 });
            const shipper = makeCloudTrailShipperHandler({ indexPrefix: "cloudtrail", indexPeriod: "month", send: openSearchBulkSend(peer.url, "us-east-1", 5_000),
                limits: { baseDelayMs: 1, maxDelayMs: 2 }, log: quiet, now: () => peer.now() });
            const february = { ...BASE_EVENT, eventID: "feb-first", eventTime: "2025-02-01T00:04:00Z" };
            const late = { ...BASE_EVENT, eventID: "jan-late", eventTime: "2025-01-31T23:59:30Z" };
            await shipper(awslogsEventFromPayload(cwlPayload([february])));
            const batch = awslogsEventFromPayload(cwlPayload([late]));
            await shipper(batch);
            peer.setClock(Date.UTC(2025, 1, 3));
            await shipper(batch);
            await shipper(batch);
            const copies = peer.indices().filter(i => i.startsWith("cloudtrail-")).filter(i => peer.docs(i).has("jan-late"));
            expect(copies).to.deep.equal(["cloudtrail-2025-01"]);
            expect(peer.index("cloudtrail-2025-01")!.docs.get("jan-late")!.version).to.equal(3);
            expect(peer.docs("cloudtrail-2025-02").has("feb-first")).to.equal(true);
        } finally {
            await peer.close();
        }
    });

    it("replicas follow the node count: a one-node domain's existing yellow indices turn green when the template's replicas reach them", async () => {
        const peer = await OpenSearchPeer.start({ dataNodes: 1 });
        try {
            const { conn } = await setUp(peer, { retentionDays: 30, period: "day", replicas: 1 });
            await ingestDay(peer, "day", 0);
            expect(peer.health().status).to.equal("yellow");
            for (const kind of LOG_KINDS) {
                await indexTemplateProvider.update!(`guardpost-${kind}`, {}, { ...conn, name: `guardpost-${kind}`,
                    body: indexTemplate(kind, 13, { primaryShards: 1, replicas: 0 }), existingIndexSettings: { number_of_replicas: 0 } });
            }
            expect(peer.health()).to.include({ status: "green", unassignedShards: 0 });
            await ingestDay(peer, "month", 1);
            expect(peer.health().status).to.equal("green");
        } finally {
            await peer.close();
        }
    });
});
