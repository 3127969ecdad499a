import { expect } from "chai";
import * as maxmind from "maxmind";
import { indexPatterns } from "../components/siem/siemDashboards";
import { indexPattern, indexTemplate, ISM_POLICY_ID, LOG_KINDS, LogKind, retentionPolicy, TIME_FIELD, writerRole } from "../components/siem/siemTemplates";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { ismPolicyProvider } from "../components/siem/dynamic/ismPolicy";
import { UNSTABLE_OBJECT_FIELDS } from "../functions/cloudtrail-shipper/cloudtrailDoc";
import { makeCloudTrailShipperHandler, openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { FirehoseResponse } from "../functions/shared/firehose";
import { GeoLookup, makeGeoLookup } from "../functions/shared/geoip";
import { LogFn } from "../functions/shared/logLine";
import { DEFAULT_VPC_FLOW_FIELDS, makeVpcflowTransformHandler } from "../functions/vpcflow-transform/vpcflowTransform";
import { makeWafTransformHandler } from "../functions/waf-transform/wafTransform";
import { allCloudTrailRecords, cloudTrailRecords, cwlPayload, awslogsEventFromPayload, decodeData, firehoseEvent, fixtureLines, fixtureText, GEOIP_ASN, GEOIP_CITY } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { matchesAny } from "./support/opensearchPeerMapping";
import { expectedKeys } from "./support/shipperHelpers";

/**
 * The contract between the two halves of the SIEM: SiemDomain's index templates, ISM policy and index
 * patterns on one side, and on the other exactly what each producer puts on the wire — the shipper's
 * documents, the transforms' decoded output, and what Firehose delivers raw (Route 53 Resolver query
 * logs, whole Security Hub EventBridge events) — under the index names each one creates.
 */

const quiet: LogFn = () => undefined;
const ENV = { AWS_ACCESS_KEY_ID: "AKIDGUARDPOSTCONTRACT", AWS_SECRET_ACCESS_KEY: "contract-test-secret-not-real", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
const ENV_KEYS = [...Object.keys(ENV), "AWS_SESSION_TOKEN", "AWS_PROFILE"];
const ENGINE_MINOR = 13;
/** MaxMind test-database addresses (London, and a Swedish one with an ASN). */
const LONDON = "81.2.69.142";
const SWEDEN = "89.160.20.112";

/** Firehose's `OneDay` rotation: IndexName plus `-YYYY-MM-DD` of the delivery day (UTC). */
function firehoseIndex(kind: LogKind, day: Date): string {
    return `${kind}-${day.toISOString().slice(0, 10)}`;
}

/** The security plugin's built-in action groups the writer role names (its static_action_groups.yml). */
const ACTION_GROUPS: Record<string, string[]> = {
    cluster_composite_ops: ["indices:data/write/bulk", "indices:admin/aliases*", "indices:data/write/reindex", "cluster_composite_ops_ro"],
    cluster_composite_ops_ro: ["indices:data/read/mget", "indices:data/read/msearch", "indices:data/read/mtv", "indices:admin/aliases/exists*",
        "indices:admin/aliases/get*", "indices:data/read/scroll", "indices:admin/resolve/index"],
    cluster_monitor: ["cluster:monitor/*"],
};
/** The plugin evaluates a write's automatic index creation and mapping update as the explicit actions. */
const EVALUATED_AS: Record<string, string> = { "indices:admin/auto_create": "indices:admin/create", "indices:admin/mapping/auto_put": "indices:admin/mapping/put" };

function expandActions(perms: string[]): string[] {
    return perms.flatMap(p => (ACTION_GROUPS[p] ? expandActions(ACTION_GROUPS[p]) : [p]));
}

function allows(perms: string[], action: string): boolean {
    return matchesAny(expandActions(perms), EVALUATED_AS[action] ?? action);
}

/** Index-level actions of a write: `_bulk` items, the day's first write (index creation) and a new field. */
const WRITE_ACTIONS = ["indices:data/write/bulk[s]", "indices:data/write/index", "indices:admin/auto_create", "indices:admin/mapping/auto_put"];
/** Firehose's pre-flight GETs of the log indices: their `_mapping`, `_stats` and `_settings`. */
const FIREHOSE_INDEX_CHECKS = ["indices:admin/mappings/get", "indices:monitor/stats", "indices:monitor/settings/get"];
const CLUSTER_ACTIONS = ["indices:data/write/bulk", "cluster:monitor/stats", "cluster:monitor/nodes/info", "cluster:monitor/nodes/stats", "cluster:monitor/health"];
const NEVER = ["indices:data/read/search", "indices:data/read/get", "indices:data/write/delete", "indices:data/write/update", "indices:admin/delete", "indices:admin/close", "indices:admin/settings/update"];

function okDocs(res: FirehoseResponse): any[] {
    return res.records.filter(r => r.result === "Ok").map(r => JSON.parse(decodeData(r.data)));
}

function ndjsonFixture(...parts: string[]): any[] {
    return fixtureLines(...parts).map(l => JSON.parse(l));
}

/** The mapping of a dotted field path in an index, or undefined. */
function mappingOf(peer: OpenSearchPeer, index: string, field: string): any {
    let props: any = peer.index(index)?.mappings.properties;
    const parts = field.split(".");
    for (let i = 0; i < parts.length; i++) {
        const f = props?.[parts[i]];
        if (i === parts.length - 1) return f;
        props = f?.properties;
    }
    return undefined;
}

function valueAt(doc: any, field: string): unknown {
    return field.split(".").reduce((v: any, k) => v?.[k], doc);
}

describe("SIEM contract: every producer's documents under the SiemDomain templates", function () {
    this.timeout(60_000);
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    let geo: GeoLookup;
    /** Documents as they reached the domain, per log kind, with the index each went to. */
    const sent: Record<LogKind, Array<{ index: string; doc: any }>> = { cloudtrail: [], vpcflow: [], waf: [], dns: [], securityhub: [] };
    const bulkErrors: string[] = [];
    /** `index/_id` every shipped CloudTrail event must end up under. */
    let cloudtrailKeys: Set<string>;

    /** What Firehose does with a batch: `index` actions without `_id` into its rotated index name. */
    async function firehoseDeliver(kind: LogKind, docs: any[], day: Date): Promise<void> {
        const index = firehoseIndex(kind, day);
        const body = docs.map(d => `${JSON.stringify({ index: { _index: index } })}\n${JSON.stringify(d)}\n`).join("");
        const res = await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
        const result: any = await res.json();
        for (const item of result.items) {
            if (item.index.error) bulkErrors.push(`${kind} ${index}: ${item.index.error.type}: ${item.index.error.reason}`);
        }
        docs.forEach(doc => sent[kind].push({ index, doc }));
    }

    before(async () => {
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, ENV);
        peer = await OpenSearchPeer.start();
        geo = makeGeoLookup(maxmind.validate, await maxmind.open<any>(GEOIP_CITY), await maxmind.open<any>(GEOIP_ASN));

        // What SiemDomain applies, through the same providers `pulumi up` runs.
        const conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 } };
        for (const kind of LOG_KINDS) await indexTemplateProvider.create({ ...conn, name: `guardpost-${kind}`, body: indexTemplate(kind, ENGINE_MINOR) });
        await ismPolicyProvider.create({ ...conn, policyId: ISM_POLICY_ID, policy: retentionPolicy(90) });

        // CloudTrail: the real shipper, every fixture event plus routable sources and a concrete requestParameters.
        const base = cloudTrailRecords("invictus_stratus_selected_events.json");
        const extra = [
            { ...base[0], eventID: "contract-geo-london", sourceIPAddress: LONDON },
            { ...base[1], eventID: "contract-geo-sweden", sourceIPAddress: SWEDEN },
            { ...base[2], eventID: "contract-string-parameters", requestParameters: "DescribeInstances", responseElements: ["a", "b"] },
        ];
        const shipper = makeCloudTrailShipperHandler({
            indexPrefix: "cloudtrail", send: openSearchBulkSend(peer.url, "us-east-1", 5_000), geo: async () => geo,
            limits: { baseDelayMs: 5, maxDelayMs: 20, requestTimeoutMs: 5_000 }, log: quiet,
        });
        const records = [...allCloudTrailRecords(), ...extra];
        const payload = cwlPayload(records);
        cloudtrailKeys = expectedKeys(records, payload.logEvents);
        const shipped: any = await shipper(awslogsEventFromPayload(payload));
        expect(shipped).to.include({ status: "shipped", malformed: 0, rejected: 0, deadLettered: 0 });
        for (const ix of peer.indices().filter(i => i.startsWith("cloudtrail-"))) {
            for (const doc of peer.docs(ix).values()) sent.cloudtrail.push({ index: ix, doc });
        }

        // VPC flow: the transform with the field list the FlowLogs are configured with, fed real v5 records.
        const v5 = fixtureLines("vpcflow", "custom_v5_service_traffic_path.log");
        const header = v5[0].split(" ");
        const v5Lines = v5.slice(1).map(l => DEFAULT_VPC_FLOW_FIELDS.map(f => (header.includes(f) ? l.split(" ")[header.indexOf(f)] : "-")).join(" "));
        const flows = okDocs(await makeVpcflowTransformHandler({ fields: [...DEFAULT_VPC_FLOW_FIELDS], log: quiet })(firehoseEvent(v5Lines)));
        // ...and every other documented format by its own field list: the parser and its types are the same.
        for (const file of ["default_v2_s3_style_with_header.log", "custom_v3_tcp_flags.log", "custom_v3_transit_gateway.log", "custom_nat_gateway_no_version.log"]) {
            const lines = fixtureLines("vpcflow", file);
            flows.push(...okDocs(await makeVpcflowTransformHandler({ fields: lines[0].split(" "), log: quiet })(firehoseEvent(lines))));
        }
        await firehoseDeliver("vpcflow", flows, new Date(Date.UTC(2024, 4, 1)));

        // WAF: the transform with GeoIP, over every fixture log plus one from a known address.
        const wafLines = [...fixtureLines("waf", "aws_docs_waf_log_examples.ndjson"), ...fixtureLines("waf", "otel_waf_logs.ndjson")];
        const located = JSON.parse(wafLines[0]);
        located.httpRequest.clientIp = LONDON;
        wafLines.push(JSON.stringify(located));
        await firehoseDeliver("waf", okDocs(await makeWafTransformHandler({ geo: async () => geo, log: quiet })(firehoseEvent(wafLines))), new Date(Date.UTC(2024, 4, 1)));

        // Route 53 Resolver query logs and Security Hub events reach Firehose untransformed.
        await firehoseDeliver("dns", [...ndjsonFixture("route53-resolver", "constructed_resolver_query_logs.ndjson"),
            ...ndjsonFixture("route53-resolver", "aws_docs_resolver_query_log_example.ndjson")], new Date(Date.UTC(2024, 4, 1)));
        await firehoseDeliver("securityhub", [...ndjsonFixture("securityhub", "eventbridge_securityhub_findings_imported_asr.ndjson"),
            ...ndjsonFixture("securityhub", "eventbridge_securityhub_custom_action_asr.ndjson"),
            JSON.parse(fixtureText("securityhub", "sumologic_legacy_detail_type_event.json"))], new Date(Date.UTC(2024, 4, 1)));
    });

    after(async () => {
        await peer?.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    it("indexes every document of every producer without a single mapping error", () => {
        expect(bulkErrors).to.deep.equal([]);
        for (const kind of LOG_KINDS) expect(sent[kind].length, kind).to.be.greaterThan(kind === "waf" ? 5 : 3);
        const indexed = peer.indices().filter(i => i.startsWith("cloudtrail-")).flatMap(i => [...peer.docs(i).keys()].map(id => `${i}/${id}`));
        expect(new Set(indexed)).to.deep.equal(cloudtrailKeys);
    });

    it("creates only indices that the kind's template and the retention policy both match", () => {
        const created = peer.indices();
        expect(created).to.include.members([firehoseIndex("vpcflow", new Date(Date.UTC(2024, 4, 1))), "cloudtrail-2023.07.10", "dns-2024-05-01", "securityhub-2024-05-01", "waf-2024-05-01"]);
        for (const index of created) {
            const kind = LOG_KINDS.find(k => index.startsWith(`${k}-`));
            expect(kind, index).to.not.equal(undefined);
            expect(peer.index(index)!.template, index).to.equal(`guardpost-${kind}`);
            expect(peer.ism.managed.get(index), index).to.equal(ISM_POLICY_ID);
        }
    });

    it("gives every document a date in the field its Dashboards index pattern filters on", () => {
        const patterns = new Map(indexPatterns().map(p => [p.attributes.title as string, p.attributes.timeFieldName as string]));
        for (const kind of LOG_KINDS) {
            const timeField = patterns.get(indexPattern(kind))!;
            expect(timeField, kind).to.equal(TIME_FIELD[kind]);
            for (const { index, doc } of sent[kind]) {
                expect(mappingOf(peer, index, timeField)?.type, `${index} ${timeField}`).to.equal("date");
                expect(Number.isNaN(Date.parse(String(valueAt(doc, timeField)))), `${kind} document without ${timeField}`).to.equal(false);
            }
        }
    });

    it("maps GeoIP locations as geo_point and addresses as ip", () => {
        const ct = "cloudtrail-2023.07.10";
        expect(peer.docs(ct).get("contract-geo-london").geo).to.deep.include({ country_iso_code: "GB", city_name: "London" });
        expect(peer.docs(ct).get("contract-geo-sweden").geo.asn).to.be.a("number");
        expect(mappingOf(peer, ct, "geo.location").type).to.equal("geo_point");
        expect(mappingOf(peer, ct, "geo.asn").type).to.equal("long");
        expect(mappingOf(peer, ct, "sourceIPAddress").type).to.equal("ip");
        const waf = "waf-2024-05-01";
        expect(sent.waf.some(s => s.doc.geo?.country_iso_code === "GB")).to.equal(true);
        expect(mappingOf(peer, waf, "geo.location").type).to.equal("geo_point");
        expect(mappingOf(peer, waf, "httpRequest.clientIp").type).to.equal("ip");
        for (const f of ["srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"]) expect(mappingOf(peer, "vpcflow-2024-05-01", f).type, f).to.equal("ip");
        expect(mappingOf(peer, "dns-2024-05-01", "srcaddr").type).to.equal("ip");
        for (const kind of LOG_KINDS) expect(indexTemplate(kind, ENGINE_MINOR).template.mappings.properties.geo.properties.location.type, kind).to.equal("geo_point");
    });

    it("types what dashboards aggregate on: numbers as long, names as keyword, free-form objects flattened", () => {
        const flow = "vpcflow-2024-05-01";
        for (const f of ["bytes", "packets", "srcport", "dstport", "protocol"]) expect(mappingOf(peer, flow, f).type, f).to.equal("long");
        expect(mappingOf(peer, "dns-2024-05-01", "srcport").type).to.equal("long");
        expect(mappingOf(peer, "dns-2024-05-01", "query_name").type).to.equal("keyword");
        const hub = "securityhub-2024-05-01";
        expect(mappingOf(peer, hub, "detail.findings.Severity.Label").type).to.equal("keyword");
        expect(mappingOf(peer, hub, "detail.findings.UpdatedAt").type).to.equal("date");
        expect(mappingOf(peer, hub, "detail.findings.Resources.Details").type).to.equal("flat_object");
        expect(mappingOf(peer, hub, "detail-type").type).to.equal("keyword");
        const ct = "cloudtrail-2023.07.10";
        expect(peer.docs(ct).get("contract-string-parameters")).to.deep.include({ requestParameters: { value: "DescribeInstances" }, responseElements: { value: ["a", "b"] } });
        expect(mappingOf(peer, ct, "requestParameters").type).to.equal("flat_object");
        // The shipper wraps concrete values in exactly the fields the template flattens.
        const props = indexTemplate("cloudtrail", ENGINE_MINOR).template.mappings.properties;
        expect(Object.keys(props).filter(k => props[k].type === "flat_object")).to.have.members(UNSTABLE_OBJECT_FIELDS);
    });

    it("lets guardpost_log_writer do what a shipper or Firehose does on every index they create, and read or delete nothing", () => {
        const role = writerRole();
        for (const action of CLUSTER_ACTIONS) expect(allows(role.clusterPermissions, action), action).to.equal(true);
        const created = peer.indices();
        expect(created.length).to.be.greaterThan(4);
        const onIndex = (index: string) => role.indexPermissions.filter(p => matchesAny(p.index_patterns, index)).flatMap(p => p.allowed_actions);
        for (const index of created) {
            for (const action of [...WRITE_ACTIONS, ...FIREHOSE_INDEX_CHECKS]) expect(allows(onIndex(index), action), `${action} on ${index}`).to.equal(true);
            for (const action of NEVER) expect(allows(onIndex(index), action), `${action} on ${index}`).to.equal(false);
        }
        for (const other of [".kibana_1", ".opendistro-ism-config", "security-auditlog-2024.05.01", ".plugins-ml-config"]) {
            expect(onIndex(other), other).to.deep.equal([]);
        }
    });
});
