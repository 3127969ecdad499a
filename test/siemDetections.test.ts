import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AlertFanout } from "../components/alerting/alertFanout";
import { SiemDomain, SiemDomainArgs } from "../components/siem/siemDomain";
import { createTelegramAlertHandler } from "../functions/telegram-alert/telegramAlert";
import { CLOUDTRAIL_RULE_TITLES, DNS_RULE_TITLES, VPC_FLOW_SETTLE_MINUTES } from "../components/siem/siemDetections";
import { makeCloudTrailShipperHandler, openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { fakeState, MockedResource, runMocked } from "../plan/engine";
import { awslogsEventFromPayload, cloudTrailRecords, cwlPayload } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { PRE_PACKAGED_RULES } from "./support/opensearchPeerDetections";
import { testProvider } from "./support/providers";
import { loadSerializedHandler } from "./support/serialized";
import { SnsEmulation } from "./support/snsEmulation";
import { startTelegramPeer, TelegramPeer } from "./support/telegramPeer";

/**
 * SIEM detections end to end: the security account's AlertFanout (with the SIEM detections topic) and SiemDomain
 * declared together; the channel, Security Analytics detectors and Alerting monitors applied to the OpenSearch
 * peer by their serialized providers; logs shipped the way the writers ship them. Each detection the peer
 * publishes goes through an emulation of SNS over the declared resources (snsEmulation.ts: the publisher's and
 * topic's policies and the topic's key decide, then every subscription gets it) to the alert e-mail inboxes and
 * to the Telegram function — the exact text serializeFunction produces, from the environment the component
 * gives it — against the loopback Bot API. Every detection must reach each e-mail address once and Telegram once.
 */

const ACCOUNT = "222222222222";
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
const KEY = "AKIDDETECTIONSTEST";
const SECRET = "detections-test-secret";
const EMAILS = ["secops@example.com", "oncall@example.org"];
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED", "AWS_REGION",
    "TELEGRAM_CHAT_ID", "STAGE", "TELEGRAM_TOKEN_PARAMETER", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT", "DEDUP_TABLE", "DEDUP_QUIET_MINUTES"];
const ORDER = ["AuditConfig", "Role", "IndexTemplate", "IsmPolicy", "RoleMapping", "IndexBootstrap", "DashboardsObject", "AnomalyDetector", "NotificationChannel", "SecurityAnalyticsDetector", "AlertingMonitor"];

const ARGS: Omit<SiemDomainArgs, "alarmTopicArn" | "detectionTopicArn"> = {
    engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 }, retentionDays: 30,
    adminRoleArn: DEPLOYER, deployerRoleArn: DEPLOYER, writerRoleArns: [], accountId: ACCOUNT, region: "eu-west-1",
    providerRetry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 },
};
const arnOf = (r: MockedResource) => fakeState(r.type, r.name, r.inputs, r.provider).arn as string;

function loadProvider(text: string): any {
    const dir = path.join(__dirname, ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `detections-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, text);
    try { return require(file).handler(); } finally { fs.unlinkSync(file); }
}

describe("SIEM detections reach e-mail and Telegram, each once", function () {
    this.timeout(120_000);
    let resources: MockedResource[];
    let peer: OpenSearchPeer;
    let telegram: TelegramPeer;
    let sns: SnsEmulation;
    let TOPIC: string;
    let ALERT_TOPIC: string;
    let saved: Record<string, string | undefined>;
    const shipper = () => makeCloudTrailShipperHandler({ indexPrefix: "cloudtrail", indexPeriod: "month", send: openSearchBulkSend(peer.url, "eu-west-1", 5_000),
        limits: { baseDelayMs: 1, maxDelayMs: 2 }, log: () => undefined });
    const base = cloudTrailRecords("invictus_stratus_selected_events.json")[0];

    async function bulk(index: string, docs: any[]): Promise<void> {
        const body = docs.map(d => `${JSON.stringify({ index: { _index: index } })}\n${JSON.stringify(d)}\n`).join("");
        const res: any = await (await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body })).json();
        expect(res.errors, JSON.stringify(res.items.find((i: any) => i.index.error))).to.equal(false);
    }

    /** The function's JSON log lines (the handler logs to the console, as in Lambda). */
    const functionLogs: string[] = [];

    /** What SNS does with everything the domain published since the last call; returns how many it accepted. */
    async function fanOut(): Promise<number> {
        let accepted = 0;
        const originals = { log: console.log, warn: console.warn, error: console.error };
        for (const k of ["log", "warn", "error"] as const) console[k] = (...a: unknown[]) => { functionLogs.push(a.join(" ")); };
        try {
            for (const m of peer.detections.sent.splice(0)) if (await sns.publish({ topicArn: m.topicArn, roleArn: m.roleArn!, subject: m.subject, message: m.message })) accepted++;
        } finally {
            Object.assign(console, originals);
        }
        return accepted;
    }

    /** Each address got `n` messages from the SIEM topic and none from the alert topic; Telegram got `n`. */
    function expectOnceEach(n: number): void {
        expect(sns.refused).to.deep.equal([]);
        for (const address of EMAILS) {
            expect(sns.inbox(address, TOPIC), address).to.have.length(n);
            expect(sns.inbox(address, ALERT_TOPIC), address).to.deep.equal([]);
        }
        expect(telegram.messages).to.have.length(n);
    }

    before(async () => {
        resources = (await runMocked(() => {
            const provider = testProvider(ACCOUNT, "eu-west-1");
            const fanout = new AlertFanout("security-eu-west-1", {
                accountId: ACCOUNT, region: "eu-west-1", stage: "test", emails: EMAILS, siemDetections: true,
                // The chat the loopback Bot API knows.
                telegram: { chatId: "-1001234567890", botToken: pulumi.secret("123456789:AAF-peer_token_for_tests_only-0123456") },
            }, { provider });
            new SiemDomain("guardpost-siem", { ...ARGS, alarmTopicArn: fanout.topicArn, detectionTopicArn: fanout.siemTopicArn.apply(a => a!) }, { provider });
        })).resources;
        TOPIC = arnOf(resources.find(r => r.type === "aws:sns/topic:Topic" && r.name.endsWith("-siem"))!);
        ALERT_TOPIC = arnOf(resources.find(r => r.type === "aws:sns/topic:Topic" && r.name.endsWith("-topic"))!);
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "eu-west-1" });

        // The Telegram function as deployed: its serialized code, started with the environment the component sets,
        // plus the two local overrides of the contract (token directly, the loopback Bot API).
        telegram = await startTelegramPeer();
        const fn = resources.find(r => r.type === "aws:lambda/function:Function" && r.name.includes("telegram"))!;
        Object.assign(process.env, fn.inputs.environment.variables, { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot });
        const { handler } = await loadSerializedHandler("telegram-alert-e2e", createTelegramAlertHandler);
        sns = new SnsEmulation(resources, { [arnOf(fn)]: handler });

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
        await telegram?.close();
        for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });
    beforeEach(() => {
        peer.detections.sent.length = 0;
        telegram.reset();
        sns.reset();
        functionLogs.length = 0;
    });

    it("declares the channel to the SIEM topic with a publishing role only this account's OpenSearch may assume, allowed to publish there only", async () => {
        const channel = resources.find(r => r.type.endsWith(":NotificationChannel"))!.inputs;
        expect(channel).to.include({ channelId: "guardpost-alert-topic", topicArn: TOPIC });
        const role = resources.find(r => r.type === "aws:iam/role:Role" && r.name === "guardpost-siem-notifications")!.inputs;
        const trust = JSON.parse(role.assumeRolePolicy).Statement[0];
        expect(trust.Principal.Service).to.include("es.amazonaws.com");
        expect(trust.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT } });
        const policy = JSON.parse(resources.find(r => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "guardpost-siem-notifications")!.inputs.policy);
        expect(policy.Statement[0]).to.deep.include({ Action: "sns:Publish", Resource: TOPIC });
        expect(policy.Statement[1].Condition).to.deep.equal({ StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com" } });
        // SNS would refuse the role on the alert topic: detections cannot land there by mistake.
        const roleArn = arnOf(resources.find(r => r.type === "aws:iam/role:Role" && r.name === "guardpost-siem-notifications")!);
        expect(await sns.publish({ topicArn: ALERT_TOPIC, roleArn, subject: "s", message: "m" })).to.equal(undefined);
        expect(sns.refused.map(r => r.reason)).to.deep.equal(["AuthorizationError: sns:Publish ImplicitlyDenied"]);
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

    it("a root console login in CloudTrail reaches each e-mail address once and Telegram once", async () => {
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
        expect(await fanOut()).to.equal(1);
        expectOnceEach(1);
        expect(functionLogs.map(l => JSON.parse(l).msg)).to.deep.equal(["SIEM alert sent"]);
        const [mail] = sns.inbox(EMAILS[0], TOPIC);
        expect(mail).to.deep.include({ subject: "guardpost SIEM: guardpost cloudtrail", message: sent.message });
        const lines = telegram.messages[0].text.split("\n");
        expect(lines).to.include.members(["🟡 guardpost SIEM: guardpost cloudtrail", "Stage: test", "Severity: Medium (rule level)", "Account: 222222222222",
            "Region: eu-west-1", "Rule: AWS Root Credentials (level medium)", `Document: ${monthlyIndex("cloudtrail", new Date(login.eventTime))} root-console-login`]);
        expect(telegram.messages[0].reply_markup.inline_keyboard[0][0].url).to.equal("https://search-guardpost-siem-mock.eu-west-1.es.amazonaws.com/_dashboards");
        // The finding is made once: the next run has nothing new to say, nothing more is sent anywhere.
        peer.runDetections();
        expect(await fanOut()).to.equal(0);
        expectOnceEach(1);
        expect(sns.failureQueues.size + sns.deadLetters.size).to.equal(0);
    });

    it("a burst of rejected VPC flows from one source reaches each e-mail address and Telegram once; a trickle does not", async () => {
        const now = new Date();
        const settled = (t: number) => t + VPC_FLOW_SETTLE_MINUTES * 60_000;
        const flow = (i: number, src: string) => ({ "@timestamp": now.toISOString(), srcaddr: src, dstaddr: "10.0.1.5", srcport: 40000 + i, dstport: 22, protocol: 6, action: "REJECT", packets: 1, bytes: 60 });
        try {
            // Flows are counted once they have had time to arrive: not yet at their start time.
            await bulk(monthlyIndex("vpcflow", now), Array.from({ length: 120 }, (_, i) => flow(i, "203.0.113.66")));
            peer.setClock(now.getTime() + 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(0);
            await bulk(monthlyIndex("vpcflow", now), Array.from({ length: 50 }, (_, i) => flow(i, "198.51.100.7")));
            peer.setClock(settled(now.getTime()));
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(peer.detections.sent.map(s => [s.topicArn, s.subject])).to.deep.equal([[TOPIC, "guardpost SIEM: guardpost vpcflow reject burst"]]);
            expect(peer.detections.sent[0].message).to.contain("more than 100 rejected flows in 10 minutes");
            expect(peer.detections.sent[0].message.split("\n")).to.include("Source address: 203.0.113.66");
            expect(peer.detections.sent[0].message.split("\n")).to.not.include("Source address: 198.51.100.7");
            expect(await fanOut()).to.equal(1);
            expectOnceEach(1);
            expect(telegram.messages[0].text).to.contain("Severity: 2 of 5 (high)");
            // The burst stays in the 10-minute window of the next run, 5 minutes later: the same alert (DEDUPED), no second message.
            peer.setClock(settled(now.getTime()) + 5 * 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(await fanOut()).to.equal(0);
            expectOnceEach(1);
            // Once it has left the window the alert completes; a new burst from the same address is a new alert.
            peer.setClock(settled(now.getTime()) + 11 * 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(0);
            const later = new Date(now.getTime() + 12 * 60_000);
            await bulk(monthlyIndex("vpcflow", later), Array.from({ length: 101 }, (_, i) => ({ ...flow(i, "203.0.113.66"), "@timestamp": later.toISOString() })));
            peer.setClock(settled(later.getTime()));
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(await fanOut()).to.equal(1);
            expectOnceEach(2);
        } finally {
            peer.setClock(undefined);
            // The flows leave with their indices, so the later tests' runs (at other clocks) see no burst.
            for (const index of new Set([monthlyIndex("vpcflow", now), monthlyIndex("vpcflow", new Date(now.getTime() + 12 * 60_000))])) {
                await fetch(`${peer.url}/${index}`, { method: "DELETE" });
            }
            peer.runDetections();
            peer.detections.sent.length = 0;
        }
    });

    it("a DNS lookup of a Cobalt Strike beacon name fires through the query → query_name alias guardpost maps", async () => {
        const now = new Date();
        await bulk(monthlyIndex("dns", now), [{ query_timestamp: now.toISOString(), query_name: "aaa.stage.8734.evil.example.", query_type: "TXT", rcode: "NOERROR", srcaddr: "10.0.3.9" }]);
        peer.runDetections();
        expect(peer.detections.sent.map(s => s.subject)).to.deep.equal(["guardpost SIEM: guardpost dns"]);
        expect(peer.detections.sent[0].message.split("\n")).to.include("Rule: Cobalt Strike DNS Beaconing (level critical)");
        expect(await fanOut()).to.equal(1);
        expectOnceEach(1);
        expect(telegram.messages[0].text.split("\n")[0]).to.equal("🔴 guardpost SIEM: guardpost dns");
        // Where the alias lives, as Security Analytics puts it: in this month's index, and in a component template the
        // DNS template composes, so that next month's index has it too (opensearchPeerSaMappings.ts).
        expect(peer.index(monthlyIndex("dns", now))!.mappings.properties!.dns).to.deep.equal({ properties: { question: { properties: { name: { type: "alias", path: "query_name" } } } } });
        expect(peer.templates.get("guardpost-dns").composed_of).to.deep.equal([".opensearch-sap-alias-mappings-component-dns-"]);
        expect(peer.componentTemplates.get(".opensearch-sap-alias-mappings-component-dns-").template.mappings.properties["dns.question.name"]).to.deep.equal({ type: "alias", path: "query_name" });
    });

    it("an anomaly of high grade and confidence for the CloudTrail detector reaches e-mail and Telegram once too", async () => {
        const detectorId = [...peer.detectors.keys()][0];
        const t = Date.now();
        await bulk(".opendistro-anomaly-results-history-2025.01.01-1", [{ detector_id: detectorId, anomaly_grade: 0.92, confidence: 0.95, execution_end_time: t,
            entity: [{ name: "principal", value: `arn:aws:iam::${ACCOUNT}:role/ci-deployer` }] }]);
        try {
            peer.setClock(t);
            peer.runDetections();
            expect(peer.detections.sent.map(s => s.subject)).to.deep.equal(["guardpost SIEM: guardpost cloudtrail principal anomaly"]);
            expect(peer.detections.sent[0].message.split("\n")).to.include(`Principal: arn:aws:iam::${ACCOUNT}:role/ci-deployer`);
            expect(await fanOut()).to.equal(1);
            // The next run, 10 minutes later, reads the same result (20-minute lookback): throttled, no second message.
            peer.setClock(t + 10 * 60_000);
            expect(peer.runDetections().monitorsTriggered).to.equal(1);
            expect(await fanOut()).to.equal(0);
            expectOnceEach(1);
            expect(telegram.messages[0].text).to.contain(`Principal: arn:aws:iam::${ACCOUNT}:role/ci-deployer`);
        } finally {
            peer.setClock(undefined);
        }
    });

    it("with Telegram down, e-mail still arrives once and the event waits in the Telegram function's failure queue", async () => {
        const now = new Date();
        await bulk(monthlyIndex("dns", now), [{ query_timestamp: now.toISOString(), query_name: "pool.minexmr.com.", query_type: "A", rcode: "NOERROR", srcaddr: "10.0.3.10" }]);
        peer.runDetections();
        // Every attempt of every Lambda try fails: 3 tries (the async retries) × 3 requests (the client's retries).
        telegram.script(...Array.from({ length: 9 }, () => ({ kind: "500" as const })));
        expect(await fanOut()).to.equal(1);
        for (const address of EMAILS) expect(sns.inbox(address, TOPIC), address).to.have.length(1);
        expect(telegram.messages).to.deep.equal([]);
        expect(sns.invocations.map(i => i.attempt)).to.deep.equal([1, 2, 3]);
        const failed = resources.find(r => r.type === "aws:sqs/queue:Queue" && r.name.endsWith("-telegram-failed"))!;
        const parked = sns.failureQueues.get(arnOf(failed))!;
        expect(parked).to.have.length(1);
        expect((parked[0].event as any).Records[0].Sns.Subject).to.equal("guardpost SIEM: guardpost dns");
        expect(functionLogs.filter(l => JSON.parse(l).msg === "telegram delivery failed")).to.have.length(3);
    });

    it("without the invoke permission, SNS parks the detection in the subscription's dead-letter queue (the alarm's queue), e-mail unaffected", async () => {
        const withoutPermission = resources.filter(r => !(r.type === "aws:lambda/permission:Permission" && r.inputs.principal === "sns.amazonaws.com"));
        const fn = resources.find(r => r.type === "aws:lambda/function:Function" && r.name.includes("telegram"))!;
        const broken = new SnsEmulation(withoutPermission, { [arnOf(fn)]: async () => { throw new Error("must not be invoked"); } });
        const roleArn = arnOf(resources.find(r => r.type === "aws:iam/role:Role" && r.name === "guardpost-siem-notifications")!);
        expect(await broken.publish({ topicArn: TOPIC, roleArn, subject: "guardpost SIEM: guardpost dns", message: "m" })).to.be.a("string");
        const dlq = resources.find(r => r.type === "aws:sqs/queue:Queue" && r.name.endsWith("-siem-dlq"))!;
        expect(broken.deadLetters.get(arnOf(dlq))).to.have.length(1);
        expect(broken.invocations).to.deep.equal([]);
        for (const address of EMAILS) expect(broken.inbox(address, TOPIC)).to.have.length(1);
        const alarm = resources.find(r => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.endsWith("-siem-dlq-alarm"))!;
        expect(alarm.propertyDependencies.dimensions).to.include(dlq.urn);
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
