import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { GEOIP_LAYER_ASN, GEOIP_LAYER_CITY, geoipLayerFiles, LogPipeline, LogPipelineArgs, SHIPPER_PACKAGES, WAF_TRANSFORM_PACKAGES } from "../components/logging/logPipeline";
import { CLOUDWATCH_RETENTION_DAYS, cloudWatchRetention, wafAclLoggingRegion, wafStreamName } from "../components/logging/logPolicies";
import { DEFAULT_VPC_FLOW_FIELDS, parseFieldList } from "../functions/vpcflow-transform/vpcflowTransform";
import { fakeState, MockedResource, runMocked } from "../plan/engine";
import { GEOIP_ASN, GEOIP_CITY } from "./support/logFixtures";
import { testProvider } from "./support/providers";

const ACCOUNT = "111111111111";
const DOMAIN_ARN = "arn:aws:es:eu-west-1:222222222222:domain/guardpost-siem";
const DOMAIN_HOST = "search-guardpost-siem-abc123.eu-west-1.es.amazonaws.com";
const VPC = "vpc-0123456789abcdef0";
const VPC2 = "vpc-0fedcba9876543210";
const ACL = "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/shop/a1b2c3d4-5678-90ab-cdef-111111111111";
const CLOUDFRONT_ACL = "arn:aws:wafv2:us-east-1:111111111111:global/webacl/cdn/f1e2d3c4-5678-90ab-cdef-222222222222";

function args(o: Partial<LogPipelineArgs> = {}): LogPipelineArgs {
    return {
        stage: "dev", accountId: ACCOUNT, region: "eu-west-1", trail: "account",
        domainArn: DOMAIN_ARN, domainEndpoint: DOMAIN_HOST, domainRegion: "eu-west-1",
        geoipDatabasePath: GEOIP_CITY, geoipAsnDatabasePath: GEOIP_ASN,
        vpcFlowLogVpcIds: [VPC, VPC2], wafWebAclArns: [ACL], dnsQueryLogVpcIds: [VPC], securityHubFindings: true,
        retentionDays: 100, firehoseRetrySeconds: 600,
        alarmTopicArn: "arn:aws:sns:eu-west-1:111111111111:guardpost-alarms",
        ...o,
    };
}

async function plan(a: LogPipelineArgs, region = a.region): Promise<MockedResource[]> {
    const { resources } = await runMocked(() => {
        new LogPipeline(`dev-${region}`, a, { provider: testProvider(ACCOUNT, region) });
    });
    return resources;
}

const byType = (rs: MockedResource[], type: string) => rs.filter((r) => r.type === type);
const one = (rs: MockedResource[], type: string, nameEnd: string) => {
    const found = rs.filter((r) => r.type === type && r.name.endsWith(nameEnd));
    expect(found, `${type} *${nameEnd}`).to.have.length(1);
    return found[0];
};
/** The ARN (or name) the mock engine gives a resource, however it builds them. */
const arnOf = (r: MockedResource) => String(fakeState(r.type, r.name, r.inputs, r.provider).arn);
const nameOf = (r: MockedResource) => String(fakeState(r.type, r.name, r.inputs, r.provider).name);
const bucketOf = (r: MockedResource) => String(fakeState(r.type, r.name, r.inputs, r.provider).bucket);
const streamArn = (rs: MockedResource[], streamName: string) =>
    arnOf(rs.find((r) => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream" && r.inputs.name === streamName)!);
const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v as string]);

/** Every function built by this component, with its role policy, async config and queue. */
function functions(rs: MockedResource[]) {
    return byType(rs, "aws:lambda/function:Function").map((fn) => {
        const stem = fn.name.replace(/-fn$/, "");
        return {
            fn,
            tag: fn.inputs.tags["guardpost:function"],
            policy: json(one(rs, "aws:iam/rolePolicy:RolePolicy", `${stem}-policy`).inputs.policy),
            async: one(rs, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", `${stem}-async`),
            queue: one(rs, "aws:sqs/queue:Queue", `${stem}-failed`),
        };
    });
}

describe("LogPipeline component", function () {
    this.timeout(120_000);
    let all: MockedResource[];
    before(async () => { all = await plan(args()); });

    it("creates the multi-region trail with log file validation, KMS, its locked-down bucket and CloudWatch Logs delivery", () => {
        const trail = one(all, "aws:cloudtrail/trail:Trail", "-trail");
        expect(trail.inputs).to.include({ name: "guardpost-dev", isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogFileValidation: true, isOrganizationTrail: false, enableLogging: true });
        const key = one(all, "aws:kms/key:Key", "-key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        expect(trail.inputs.kmsKeyId).to.match(/^arn:aws:kms:eu-west-1:111111111111:key\//);
        const group = one(all, "aws:cloudwatch/logGroup:LogGroup", "-trail-logs");
        // 100 days of config become CloudWatch's next accepted period; S3 keeps exactly 100.
        expect(group.inputs).to.include({ name: "/guardpost/dev/cloudtrail", retentionInDays: 120, kmsKeyId: trail.inputs.kmsKeyId });
        for (const g of byType(all, "aws:cloudwatch/logGroup:LogGroup")) expect(CLOUDWATCH_RETENTION_DAYS, g.name).to.include(g.inputs.retentionInDays);
        expect(trail.inputs.cloudWatchLogsGroupArn).to.equal("arn:aws:logs:eu-west-1:111111111111:log-group:/guardpost/dev/cloudtrail:*");

        const bucket = one(all, "aws:s3/bucket:Bucket", "-trail");
        expect(trail.inputs.s3BucketName).to.equal(bucketOf(bucket));
        expect(one(all, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "-trail-public-access").inputs).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        expect(one(all, "aws:s3/bucketVersioning:BucketVersioning", "-trail-versioning").inputs.versioningConfiguration.status).to.equal("Enabled");
        expect(one(all, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "-trail-lifecycle").inputs.rules[0].expiration.days).to.equal(100);
        expect(one(all, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "-trail-sse").inputs.rules[0].applyServerSideEncryptionByDefault).to.include({ sseAlgorithm: "aws:kms" });
        const policy = json(one(all, "aws:s3/bucketPolicy:BucketPolicy", "-trail-policy").inputs.policy);
        const sids = policy.Statement.map((s: any) => s.Sid);
        expect(sids).to.include.members(["DenyInsecureTransport", "CloudTrailAclCheck", "CloudTrailWrite"]);
        const write = policy.Statement.find((s: any) => s.Sid === "CloudTrailWrite");
        expect(write.Resource).to.deep.equal([`${arnOf(bucket)}/AWSLogs/111111111111/*`]);
        expect(write.Condition.StringEquals["aws:SourceArn"]).to.equal("arn:aws:cloudtrail:eu-west-1:111111111111:trail/guardpost-dev");

        const cwlRole = one(all, "aws:iam/role:Role", "-trail-to-logs");
        const trust = json(cwlRole.inputs.assumeRolePolicy).Statement[0];
        expect(trust.Principal).to.deep.equal({ Service: "cloudtrail.amazonaws.com" });
        expect(trust.Condition.StringEquals["aws:SourceArn"]).to.equal("arn:aws:cloudtrail:eu-west-1:111111111111:trail/guardpost-dev");
        const cwlPolicy = json(one(all, "aws:iam/rolePolicy:RolePolicy", "-trail-to-logs").inputs.policy);
        expect(cwlPolicy.Statement[0]).to.deep.include({ Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:eu-west-1:111111111111:log-group:/guardpost/dev/cloudtrail:log-stream:*" });
        const keyPolicy = json(key.inputs.policy);
        const ct = keyPolicy.Statement.find((s: any) => s.Sid === "CloudTrailEncryptsLogFiles");
        expect(ct.Condition.StringEquals["aws:SourceArn"]).to.equal("arn:aws:cloudtrail:eu-west-1:111111111111:trail/guardpost-dev");
        expect(keyPolicy.Statement.find((s: any) => s.Sid === "CloudWatchLogsEncryptsThisAccountsLogGroups").Principal.Service).to.equal("logs.eu-west-1.amazonaws.com");
    });

    it("builds the shipper as a guarded nodejs22.x function with the exact environment contract, subscribed to the trail's log group", () => {
        const shipper = functions(all).find((f) => f.tag === "cloudtrail-shipper")!;
        expect(shipper.fn.inputs.runtime).to.equal("nodejs22.x");
        expect(shipper.fn.inputs.environment.variables).to.deep.equal({
            OPENSEARCH_ENDPOINT: `https://${DOMAIN_HOST}`,
            OPENSEARCH_REGION: "eu-west-1",
            INDEX_PREFIX: "cloudtrail",
            INDEX_PERIOD: "month",
            DEAD_LETTER_BUCKET: bucketOf(one(all, "aws:s3/bucket:Bucket", "-dead-letters")),
            GEOIP_DATABASE: GEOIP_LAYER_CITY,
            GEOIP_ASN_DATABASE: GEOIP_LAYER_ASN,
        });
        const layer = one(all, "aws:lambda/layerVersion:LayerVersion", "-geoip");
        expect(layer.inputs).to.include({ layerName: "guardpost-dev-geoip" });
        expect(layer.inputs.compatibleRuntimes).to.deep.equal(["nodejs22.x"]);
        expect(shipper.fn.inputs.layers).to.have.length(1);
        expect(shipper.fn.inputs.timeout).to.be.at.least(60);

        const permission = one(all, "aws:lambda/permission:Permission", "-shipper-invoke");
        expect(permission.inputs).to.deep.include({
            action: "lambda:InvokeFunction",
            principal: "logs.eu-west-1.amazonaws.com",
            sourceArn: "arn:aws:logs:eu-west-1:111111111111:log-group:/guardpost/dev/cloudtrail:*",
            sourceAccount: ACCOUNT,
            function: nameOf(shipper.fn),
        });
        const filter = one(all, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "-shipper-subscription");
        expect(filter.inputs).to.include({ logGroup: "/guardpost/dev/cloudtrail", filterPattern: "", destinationArn: arnOf(shipper.fn) });
        expect(filter.propertyDependencies).to.satisfy((deps: Record<string, string[]>) => Object.values(deps).flat().length > 0);
    });

    it("gives every function the guardpost tag, an on-failure queue and no more than its job needs", () => {
        const fns = functions(all);
        expect(fns.map((f) => f.tag).sort()).to.deep.equal(["cloudtrail-shipper", "vpcflow-transform", "waf-transform"]);
        for (const f of fns) {
            expect(f.fn.inputs.runtime, f.tag).to.equal("nodejs22.x");
            expect(f.async.inputs.destinationConfig.onFailure.destination, f.tag).to.equal(arnOf(f.queue));
            expect(f.queue.inputs.kmsMasterKeyId, f.tag).to.match(/:key\//);
        }
        const shipper = fns.find((f) => f.tag === "cloudtrail-shipper")!.policy.Statement;
        expect(shipper.find((s: any) => s.Sid === "WriteToSiemDomain")).to.deep.include({ Action: ["es:ESHttpPost", "es:ESHttpPut"], Resource: `${DOMAIN_ARN}/*` });
        expect(shipper.find((s: any) => s.Sid === "DeadLetter").Resource).to.equal(`${arnOf(one(all, "aws:s3/bucket:Bucket", "-dead-letters"))}/cloudtrail-shipper/*`);
        expect(shipper.find((s: any) => s.Sid === "EncryptObjectsViaS3").Condition).to.deep.equal({ StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
        for (const tag of ["vpcflow-transform", "waf-transform"]) {
            const sids = fns.find((f) => f.tag === tag)!.policy.Statement.map((s: any) => s.Sid);
            expect(sids, tag).to.deep.equal(["OwnLogGroup", "OnFailureDestination", "EncryptFailedEvents"]);
        }
        expect(fns.find((f) => f.tag === "waf-transform")!.fn.inputs.environment.variables).to.deep.equal({ GEOIP_DATABASE: GEOIP_LAYER_CITY, GEOIP_ASN_DATABASE: GEOIP_LAYER_ASN });
        expect(fns.find((f) => f.tag === "vpcflow-transform")!.fn.inputs).to.not.have.property("layers");
    });

    it("uses no wildcard action or resource in any role policy, and no managed policies", () => {
        const policies = byType(all, "aws:iam/rolePolicy:RolePolicy");
        expect(policies.length).to.be.greaterThan(8);
        for (const p of policies) {
            for (const s of json(p.inputs.policy).Statement) {
                for (const a of list(s.Action)) expect(a, `${p.name} ${s.Sid}`).to.not.include("*");
                for (const r of list(s.Resource)) {
                    // `…:log-stream:*`, `<bucket>/<prefix>/*`, `<domain>/*` and `<fn>:*` are scoped to one resource.
                    expect(r, `${p.name} ${s.Sid}`).to.not.equal("*");
                    expect(r, `${p.name} ${s.Sid}`).to.match(/^arn:aws:[a-z0-9-]+:/);
                }
            }
        }
        expect(byType(all, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
        for (const role of byType(all, "aws:iam/role:Role")) expect(role.inputs, role.name).to.not.have.property("managedPolicyArns");
    });

    it("delivers each Firehose stream to the domain endpoint with monthly indices and Firehose's own document ids, S3 backup of failures, retries and error logging", () => {
        const streams = byType(all, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
        expect(streams.map((s) => s.inputs.opensearchConfiguration.indexName).sort()).to.deep.equal(["dns", "securityhub", "vpcflow", "waf"]);
        for (const s of streams) {
            const c = s.inputs.opensearchConfiguration;
            expect(s.inputs.destination).to.equal("opensearch");
            expect(c).to.include({ clusterEndpoint: `https://${DOMAIN_HOST}`, indexRotationPeriod: "OneMonth", s3BackupMode: "FailedDocumentsOnly", retryDuration: 600, bufferingInterval: 60, bufferingSize: 5 });
            expect(c.documentIdOptions).to.deep.equal({ defaultDocumentIdFormat: "FIREHOSE_DEFAULT" });
            expect(c).to.not.have.property("domainArn");
            expect(c.cloudwatchLoggingOptions).to.deep.include({ enabled: true, logStreamName: "DestinationDelivery" });
            expect(c.cloudwatchLoggingOptions.logGroupName).to.equal(`/aws/kinesisfirehose/${s.inputs.name}`);
            expect(c.s3Configuration.prefix).to.equal(`firehose/${c.indexName}/`);
            expect(c.s3Configuration.bucketArn).to.equal(arnOf(one(all, "aws:s3/bucket:Bucket", "-dead-letters")));
            const transformed = c.processingConfiguration?.processors?.[0]?.parameters?.find((p: any) => p.parameterName === "LambdaArn")?.parameterValue;
            if (c.indexName === "vpcflow" || c.indexName === "waf") expect(transformed, c.indexName).to.equal(arnOf(one(all, "aws:lambda/function:Function", `-${c.indexName}-transform-fn`)));
            else expect(c.processingConfiguration, c.indexName).to.equal(undefined);

            const role = one(all, "aws:iam/role:Role", `-${c.indexName}-role`);
            expect(c.roleArn).to.equal(arnOf(role));
            expect(json(role.inputs.assumeRolePolicy).Statement[0]).to.deep.include({ Principal: { Service: "firehose.amazonaws.com" }, Condition: { StringEquals: { "sts:ExternalId": ACCOUNT } } });
            const policy = json(one(all, "aws:iam/rolePolicy:RolePolicy", `-${c.indexName}-policy`).inputs.policy).Statement;
            expect(policy.find((st: any) => st.Sid === "WriteToSiemDomain")).to.deep.include({ Action: ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"], Resource: [DOMAIN_ARN, `${DOMAIN_ARN}/*`] });
            // What AWS's cross-account Firehose → OpenSearch setup adds to the delivery role.
            expect(policy.find((st: any) => st.Sid === "DescribeSiemDomain")).to.deep.include({
                Action: ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"], Resource: [DOMAIN_ARN, `${DOMAIN_ARN}/*`] });
            expect(policy.find((st: any) => st.Sid === "BackupObjects").Resource).to.match(new RegExp(`/firehose/${c.indexName}/\\*$`));
            expect(Boolean(policy.find((st: any) => st.Sid === "InvokeTransform")), c.indexName).to.equal(Boolean(transformed));
        }
        expect(streams.find((s) => s.inputs.opensearchConfiguration.indexName === "waf")!.inputs.name).to.match(/^aws-waf-logs-/);
    });

    it("raises an alarm for every place a failed record is parked: function queues, the findings DLQ and the dead-letter bucket", () => {
        const topic = "arn:aws:sns:eu-west-1:111111111111:guardpost-alarms";
        const alarms = byType(all, "aws:cloudwatch/metricAlarm:MetricAlarm");
        for (const alarm of alarms) expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([topic]);
        const queues = byType(all, "aws:sqs/queue:Queue").map(nameOf);
        const watchedQueues = alarms.filter((a) => a.inputs.namespace === "AWS/SQS").map((a) => a.inputs.dimensions.QueueName);
        expect(watchedQueues.sort()).to.deep.equal(queues.sort());
        const bucket = one(all, "aws:s3/bucket:Bucket", "-dead-letters");
        const metric = one(all, "aws:s3/bucketMetric:BucketMetric", "-dead-letters-parked");
        expect(metric.inputs).to.deep.equal({ region: "eu-west-1", bucket: bucketOf(bucket), name: "parked-records" });
        const parked = one(all, "aws:cloudwatch/metricAlarm:MetricAlarm", "-dead-letters-parked").inputs;
        expect(parked).to.include({ namespace: "AWS/S3", metricName: "PutRequests", statistic: "Sum", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
        expect(parked.dimensions).to.deep.equal({ BucketName: bucketOf(bucket), FilterId: "parked-records" });
    });

    it("sends every configured VPC's flow logs to the stream in the v5 format the transform parses", () => {
        const flows = byType(all, "aws:ec2/flowLog:FlowLog");
        expect(flows.map((f) => f.inputs.vpcId).sort()).to.deep.equal([VPC, VPC2].sort());
        const transform = functions(all).find((f) => f.tag === "vpcflow-transform")!;
        const configured = parseFieldList(transform.fn.inputs.environment.variables.VPC_FLOW_FIELDS).fields;
        expect(configured).to.deep.equal(DEFAULT_VPC_FLOW_FIELDS);
        for (const f of flows) {
            expect(f.inputs).to.include({ trafficType: "ALL", logDestinationType: "kinesis-data-firehose", logDestination: streamArn(all, "guardpost-dev-vpcflow") });
            expect(parseFieldList(f.inputs.logFormat).fields).to.deep.equal(configured);
            expect(f.inputs.logFormat).to.contain("${traffic-path}");
        }
    });

    it("logs each web ACL, the Resolver query logs of each VPC and Security Hub findings to their streams", () => {
        const waf = byType(all, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
        expect(waf.map((w) => [w.inputs.resourceArn, w.inputs.logDestinationConfigs])).to.deep.equal([[ACL, [streamArn(all, wafStreamName("dev"))]]]);
        const redacted = waf[0].inputs.redactedFields.map((f: any) => f.singleHeader.name);
        expect(redacted).to.include.members(["authorization", "cookie"]);
        for (const h of redacted) expect(h).to.equal(h.toLowerCase());
        const config = one(all, "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig", "-dns");
        expect(config.inputs.destinationArn).to.equal(streamArn(all, "guardpost-dev-dns"));
        expect(byType(all, "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation").map((a) => [a.inputs.resourceId, a.inputs.resolverQueryLogConfigId]))
            .to.deep.equal([[VPC, config.id]]);
        const rule = one(all, "aws:cloudwatch/eventRule:EventRule", "-securityhub");
        expect(json(rule.inputs.eventPattern)).to.deep.equal({ source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"] });
        const target = one(all, "aws:cloudwatch/eventTarget:EventTarget", "-securityhub");
        expect(target.inputs.arn).to.equal(streamArn(all, "guardpost-dev-securityhub"));
        expect(target.inputs.deadLetterConfig.arn).to.equal(arnOf(one(all, "aws:sqs/queue:Queue", "-securityhub-dlq")));
        const role = one(all, "aws:iam/role:Role", "-securityhub-events");
        expect(target.inputs.roleArn).to.equal(arnOf(role));
        expect(json(role.inputs.assumeRolePolicy).Statement[0].Principal).to.deep.equal({ Service: "events.amazonaws.com" });
        expect(json(one(all, "aws:iam/rolePolicy:RolePolicy", "-securityhub-events").inputs.policy).Statement).to.deep.equal([
            { Sid: "PutFindings", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: target.inputs.arn },
        ]);
        const [dlqPolicy, tlsOnly] = json(one(all, "aws:sqs/queuePolicy:QueuePolicy", "-securityhub-dlq").inputs.policy).Statement;
        expect(dlqPolicy.Principal).to.deep.equal({ Service: "events.amazonaws.com" });
        expect(dlqPolicy.Condition.ArnEquals["aws:SourceArn"]).to.deep.equal([arnOf(rule)]);
        expect(tlsOnly).to.include({ Effect: "Deny", Action: "sqs:*" });
        expect(tlsOnly.Condition.Bool["aws:SecureTransport"]).to.equal("false");
    });

    it("creates the writer roles from trust policies alone, before and without the domain they write to", async () => {
        let writers: string[] = [];
        const { resources } = await runMocked(() => {
            const p = testProvider(ACCOUNT, "eu-west-1");
            let resolveArn!: (v: string) => void;
            let resolveHost!: (v: string) => void;
            const domainArn = pulumi.output(new Promise<string>((r) => { resolveArn = r; }));
            const domainEndpoint = pulumi.output(new Promise<string>((r) => { resolveHost = r; }));
            const lp = new LogPipeline("dev-eu-west-1", args({ domainArn, domainEndpoint }), { provider: p });
            // The domain's access policy needs the writer ARNs; if any role waited on the domain this would deadlock.
            const domain = new aws.opensearch.Domain("siem", {
                domainName: "guardpost-siem",
                accessPolicies: pulumi.all(lp.writerRoleArns).apply((arns) => {
                    writers = arns;
                    return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: arns }, Action: "es:ESHttp*", Resource: "arn:aws:es:eu-west-1:222222222222:domain/guardpost-siem/*" }] });
                }),
            }, { provider: p });
            domain.arn.apply(resolveArn);
            domain.endpoint.apply(resolveHost);
        });
        const domain = resources.find((r) => r.type === "aws:opensearch/domain:Domain")!;
        expect(writers).to.have.length(5);
        const writerRoles = byType(resources, "aws:iam/role:Role").filter((r) => /-(shipper|vpcflow|waf|dns|securityhub)-role$/.test(r.name));
        expect(writers.sort()).to.deep.equal(writerRoles.map(arnOf).sort());
        for (const role of byType(resources, "aws:iam/role:Role")) {
            expect(JSON.stringify(role.inputs), role.name).to.not.contain("guardpost-siem");
            expect(Object.values(role.propertyDependencies).flat(), role.name).to.not.include(domain.urn);
        }
        const shipper = resources.find((r) => r.type === "aws:lambda/function:Function" && r.inputs.tags["guardpost:function"] === "cloudtrail-shipper")!;
        // The endpoint reached the function's environment once the domain existed.
        expect(shipper.inputs.environment.variables.OPENSEARCH_ENDPOINT).to.equal(`https://${fakeState(domain.type, domain.name, domain.inputs, domain.provider).endpoint}`);
    });

    it("without a trail mode (other regions, member accounts) has no trail, shipper or layer; only the streams that region has", async () => {
        // The SIEM in the same region, so the flow logs take Firehose (elsewhere the relay does: logRelayComponent.test.ts).
        const elsewhere = await plan(args({ region: "eu-central-1", domainRegion: "eu-central-1", trail: "none", wafWebAclArns: [], dnsQueryLogVpcIds: [], vpcFlowLogVpcIds: [VPC], securityHubFindings: false }));
        expect(byType(elsewhere, "aws:cloudtrail/trail:Trail")).to.have.length(0);
        expect(byType(elsewhere, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")).to.have.length(0);
        expect(byType(elsewhere, "aws:lambda/layerVersion:LayerVersion"), "no GeoIP user here").to.have.length(0);
        expect(functions(elsewhere).map((f) => f.tag)).to.deep.equal(["vpcflow-transform"]);
        expect(byType(elsewhere, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").map((s) => s.inputs.name)).to.deep.equal(["guardpost-dev-vpcflow"]);
        const noTrail = await plan(args({ trail: "none", wafWebAclArns: [], vpcFlowLogVpcIds: [], dnsQueryLogVpcIds: [], securityHubFindings: false, geoipDatabasePath: undefined }));
        expect(noTrail.filter((r) => r.custom).map((r) => r.type).sort()).to.not.include("aws:cloudtrail/trail:Trail");
        expect(functions(noTrail)).to.have.length(0);
    });

    it("makes an organization trail that lets CloudTrail write under the organization's prefix", async () => {
        const only = { trail: "organization" as const, wafWebAclArns: [], vpcFlowLogVpcIds: [], dnsQueryLogVpcIds: [], securityHubFindings: false };
        const org = await plan(args({ ...only, organizationId: "o-abcdefghij" }));
        expect(one(org, "aws:cloudtrail/trail:Trail", "-trail").inputs.isOrganizationTrail).to.equal(true);
        const write = json(one(org, "aws:s3/bucketPolicy:BucketPolicy", "-trail-policy").inputs.policy).Statement.find((s: any) => s.Sid === "CloudTrailWrite");
        expect(write.Resource).to.have.length(2);
        expect(write.Resource[1]).to.match(/\/AWSLogs\/o-abcdefghij\/\*$/);
        const noId = await plan(args(only));
        const pinned = json(one(noId, "aws:s3/bucketPolicy:BucketPolicy", "-trail-policy").inputs.policy).Statement.find((s: any) => s.Sid === "CloudTrailWrite");
        expect(pinned.Resource[1]).to.match(/\/AWSLogs\/\*$/);
        expect(pinned.Condition.StringEquals["aws:SourceArn"]).to.equal("arn:aws:cloudtrail:eu-west-1:111111111111:trail/guardpost-dev");
    });

    it("reports which log sources it ships from this account and region", async () => {
        await runMocked(() => {
            const lp = new LogPipeline("dev-src", args(), { provider: testProvider(ACCOUNT, "eu-west-1") });
            expect(lp.enabledSources).to.deep.equal(["cloudtrail", "vpcflow", "waf", "dns", "securityhub"]);
            const none = new LogPipeline("dev-src-none", args({ trail: "none", wafWebAclArns: [], vpcFlowLogVpcIds: [], securityHubFindings: false }), { provider: testProvider(ACCOUNT, "eu-west-1", "p2") });
            expect(none.enabledSources).to.deep.equal(["dns"]);
        });
    });

    it("refuses bad arguments with a message naming each problem", () => {
        const cases: Array<[Partial<LogPipelineArgs>, RegExp]> = [
            [{ trail: "both" as any }, /trail must be none, account or organization, got 'both'/],
            [{ organizationId: "org-1" }, /organizationId 'org-1' is not an organization id/],
            [{ firehoseRetrySeconds: 9000 }, /firehoseRetrySeconds must be 0–7200, got 9000/],
            [{ wafWebAclArns: [CLOUDFRONT_ACL] }, /must be logged from us-east-1, not eu-west-1/],
            [{ wafWebAclArns: ["arn:aws:waf::111111111111:webacl/classic"] }, /is not a WAFv2 web ACL ARN/],
            [{ vpcFlowLogVpcIds: ["default"] }, /'default' is not a VPC id/],
            [{ stage: "Prod" }, /stage 'Prod'/],
            [{ accountId: "1234" }, /accountId '1234'/],
        ];
        for (const [o, message] of cases) expect(() => new LogPipeline("bad", args(o)), String(message)).to.throw(message);
        expect(wafAclLoggingRegion(CLOUDFRONT_ACL)).to.equal("us-east-1");
        expect([1, 2, 90, 91, 3653, 5000].map(cloudWatchRetention)).to.deep.equal([1, 3, 90, 120, 3653, 3653]);
    });

    it("fails clearly when the GeoIP database is missing or still gzip-compressed", () => {
        const missing = path.join(os.tmpdir(), "guardpost-no-such-GeoLite2-City.mmdb");
        expect(() => new LogPipeline("geo", args({ geoipDatabasePath: missing }))).to.throw(/geoipDatabasePath '.*guardpost-no-such-GeoLite2-City\.mmdb' does not exist\. Download GeoLite2-City\.mmdb .* MaxMind licence key/);
        expect(() => new LogPipeline("geo", args({ geoipDatabasePath: undefined }))).to.throw(/geoipDatabasePath is not set/);
        const gz = path.join(os.tmpdir(), `guardpost-geo-${process.pid}.mmdb.gz`);
        fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(GEOIP_CITY)));
        try {
            expect(() => new LogPipeline("geo", args({ geoipDatabasePath: gz }))).to.throw(/is gzip-compressed; extract the \.mmdb/);
        } finally {
            fs.unlinkSync(gz);
        }
    });

    it("packs the databases where the functions' GEOIP_* variables point, and ships only the packages each function needs", () => {
        const files = geoipLayerFiles(GEOIP_CITY, GEOIP_ASN);
        expect(Object.keys(files).map((k) => `/opt/${k}`)).to.deep.equal([GEOIP_LAYER_CITY, GEOIP_LAYER_ASN]);
        expect(Object.values(files)).to.deep.equal([GEOIP_CITY, GEOIP_ASN]);
        expect(geoipLayerFiles(GEOIP_CITY)).to.have.keys("geoip/GeoLite2-City.mmdb");
        const deps = Object.keys(require("../package.json").dependencies);
        for (const p of [...SHIPPER_PACKAGES, ...WAF_TRANSFORM_PACKAGES]) expect(deps, p).to.include(p);
        expect(SHIPPER_PACKAGES).to.not.include("node-telegram-bot-api");
    });
});
