import { expect } from "chai";
import { LogPipeline, LogPipelineArgs } from "../components/logging/logPipeline";
import { relayLogGroupName } from "../components/logging/relayPolicies";
import { parseLogGroupKinds } from "../functions/log-relay/relayDocs";
import { DEFAULT_VPC_FLOW_FIELDS, parseFieldList } from "../functions/vpcflow-transform/vpcflowTransform";
import { fakeState, MockedResource, runMocked } from "../plan/engine";
import { GEOIP_ASN, GEOIP_CITY } from "./support/logFixtures";
import { testProvider } from "./support/providers";

/**
 * LogPipeline in a region that is not the SIEM's: VPC flow, WAF (a CloudFront web ACL, which logs in us-east-1
 * only), Resolver query logs and Security Hub findings take the log relay — CloudWatch Logs groups in us-east-1,
 * subscribed by the log-relay function that signs for the domain's region — and no Firehose stream.
 */

const ACCOUNT = "100000000003";
const DOMAIN_ARN = "arn:aws:es:ap-northeast-2:100000000002:domain/siem-prod";
const DOMAIN_HOST = "search-siem-prod-abc123.ap-northeast-2.es.amazonaws.com";
const VPC = "vpc-0fedcba9876543210";
const CLOUDFRONT_ACL = "arn:aws:wafv2:us-east-1:100000000003:global/webacl/payments-cdn/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0";
const TOPIC = "arn:aws:sns:us-east-1:100000000003:guardpost-alarms";

function args(o: Partial<LogPipelineArgs> = {}): LogPipelineArgs {
    return {
        stage: "prod", accountId: ACCOUNT, region: "us-east-1", trail: "none",
        domainArn: DOMAIN_ARN, domainEndpoint: DOMAIN_HOST, domainRegion: "ap-northeast-2",
        geoipDatabasePath: GEOIP_CITY, geoipAsnDatabasePath: GEOIP_ASN,
        vpcFlowLogVpcIds: [VPC], wafWebAclArns: [CLOUDFRONT_ACL], dnsQueryLogVpcIds: [VPC], securityHubFindings: true,
        retentionDays: 365, alarmTopicArn: TOPIC, indexPeriod: "month",
        ...o,
    };
}

const byType = (rs: MockedResource[], type: string) => rs.filter((r) => r.type === type);
const one = (rs: MockedResource[], type: string, nameEnd: string) => {
    const found = rs.filter((r) => r.type === type && r.name.endsWith(nameEnd));
    expect(found, `${type} *${nameEnd}`).to.have.length(1);
    return found[0];
};
const arnOf = (r: MockedResource) => String(fakeState(r.type, r.name, r.inputs, r.provider).arn);
const nameOf = (r: MockedResource) => String(fakeState(r.type, r.name, r.inputs, r.provider).name);
const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

describe("LogPipeline outside the SIEM's home region: the log relay", function () {
    this.timeout(120_000);
    let all: MockedResource[];
    let outputs: any;
    before(async () => {
        const run = await runMocked(() => {
            const p = new LogPipeline("payments-us-east-1", args(), { provider: testProvider(ACCOUNT, "us-east-1") });
            return { parking: p.parking, writers: p.writerRoleArns, sources: p.enabledSources, streams: p.streamArns };
        });
        all = run.resources;
        outputs = run.outputs;
    });

    it("declares no Firehose stream or transform: every source goes to a CloudWatch Logs group of its own region", () => {
        expect(byType(all, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")).to.deep.equal([]);
        expect(byType(all, "aws:lambda/function:Function").map((f) => f.inputs.tags["guardpost:function"])).to.deep.equal(["log-relay"]);
        const groups = byType(all, "aws:cloudwatch/logGroup:LogGroup").filter((g) => g.name.includes("-relay-") && g.name.endsWith("-logs") && !g.name.endsWith("-relay-logs"));
        expect(groups.map((g) => g.inputs.name).sort()).to.deep.equal(["/guardpost/prod/relay/dns", "/guardpost/prod/relay/vpcflow", "aws-waf-logs-guardpost-prod-relay"]);
        for (const g of groups) expect(g.inputs).to.include({ retentionInDays: 365 });
        for (const g of groups) expect(g.inputs.kmsKeyId).to.equal(arnOf(one(all, "aws:kms/key:Key", "-key")));
        for (const r of all.filter((x) => x.custom && !x.type.startsWith("pulumi:") && !x.type.startsWith("aws:iam/"))) expect(r.region, r.name).to.equal("us-east-1");
        expect(outputs.sources.sort()).to.deep.equal(["dns", "securityhub", "vpcflow", "waf"]);
        expect(outputs.streams).to.deep.equal({});
    });

    it("publishes flow logs to CloudWatch Logs through a role only VPC Flow Logs of this account may assume, bounded like every guardpost role", () => {
        const group = arnOf(one(all, "aws:cloudwatch/logGroup:LogGroup", "-relay-vpcflow-logs"));
        const role = one(all, "aws:iam/role:Role", "-relay-flow-logs-role");
        const flow = one(all, "aws:ec2/flowLog:FlowLog", `-relay-flow-${VPC}`);
        expect(flow.inputs).to.include({ vpcId: VPC, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: group, iamRoleArn: arnOf(role), maxAggregationInterval: 60 });
        expect(parseFieldList(flow.inputs.logFormat).fields).to.deep.equal(DEFAULT_VPC_FLOW_FIELDS);
        expect(json(role.inputs.assumeRolePolicy).Statement).to.deep.equal([{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc-flow-log/*` } } }]);
        expect(role.inputs).to.include({ path: "/guardpost/", permissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/guardpost/guardpost-boundary` });
        expect(json(one(all, "aws:iam/rolePolicy:RolePolicy", "-relay-flow-logs-policy").inputs.policy).Statement[0])
            .to.deep.include({ Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: `${group}:*` });
    });

    it("logs the CloudFront web ACL to an aws-waf-logs- group and the Resolver query logs to theirs", () => {
        const waf = one(all, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "-relay-waf-payments-cdn-9f8e7d6c");
        expect(waf.inputs.resourceArn).to.equal(CLOUDFRONT_ACL);
        expect(waf.inputs.logDestinationConfigs).to.deep.equal([arnOf(one(all, "aws:cloudwatch/logGroup:LogGroup", "-relay-waf-logs"))]);
        expect(waf.inputs.redactedFields.map((f: any) => f.singleHeader.name)).to.include.members(["authorization", "cookie"]);
        const config = one(all, "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig", "-relay-dns");
        expect(config.inputs.destinationArn).to.equal(arnOf(one(all, "aws:cloudwatch/logGroup:LogGroup", "-relay-dns-logs")));
        expect(byType(all, "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation").map((a) => [a.inputs.resourceId, a.inputs.resolverQueryLogConfigId]))
            .to.deep.equal([[VPC, config.id]]);
    });

    it("subscribes the relay to each group (invoke permission for this region's CloudWatch Logs first) and to Security Hub's findings with a DLQ", () => {
        const fn = one(all, "aws:lambda/function:Function", "-relay-fn");
        for (const kind of ["vpcflow", "waf", "dns"] as const) {
            const group = one(all, "aws:cloudwatch/logGroup:LogGroup", `-relay-${kind}-logs`);
            const sub = one(all, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", `-relay-${kind}-subscription`);
            const permission = one(all, "aws:lambda/permission:Permission", `-relay-${kind}-invoke`);
            expect(sub.inputs).to.include({ logGroup: nameOf(group), filterPattern: "", destinationArn: arnOf(fn), region: "us-east-1" });
            expect(permission.inputs).to.include({ action: "lambda:InvokeFunction", principal: "logs.us-east-1.amazonaws.com", sourceArn: `${arnOf(group)}:*`, sourceAccount: ACCOUNT });
            expect(sub.dependsOn).to.include(permission.urn);
        }
        const rule = one(all, "aws:cloudwatch/eventRule:EventRule", "-relay-securityhub");
        expect(json(rule.inputs.eventPattern)).to.deep.equal({ source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"] });
        const target = one(all, "aws:cloudwatch/eventTarget:EventTarget", "-relay-securityhub");
        expect(target.inputs.arn).to.equal(arnOf(fn));
        expect(target.inputs.deadLetterConfig.arn).to.equal(arnOf(one(all, "aws:sqs/queue:Queue", "-relay-securityhub-dlq")));
        expect(one(all, "aws:lambda/permission:Permission", "-relay-securityhub-invoke").inputs).to.include({ principal: "events.amazonaws.com", sourceArn: arnOf(rule) });
    });

    it("runs the relay as a SIEM writer signing for the domain's region, with its dead letters, on-failure queue, alarm and reservation", () => {
        const fn = one(all, "aws:lambda/function:Function", "-relay-fn");
        const env = fn.inputs.environment.variables;
        expect(env).to.include({ OPENSEARCH_ENDPOINT: `https://${DOMAIN_HOST}`, OPENSEARCH_REGION: "ap-northeast-2", INDEX_PERIOD: "month", GEOIP_DATABASE: "/opt/geoip/GeoLite2-City.mmdb" });
        expect(parseLogGroupKinds(env.LOG_GROUP_KINDS)).to.deep.equal({ kinds: {
            [relayLogGroupName("prod", "vpcflow")]: "vpcflow", [relayLogGroupName("prod", "waf")]: "waf", [relayLogGroupName("prod", "dns")]: "dns" }, problems: [] });
        expect(parseFieldList(env.VPC_FLOW_FIELDS).fields).to.deep.equal(DEFAULT_VPC_FLOW_FIELDS);
        expect(env.DEAD_LETTER_BUCKET).to.equal(String(fakeState("aws:s3/bucket:Bucket", one(all, "aws:s3/bucket:Bucket", "-dead-letters").name, {}, undefined).bucket));
        expect(fn.inputs).to.include({ runtime: "nodejs22.x", reservedConcurrentExecutions: 5, timeout: 120 });
        expect(fn.inputs.layers).to.deep.equal([arnOf(one(all, "aws:lambda/layerVersion:LayerVersion", "-geoip"))]);
        const role = one(all, "aws:iam/role:Role", "-relay-role");
        expect(role.inputs.permissionsBoundary).to.equal(`arn:aws:iam::${ACCOUNT}:policy/guardpost/guardpost-boundary`);
        const policy = json(one(all, "aws:iam/rolePolicy:RolePolicy", "-relay-policy").inputs.policy).Statement;
        expect(policy.find((s: any) => s.Sid === "WriteToSiemDomain")).to.deep.include({ Action: ["es:ESHttpPost", "es:ESHttpPut"], Resource: `${DOMAIN_ARN}/*` });
        expect(policy.find((s: any) => s.Sid === "DeadLetter").Resource).to.match(/\/log-relay\/\*$/);
        expect(outputs.writers).to.include(arnOf(role));
        const queue = one(all, "aws:sqs/queue:Queue", "-relay-failed");
        expect(one(all, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-relay-async").inputs.destinationConfig.onFailure.destination).to.equal(arnOf(queue));
        const alarmed = byType(all, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/SQS").map((a) => a.inputs.dimensions.QueueName);
        expect(alarmed).to.include.members([nameOf(queue), nameOf(one(all, "aws:sqs/queue:Queue", "-relay-securityhub-dlq"))]);
        // `npm run replay` finds the relay's parking places, and which log type each group carries, in the outputs.
        expect(outputs.parking).to.include.keys("bucket", "relayFailureQueueUrl", "securityHubDlqUrl", "relayLogGroups");
        expect(outputs.parking.relayLogGroups).to.deep.equal(parseLogGroupKinds(env.LOG_GROUP_KINDS).kinds);
    });

    it("in the SIEM's home region the same sources keep their Firehose path and no relay exists", async () => {
        const { resources } = await runMocked(() => {
            new LogPipeline("payments-ap-northeast-2", args({ region: "ap-northeast-2", wafWebAclArns: [], vpcFlowLogVpcIds: [VPC] }), { provider: testProvider(ACCOUNT, "ap-northeast-2") });
        });
        expect(resources.filter((r) => r.type === "guardpost:logging:LogRelay")).to.deep.equal([]);
        expect(byType(resources, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").map((s) => s.inputs.opensearchConfiguration.indexName).sort()).to.deep.equal(["dns", "securityhub", "vpcflow"]);
        expect(byType(resources, "aws:ec2/flowLog:FlowLog")[0].inputs.logDestinationType).to.equal("kinesis-data-firehose");
    });
});
