import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { SiemDomain, SiemDomainArgs } from "../components/siem/siemDomain";
import { CLOUDTRAIL_RULE_TITLES, DNS_RULE_TITLES } from "../components/siem/siemDetections";
import { makeCloudTrailShipperHandler, openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { MockedResource, runMocked } from "../plan/engine";
import { awslogsEventFromPayload, cloudTrailRecords, cwlPayload } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { PRE_PACKAGED_RULES } from "./support/opensearchPeerDetections";
import { testProvider } from "./support/providers";

/**
 * SIEM detections end to end: SiemDomain's channel, Security Analytics detectors and Alerting monitors applied
 * to the peer by their serialized providers, then logs shipped the way the writers ship them; each detection
 * must arrive on the security account's alert topic, published with the role the channel names.
 */

const ACCOUNT = "222222222222";
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:guardpost-security-alerts`;
const KEY = "AKIDDETECTIONSTEST";
const SECRET = "detections-test-secret";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED", "AWS_REGION"];
const ORDER = ["AuditConfig", "Role", "IndexTemplate", "IsmPolicy", "RoleMapping", "IndexBootstrap", "DashboardsObject", "AnomalyDetector", "NotificationChannel", "SecurityAnalyticsDetector", "AlertingMonitor"];

const ARGS: SiemDomainArgs = {
    engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 }, retentionDays: 30,
    adminRoleArn: DEPLOYER, deployerRoleArn: DEPLOYER, writerRoleArns: [], accountId: ACCOUNT, region: "eu-west-1", alarmTopicArn: TOPIC,
    providerRetry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 },
};

function loadProvider(text: string): any {
    const dir = path.join(__dirname, ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `detections-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, text);
    try { return require(file).handler(); } finally { fs.unlinkSync(file); }
}

describe("SIEM detections reach the alert topic", function () {
    this.timeout(120_000);
    let resources: MockedResource[];
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    const shipper = () => makeCloudTrailShipperHandler({ indexPrefix: "cloudtrail", indexPeriod: "month", send: openSearchBulkSend(peer.url, "eu-west-1", 5_000),
        limits: { baseDelayMs: 1, maxDelayMs: 2 }, log: () => undefined });
    const base = cloudTrailRecords("invictus_stratus_selected_events.json")[0];

    async function bulk(index: string, docs: any[]): Promise<void> {
        const body = docs.map(d => `${JSON.stringify({ index: { _index: index } })}\n${JSON.stringify(d)}\n`).join("");
        const res: any = await (await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body })).json();
        expect(res.errors, JSON.stringify(res.items.find((i: any) => i.index.error))).to.equal(false);
    }

    before(async () => {
        resources = (await runMocked(() => { new SiemDomain("guardpost-siem", ARGS, { provider: testProvider(ACCOUNT, "eu-west-1") }); })).resources;
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "eu-west-1" });
        peer = await OpenSearchPeer.start({ masterBackendRoles: [DEPLOYER] });
        peer.requireAuth("none");
        const rank = (r: MockedResource) => ORDER.indexOf(r.type.split(":")[2]) * 10 + ["index-pattern", "visualization", "dashboard"].indexOf(r.inputs.objectType ?? "");
        const dyn = resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic/opensearch:")).sort((a, b) => rank(a) - rank(b));
        let detectorId = "";
        for (const r of dyn) {
            const { roleArn, ...inputs } = { ...r.inputs, endpoint: peer.url };
            if (r.type.endsWith(":AlertingMonitor") && inputs.monitor.name.includes("anomaly")) {
                // The mock engine cannot know the detector's id; the real one comes from its create, as in pulumi up.
                inputs.monitor = structuredClone(inputs.monitor);
                inputs.monitor.inputs[0].search.query.query.bool.filter[0] = { term: { detector_id: detectorId } };
            }
            const created = await loadProvider(r.inputs.__provider).create(inputs);
            if (r.type.endsWith(":AnomalyDetector")) detectorId = created.outs.detectorId;
        }
    });
    after(async () => {
        await peer?.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });
    beforeEach(() => { peer.detections.sent.length = 0; });

    it("declares the channel with a publishing role only this account's OpenSearch may assume, allowed to publish to the topic only", () => {
        const channel = resources.find(r => r.type.endsWith(":NotificationChannel"))!.inputs;
        expect(channel).to.include({ channelId: "guardpost-alert-topic", topicArn: TOPIC });
        const role = resources.find(r => r.type === "aws:iam/role:Role" && r.name === "guardpost-siem-notifications")!.inputs;
        const trust = JSON.parse(role.assumeRolePolicy).Statement[0];
        expect(trust.Principal.Service).to.include("es.amazonaws.com");
        expect(trust.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT } });
        const policy = JSON.parse(resources.find(r => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "guardpost-siem-notifications")!.inputs.policy);
        expect(policy.Statement[0]).to.deep.include({ Action: "sns:Publish", Resource: TOPIC });
        expect(policy.Statement[1].Condition).to.deep.equal({ StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com" } });
    });

    it("turns on the named pre-packaged rules — every title exists in Security Analytics' rule set", () => {
        const sa = peer.detections.saDetectors;
        expect(sa.size).to.equal(2);
        const titles = (type: string) => [...sa.values()].find(d => d.doc.detector_type === type)!.doc.inputs[0].detector_input.pre_packaged_rules
            .map((r: any) => PRE_PACKAGED_RULES.find(p => p.id === r.id)!.title);
        expect(titles("cloudtrail")).to.deep.equal(CLOUDTRAIL_RULE_TITLES);
        expect(titles("dns")).to.deep.equal(DNS_RULE_TITLES);
        expect(peer.detections.monitors.size).to.equal(2);
    });

    it("a root console login in CloudTrail produces an alert on the alert topic", async () => {
        const login = { ...base, eventID: "root-console-login", eventTime: new Date().toISOString(), eventName: "ConsoleLogin", eventSource: "signin.amazonaws.com",
            eventType: "AwsConsoleSignIn", userIdentity: { type: "Root", principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
            responseElements: { ConsoleLogin: "Success" }, additionalEventData: { MFAUsed: "No" } };
        const ordinary = { ...login, eventID: "iam-user-login", userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT } };
        await shipper()(awslogsEventFromPayload(cwlPayload([ordinary])));
        expect(peer.runDetections().findings).to.equal(0);
        expect(peer.detections.sent).to.deep.equal([]);
        await shipper()(awslogsEventFromPayload(cwlPayload([login])));
        peer.runDetections();
        expect(peer.detections.findings.map(f => f.docId)).to.include("root-console-login");
        const rootRule = PRE_PACKAGED_RULES.find(r => r.title === "AWS Root Credentials")!.id;
        expect(peer.detections.findings.find(f => f.docId === "root-console-login")!.ruleId).to.equal(rootRule);
        expect(peer.detections.sent).to.have.length(1);
        const [sent] = peer.detections.sent;
        expect(sent).to.deep.include({ channelId: "guardpost-alert-topic", topicArn: TOPIC, subject: "guardpost SIEM: guardpost cloudtrail" });
        expect(sent.roleArn).to.match(/guardpost-siem-notifications/);
        // The rule, its level, the document and where to look: what the e-mail reads and Telegram renders.
        expect(sent.message.split("\n")).to.include.members([
            "Rule: AWS Root Credentials (level medium)", `Document: ${monthlyIndex("cloudtrail", new Date(login.eventTime))} root-console-login`,
            "Dashboards: https://search-guardpost-siem-mock.eu-west-1.es.amazonaws.com/_dashboards",
        ]);
        // The finding is made once: the next run has nothing new to say.
        peer.runDetections();
        expect(peer.detections.sent).to.have.length(1);
    });

    it("a burst of rejected VPC flows from one source produces an alert; a trickle does not", async () => {
        const now = new Date();
        const flow = (i: number, src: string) => ({ "@timestamp": now.toISOString(), srcaddr: src, dstaddr: "10.0.1.5", srcport: 40000 + i, dstport: 22, protocol: 6, action: "REJECT", packets: 1, bytes: 60 });
        await bulk(monthlyIndex("vpcflow", now), Array.from({ length: 50 }, (_, i) => flow(i, "198.51.100.7")));
        expect(peer.runDetections().monitorsTriggered).to.equal(0);
        await bulk(monthlyIndex("vpcflow", now), Array.from({ length: 120 }, (_, i) => flow(i, "203.0.113.66")));
        expect(peer.runDetections().monitorsTriggered).to.equal(1);
        expect(peer.detections.sent.map(s => [s.topicArn, s.subject])).to.deep.equal([[TOPIC, "guardpost SIEM: guardpost vpcflow reject burst"]]);
        expect(peer.detections.sent[0].message).to.contain("more than 100 rejected flows in 10 minutes");
        expect(peer.detections.sent[0].message.split("\n")).to.include("Source address: 203.0.113.66");
        // The burst stays in the 10-minute window of the next run, 5 minutes later: the same alert (DEDUPED), no second message.
        try {
            peer.setClock(now.getTime() + 5 * 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(peer.detections.sent).to.have.length(1);
            // Once it has left the window the alert completes; a new burst from the same address is a new alert.
            peer.setClock(now.getTime() + 11 * 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(0);
            const later = new Date(now.getTime() + 12 * 60_000);
            await bulk(monthlyIndex("vpcflow", later), Array.from({ length: 101 }, (_, i) => ({ ...flow(i, "203.0.113.66"), "@timestamp": later.toISOString() })));
            peer.setClock(later.getTime());
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(peer.detections.sent).to.have.length(2);
        } finally {
            peer.setClock(undefined);
        }
    });

    it("a DNS lookup of a Cobalt Strike beacon name fires through the query → query_name alias guardpost maps", async () => {
        const now = new Date();
        await bulk(monthlyIndex("dns", now), [{ query_timestamp: now.toISOString(), query_name: "aaa.stage.8734.evil.example.", query_type: "TXT", rcode: "NOERROR", srcaddr: "10.0.3.9" }]);
        peer.runDetections();
        expect(peer.detections.sent.map(s => s.subject)).to.deep.equal(["guardpost SIEM: guardpost dns"]);
        expect(peer.detections.sent[0].message.split("\n")).to.include("Rule: Cobalt Strike DNS Beaconing (level critical)");
        expect(peer.detections.aliases.get("dns-*")).to.deep.equal({ "dns.question.name": "query_name" });
    });

    it("an anomaly of high grade and confidence for the CloudTrail detector alerts the topic too", async () => {
        const detectorId = [...peer.detectors.keys()][0];
        const t = Date.now();
        await bulk(".opendistro-anomaly-results-history-2025.01.01-1", [{ detector_id: detectorId, anomaly_grade: 0.92, confidence: 0.95, execution_end_time: t,
            entity: [{ name: "principal", value: `arn:aws:iam::${ACCOUNT}:role/ci-deployer` }] }]);
        try {
            peer.setClock(t);
            peer.runDetections();
            expect(peer.detections.sent.map(s => s.subject)).to.deep.equal(["guardpost SIEM: guardpost cloudtrail principal anomaly"]);
            expect(peer.detections.sent[0].message.split("\n")).to.include(`Principal: arn:aws:iam::${ACCOUNT}:role/ci-deployer`);
            // The next run, 10 minutes later, reads the same result (20-minute lookback): throttled, no second message.
            peer.setClock(t + 10 * 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(peer.detections.sent).to.have.length(1);
        } finally {
            peer.setClock(undefined);
        }
    });

    it("loses a notification whose subject SNS refuses — which is why guardpost's subjects are short and one line", async () => {
        const res = await fetch(`${peer.url}/_plugins/_alerting/monitors`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({
            name: "long subject", monitor_type: "query_level_monitor", schedule: { period: { interval: 1, unit: "MINUTES" } },
            inputs: [{ search: { indices: ["dns-*"], query: { size: 0, query: { bool: { filter: [] } } } } }],
            triggers: [{ query_level_trigger: { name: "any", severity: "3", condition: { script: { source: "ctx.results[0].hits.total.value > 0", lang: "painless" } },
                actions: [{ name: "a", destination_id: "guardpost-alert-topic", subject_template: { source: `guardpost SIEM: ${"x".repeat(90)}` }, message_template: { source: "m" } }] } }],
        }) });
        const id = ((await res.json()) as any)._id;
        try {
            peer.runDetections();
            expect(peer.detections.sent.filter(m => m.subject.includes("xxx"))).to.deep.equal([]);
            expect(peer.detections.refused.map(r => r.reason)).to.deep.equal(["InvalidParameter: Subject must be less than 100 characters long (106)"]);
        } finally {
            peer.detections.monitors.delete(id);
            peer.detections.refused.length = 0;
        }
    });
});
