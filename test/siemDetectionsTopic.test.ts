import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { fakeState, MockedResource, runMocked } from "../plan/engine";
import { runPlan, type PlanReport } from "../plan/plan";
import { testProvider } from "./support/providers";
import { AlertFanout, AlertFanoutArgs } from "../components/alerting/alertFanout";
import { alertKeyPolicy, alertTopicPolicy } from "../components/alerting/alertPolicies";
import { siemTopicPolicy } from "../components/alerting/siemTopicPolicies";
import { snsPublishPolicy } from "../components/siem/siemDetections";
import { SiemDomain } from "../components/siem/siemDomain";

/**
 * The SIEM detections topic under the mock engine: who may publish (the SIEM's notification role, through its
 * own policy and the CMK's account statement — evaluated by an IAM policy simulator), who receives (the alert
 * e-mail addresses and the Telegram function, with its invoke permission and a dead-letter queue), and that
 * nothing else reaches the Telegram function through it.
 */

const ACCOUNT = "222222222222";
const REGION = "eu-west-1";
const TOKEN = "7654321:AAH-siem-topic-test-token-not-real-xyz";
const ONCALL = `arn:aws:sns:${REGION}:${ACCOUNT}:oncall-pager`;
const NOTIFICATIONS_ROLE = `arn:aws:iam::${ACCOUNT}:role/guardpost/guardpost-siem-notifications-abc123`;

function args(o: Partial<AlertFanoutArgs> = {}): AlertFanoutArgs {
    return {
        accountId: ACCOUNT, region: REGION, stage: "prod", emails: ["secops@example.com", "oncall@example.org"],
        telegram: { chatId: "-1001234567890", botToken: pulumi.secret(TOKEN) }, siemDetections: true,
        failureAlarm: { extraActions: [ONCALL] }, ...o,
    };
}

const ofType = (rs: MockedResource[], type: string) => rs.filter((r) => r.type === type);
const one = (rs: MockedResource[], type: string, nameSuffix = "") => {
    const found = rs.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
    expect(found, `${type} *${nameSuffix}`).to.have.length(1);
    return found[0];
};
const arnOf = (r: MockedResource) => fakeState(r.type, r.name, r.inputs, r.provider).arn as string;
const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

async function decide(p: { principal: string; action: string; resource: string; identity?: object; resourcePolicy?: object; context?: Record<string, string> }): Promise<string> {
    const r: any = await runSimulation({
        request: { principal: p.principal, action: p.action, resource: { resource: p.resource, accountId: ACCOUNT }, contextVariables: p.context ?? {} },
        identityPolicies: p.identity ? [{ name: "identity", policy: p.identity }] : [],
        resourcePolicy: p.resourcePolicy, serviceControlPolicies: [], resourceControlPolicies: [],
    }, {});
    if (r.resultType === "error") return `error: ${JSON.stringify(r.errors)}`;
    return r.overallResult;
}

describe("AlertFanout: the SIEM detections topic", function () {
    this.timeout(120_000);
    let rs: MockedResource[];
    let topicArn: string;
    let fnArn: string;

    before(async () => {
        ({ resources: rs } = await runMocked(() => {
            new AlertFanout("security-eu-west-1", args(), { provider: testProvider(ACCOUNT, "us-east-1") });
        }, { requireExplicitProviders: true }));
        topicArn = arnOf(one(rs, "aws:sns/topic:Topic", "-siem"));
        fnArn = arnOf(one(rs, "aws:lambda/function:Function"));
    });

    it("is a topic of its own, on the fanout's CMK, in the fanout's region", () => {
        const topic = one(rs, "aws:sns/topic:Topic", "-siem");
        expect(topic.inputs).to.include({ region: REGION, displayName: "guardpost prod SIEM" });
        expect(topic.inputs.kmsMasterKeyId).to.equal(arnOf(one(rs, "aws:kms/key:Key")));
        expect(topicArn).to.not.equal(arnOf(one(rs, "aws:sns/topic:Topic", "-topic")));
        for (const r of rs.filter((x) => x.custom && x.type.startsWith("aws:") && x.name.includes("-siem"))) expect(r.region, r.name).to.equal(REGION);
    });

    it("is subscribed by every alert e-mail address and by the Telegram function, unfiltered, with a dead-letter queue", () => {
        const subs = ofType(rs, "aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.topic === topicArn);
        expect(subs.filter((s) => s.inputs.protocol === "email").map((s) => s.inputs.endpoint).sort()).to.deep.equal(["oncall@example.org", "secops@example.com"]);
        const lambda = subs.filter((s) => s.inputs.protocol === "lambda");
        expect(lambda).to.have.length(1);
        expect(lambda[0].inputs.endpoint).to.equal(fnArn);
        expect(lambda[0].inputs.filterPolicy).to.equal(undefined);
        const dlq = one(rs, "aws:sqs/queue:Queue", "-siem-dlq");
        expect(json(lambda[0].inputs.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: arnOf(dlq) });
        expect(dlq.inputs.kmsMasterKeyId).to.equal(arnOf(one(rs, "aws:kms/key:Key")));
        // The subscription waits for the permission and the queue policy, so SNS's first delivery can succeed.
        expect(lambda[0].dependsOn).to.include.members([one(rs, "aws:lambda/permission:Permission", "-siem-telegram-invoke").urn, one(rs, "aws:sqs/queuePolicy:QueuePolicy", "-siem-dlq-policy").urn]);
    });

    it("lets SNS invoke the function from this topic only, and keeps the function's on-failure destination", () => {
        const perm = one(rs, "aws:lambda/permission:Permission", "-siem-telegram-invoke");
        expect(perm.inputs).to.include({ action: "lambda:InvokeFunction", principal: "sns.amazonaws.com", sourceArn: topicArn, region: REGION });
        // The same function the GuardDuty rule invokes.
        expect(perm.inputs.function).to.be.a("string").and.equal(ofType(rs, "aws:lambda/permission:Permission").find((p) => p.inputs.principal === "events.amazonaws.com")!.inputs.function);
        expect(perm.propertyDependencies.function).to.deep.equal([one(rs, "aws:lambda/function:Function").urn]);
        const cfg = one(rs, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
        expect(cfg.inputs.destinationConfig.onFailure.destination).to.equal(arnOf(one(rs, "aws:sqs/queue:Queue", "-telegram-failed")));
        expect(one(rs, "aws:lambda/function:Function").inputs.description).to.equal("guardpost prod: GuardDuty findings and SIEM detections to Telegram");
    });

    it("reaches the Telegram function from two sources only — the GuardDuty rule and this topic — and never through the alert topic", () => {
        const perms = ofType(rs, "aws:lambda/permission:Permission");
        expect(perms.map((p) => [p.inputs.principal, p.inputs.sourceArn])).to.deep.equal([
            ["events.amazonaws.com", arnOf(one(rs, "aws:cloudwatch/eventRule:EventRule", "-telegram"))], ["sns.amazonaws.com", topicArn]]);
        const alertTopic = arnOf(one(rs, "aws:sns/topic:Topic", "-topic"));
        expect(ofType(rs, "aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.topic === alertTopic).map((s) => s.inputs.protocol)).to.deep.equal(["email", "email"]);
        const targets = ofType(rs, "aws:cloudwatch/eventTarget:EventTarget");
        expect(targets.filter((t) => t.inputs.arn === topicArn), "no EventBridge rule targets the SIEM topic").to.deep.equal([]);
    });

    it("lets the SIEM's notification role publish and encrypt for it; no service, alarm or plain-HTTP request", async () => {
        const topicPolicy = json(one(rs, "aws:sns/topicPolicy:TopicPolicy", "-siem-policy").inputs.policy);
        expect(topicPolicy).to.deep.equal(siemTopicPolicy({ topicArn }));
        const role = snsPublishPolicy({ topicArn, region: REGION });
        const publish = (principal: string, secure: string, identity?: object) =>
            decide({ principal, action: "sns:Publish", resource: topicArn, identity, resourcePolicy: topicPolicy, context: { "aws:SecureTransport": secure } });
        expect(await publish(NOTIFICATIONS_ROLE, "true", role)).to.equal("Allowed");
        expect(await publish(NOTIFICATIONS_ROLE, "false", role)).to.equal("ExplicitlyDenied");
        expect(await publish(`arn:aws:iam::${ACCOUNT}:role/guardpost/other`, "true")).to.equal("ImplicitlyDenied");
        expect(await publish("events.amazonaws.com", "true")).to.equal("ImplicitlyDenied");
        expect(await publish("cloudwatch.amazonaws.com", "true")).to.equal("ImplicitlyDenied");
        // The role may no longer publish to the alert topic.
        const alertTopic = arnOf(one(rs, "aws:sns/topic:Topic", "-topic"));
        expect(await decide({ principal: NOTIFICATIONS_ROLE, action: "sns:Publish", resource: alertTopic, identity: role,
            resourcePolicy: alertTopicPolicy({ topicArn: alertTopic, ruleArns: [] }), context: { "aws:SecureTransport": "true" } })).to.equal("ImplicitlyDenied");
        // The CMK: its key policy lets IAM policies of the account grant use; the role's grants it through SNS only.
        const key = one(rs, "aws:kms/key:Key");
        const keyPolicy = json(key.inputs.policy);
        const kms = (via: string) => decide({ principal: NOTIFICATIONS_ROLE, action: "kms:GenerateDataKey", resource: arnOf(key), identity: role, resourcePolicy: keyPolicy,
            context: { "kms:ViaService": via } });
        expect(await kms(`sns.${REGION}.amazonaws.com`)).to.equal("Allowed");
        expect(await kms(`s3.${REGION}.amazonaws.com`)).to.equal("ImplicitlyDenied");
    });

    it("lets SNS write dead letters: queue policy from this topic, key statement for SNS — only with the SIEM topic and Telegram", async () => {
        const dlq = one(rs, "aws:sqs/queue:Queue", "-siem-dlq");
        const queuePolicy = json(one(rs, "aws:sqs/queuePolicy:QueuePolicy", "-siem-dlq-policy").inputs.policy);
        const send = (source: string) => decide({ principal: "sns.amazonaws.com", action: "sqs:SendMessage", resource: arnOf(dlq), resourcePolicy: queuePolicy,
            context: { "aws:SourceArn": source, "aws:SecureTransport": "true" } });
        expect(await send(topicArn)).to.equal("Allowed");
        expect(await send(arnOf(one(rs, "aws:sns/topic:Topic", "-topic")))).to.equal("ImplicitlyDenied");
        expect(json(one(rs, "aws:kms/key:Key").inputs.policy).Statement.map((s: any) => s.Sid)).to.include("SnsEncryptsForDeadLetters");
        expect(alertKeyPolicy({ partition: "aws", account: ACCOUNT }).Statement.map((s: any) => s.Sid)).to.not.include("SnsEncryptsForDeadLetters");
    });

    it("alarms on failed deliveries and parked messages, to the alert topic and the second channel", () => {
        const alertTopic = arnOf(one(rs, "aws:sns/topic:Topic", "-topic"));
        const failed = one(rs, "aws:cloudwatch/metricAlarm:MetricAlarm", "-siem-failed-alarm");
        expect(failed.inputs).to.include({ namespace: "AWS/SNS", metricName: "NumberOfNotificationsFailed", threshold: 0, region: REGION });
        expect(failed.propertyDependencies.dimensions).to.include(one(rs, "aws:sns/topic:Topic", "-siem").urn);
        const parked = one(rs, "aws:cloudwatch/metricAlarm:MetricAlarm", "-siem-dlq-alarm");
        for (const a of [failed, parked]) expect(a.inputs.alarmActions, a.name).to.deep.equal([alertTopic, ONCALL]);
    });

    it("e-mail only without Telegram: no function, permission, dead-letter queue or key statement", async () => {
        const { resources } = await runMocked(() => {
            new AlertFanout("security-eu-west-1", args({ telegram: undefined }), { provider: testProvider(ACCOUNT, REGION) });
        });
        const topic = arnOf(one(resources, "aws:sns/topic:Topic", "-siem"));
        expect(ofType(resources, "aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.topic === topic).map((s) => s.inputs.protocol)).to.deep.equal(["email", "email"]);
        expect(ofType(resources, "aws:lambda/permission:Permission")).to.deep.equal([]);
        expect(resources.filter((r) => r.name.endsWith("-siem-dlq"))).to.deep.equal([]);
        expect(json(one(resources, "aws:kms/key:Key").inputs.policy).Statement.map((s: any) => s.Sid)).to.not.include("SnsEncryptsForDeadLetters");
    });

    it("refuses siemDetections on a fanout without finding rules, before creating anything", () => {
        expect(() => new AlertFanout("x", args({ findingRules: false }))).to.throw(/siemDetections needs findingRules/);
    });

    it("SiemDomain publishes to the detection topic when given one, and keeps its alarms on the alert topic", async () => {
        const alertTopic = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
        const siemTopic = `arn:aws:sns:${REGION}:${ACCOUNT}:siem`;
        const deployer = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
        const { resources } = await runMocked(() => {
            new SiemDomain("guardpost-siem", {
                engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 }, retentionDays: 30,
                adminRoleArn: deployer, deployerRoleArn: deployer, writerRoleArns: [], accountId: ACCOUNT, region: REGION,
                alarmTopicArn: alertTopic, detectionTopicArn: siemTopic,
            }, { provider: testProvider(ACCOUNT, REGION) });
        });
        expect(one(resources, "pulumi-nodejs:dynamic/opensearch:NotificationChannel").inputs.topicArn).to.equal(siemTopic);
        expect(json(one(resources, "aws:iam/rolePolicy:RolePolicy", "-notifications").inputs.policy).Statement[0]).to.include({ Action: "sns:Publish", Resource: siemTopic });
        const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms.length).to.be.greaterThan(3);
        for (const a of alarms) expect(a.inputs.alarmActions, a.name).to.deep.equal([alertTopic]);
    });
});

describe("both stacks route SIEM detections to one topic with e-mail and Telegram", function () {
    this.timeout(300_000);
    const reports: Record<string, PlanReport> = {};
    before(async () => {
        reports.dev = await runPlan("dev");
        reports.prod = await runPlan("prod");
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: exactly one SIEM topic, in the security account's home region, is the channel's topic and the Telegram function's second source`, () => {
            const r = reports[stack];
            const rs = r.resources as unknown as MockedResource[];
            const topics = rs.filter((x) => x.type === "aws:sns/topic:Topic" && x.name.endsWith("-siem"));
            expect(topics).to.have.length(1);
            const security = r.config.accounts.find((a: any) => a.kind === "security")!;
            expect(topics[0].provider!.account).to.equal(security.id);
            expect(topics[0].region).to.equal(r.config.homeRegion);
            const arn = arnOf(topics[0]);
            expect(rs.find((x) => x.type.endsWith(":NotificationChannel"))!.inputs.topicArn).to.equal(arn);
            const subs = rs.filter((x) => x.type === "aws:sns/topicSubscription:TopicSubscription" && x.inputs.topic === arn);
            expect(subs.filter((s) => s.inputs.protocol === "email").length).to.equal(r.config.alerts.emails.length);
            if (r.config.alerts.telegramChatId) expect(subs.filter((s) => s.inputs.protocol === "lambda")).to.have.length(1);
            // Nowhere else does SNS invoke a Telegram function.
            expect(rs.filter((x) => x.type === "aws:lambda/permission:Permission" && x.inputs.principal === "sns.amazonaws.com").map((p) => p.inputs.sourceArn)).to.deep.equal(
                r.config.alerts.telegramChatId ? [arn] : []);
        });
    }
});
