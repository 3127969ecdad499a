import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDPOST_ROLE_PATH } from "../../model/iamPath";
import { RELAY_SUBSCRIPTION_NAME } from "../../model/logPaths";
import { createLogRelayHandler, RELAY_DEAD_LETTER_PREFIX, RELAY_TIMEOUT_SECONDS } from "../../functions/log-relay/logRelay";
import type { RelayKind } from "../../functions/log-relay/relayDocs";
import { vpcFlowLogFormat } from "../../functions/vpcflow-transform/vpcflowTransform";
import { clusterEndpoint } from "../shared/firehoseStream";
import { GuardedFunction, PolicyStatement as FunctionStatement } from "../shared/guardedFunction";
import { securityHubImportedPattern, wafAclSlug } from "./logPolicies";
import { securityHubTarget } from "./securityHubTarget";
import { flowLogsToLogsPolicy, flowLogsToLogsTrust, relayLogGroupName, relayStatements } from "./relayPolicies";

export const RELAY_PACKAGES = ["maxmind", "@aws-sdk/client-s3"];

export interface LogRelayArgs {
    /** Stage: part of the log group names. */
    stage: string;
    /** Account of the provider (plain: trust conditions and ARNs name it). */
    accountId: string;
    /** The source region, which is not the SIEM's home region. */
    region: string;
    /** Partition of `region`. */
    partition: string;
    /** SIEM domain ARN: the relay's write permission (never a dependency of its role). */
    domainArn: pulumi.Input<string>;
    /** SIEM domain endpoint (host or URL): OPENSEARCH_ENDPOINT. */
    domainEndpoint: pulumi.Input<string>;
    /** The SIEM domain's region: OPENSEARCH_REGION, the SigV4 signing region. */
    domainRegion: string;
    /** `month` or `day`: the SIEM's index period. */
    indexPeriod: "month" | "day";
    /** VPCs whose flow logs are relayed (custom format with these fields). */
    vpcFlowLogVpcIds: string[];
    /** The flow log field list (the same the Firehose path's transform uses). */
    vpcFlowFields: readonly string[];
    /** Web ACLs whose logs are relayed (logged from this region). */
    wafWebAclArns: string[];
    /** Request headers WAF redacts before logging. */
    wafRedactedHeaders: string[];
    /** VPCs whose Route 53 Resolver query logs are relayed. */
    dnsQueryLogVpcIds: string[];
    /** Relay Security Hub "Findings - Imported" events of this region. */
    securityHubFindings: boolean;
    /** The pipeline's dead-letter bucket (relay dead letters go under `log-relay/`). */
    deadLetterBucketName: pulumi.Input<string>;
    deadLetterBucketArn: pulumi.Input<string>;
    /** The pipeline's CMK: the relayed log groups, the function's queue and log group. */
    keyArn: pulumi.Input<string>;
    /** Retention (a value CloudWatch Logs accepts) of the relayed log groups and the function's logs. */
    logRetentionDays: number;
    /** The GeoIP layer of this region (WAF client addresses), and the env vars pointing into it. */
    layerArn?: pulumi.Input<string>;
    geoEnv: Record<string, string>;
    /** Where the failure-queue and DLQ alarms go. */
    alarmTopicArn?: pulumi.Input<string>;
    /** Reserved concurrency of the relay (its ceiling during an OpenSearch outage). 0 = none. */
    reservedConcurrency: number;
    /** guardpost's permissions boundary in this account: on the function's and the flow-log role. */
    permissionsBoundary: string;
    tags: Record<string, string>;
}

/**
 * The documented path for log sources outside the SIEM's home region, where Firehose cannot deliver to the domain
 * (https://docs.aws.amazon.com/firehose/latest/dev/across.html): each source logs to a CloudWatch Logs group in
 * its own region — VPC Flow Logs with a role (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html),
 * WAF to an `aws-waf-logs-` group (https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html),
 * Resolver query logging to a group (its DestinationArn may be a log group:
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_CreateResolverQueryLogConfig.html) —
 * and a subscription filter hands every batch to the log-relay function in the same account and region
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample), which
 * indexes it over HTTPS signed for the domain's region. Security Hub findings reach the function from an EventBridge
 * rule (a Lambda target with a resource-based permission:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions).
 * The function's role is a SIEM writer like the shipper's.
 */
export class LogRelay extends pulumi.ComponentResource {
    /** The relay function's role: a writer the domain policy and the guardpost_log_writer mapping must name. */
    declare readonly writerRoleArn: pulumi.Output<string>;
    /** Its on-failure queue (whole batches that failed every retry), for `npm run replay`. */
    declare readonly failureQueueUrl: pulumi.Output<string>;
    /** The Security Hub events EventBridge could not hand to the function; undefined without Security Hub. */
    declare readonly securityHubDlqUrl: pulumi.Output<string> | undefined;
    /** Relayed log group name → log type (the function's LOG_GROUP_KINDS; replay reads it too). */
    declare readonly logGroupKinds: Record<string, RelayKind>;
    /** Log types relayed from here. */
    declare readonly kinds: RelayKind[];

    constructor(name: string, args: LogRelayArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems: string[] = [];
        if (args.region === args.domainRegion) problems.push(`region ${args.region} is the SIEM's region: its sources take the Firehose path`);
        if (!args.vpcFlowLogVpcIds.length && !args.wafWebAclArns.length && !args.dnsQueryLogVpcIds.length && !args.securityHubFindings) problems.push("nothing to relay");
        if (args.wafWebAclArns.length > 0 && !args.layerArn) problems.push("WAF logs need the GeoIP layer of this region");
        if (problems.length > 0) throw new Error(`LogRelay ${name}: ${problems.join("; ")}`);
        super("guardpost:logging:LogRelay", name, {}, opts);
        const { stage, region, partition, tags } = args;
        const account = args.accountId;
        const parent = { parent: this };
        // The relayed groups' names are fixed by stage and kind, so the function's LOG_GROUP_KINDS is known up front.
        const groupKinds = ([["vpcflow", args.vpcFlowLogVpcIds], ["waf", args.wafWebAclArns], ["dns", args.dnsQueryLogVpcIds]] as const)
            .filter(([, sources]) => sources.length > 0).map(([kind]) => kind);
        const logGroupKinds: Record<string, RelayKind> = Object.fromEntries(groupKinds.map((kind) => [relayLogGroupName(stage, kind), kind]));
        const groups: Array<{ kind: Exclude<RelayKind, "securityhub">; group: aws.cloudwatch.LogGroup }> = [];
        const logGroup = (kind: Exclude<RelayKind, "securityhub">) => {
            const group = new aws.cloudwatch.LogGroup(`${name}-${kind}-logs`, {
                region, name: relayLogGroupName(stage, kind), retentionInDays: args.logRetentionDays, kmsKeyId: args.keyArn, tags: { ...tags, "guardpost:log-kind": kind },
            }, parent);
            groups.push({ kind, group });
            return group;
        };

        const fn = new GuardedFunction(name, {
            region,
            permissionsBoundary: args.permissionsBoundary,
            functionTag: "log-relay",
            description: `guardpost ${stage}: ${region} logs (CloudWatch Logs, Security Hub) → the SIEM in ${args.domainRegion}`,
            callbackFactory: createLogRelayHandler,
            statements: pulumi.all([args.domainArn, args.deadLetterBucketArn, args.keyArn]).apply(([domainArn, bucketArn, keyArn]) =>
                relayStatements({ domainArn, bucketArn, keyArn, region, deadLetterPrefix: RELAY_DEAD_LETTER_PREFIX }) as FunctionStatement[]),
            environment: {
                OPENSEARCH_ENDPOINT: pulumi.output(args.domainEndpoint).apply(clusterEndpoint),
                OPENSEARCH_REGION: args.domainRegion,
                INDEX_PERIOD: args.indexPeriod,
                LOG_GROUP_KINDS: JSON.stringify(logGroupKinds),
                VPC_FLOW_FIELDS: args.vpcFlowFields.join(" "),
                DEAD_LETTER_BUCKET: args.deadLetterBucketName,
                ...(args.wafWebAclArns.length > 0 ? args.geoEnv : {}),
            },
            timeout: RELAY_TIMEOUT_SECONDS,
            memorySize: 512,
            layers: args.wafWebAclArns.length > 0 && args.layerArn ? [args.layerArn] : [],
            packages: RELAY_PACKAGES,
            reservedConcurrency: args.reservedConcurrency,
            kmsKeyArn: args.keyArn,
            alarmTopicArn: args.alarmTopicArn,
            logRetentionDays: args.logRetentionDays,
        }, parent);

        if (args.vpcFlowLogVpcIds.length > 0) {
            const group = logGroup("vpcflow");
            const role = new aws.iam.Role(`${name}-flow-logs-role`, {
                path: GUARDPOST_ROLE_PATH,
                permissionsBoundary: args.permissionsBoundary,
                description: `guardpost: VPC Flow Logs → ${relayLogGroupName(stage, "vpcflow")} (${region})`,
                assumeRolePolicy: JSON.stringify(flowLogsToLogsTrust({ partition, region, account })),
                tags,
            }, parent);
            const policy = new aws.iam.RolePolicy(`${name}-flow-logs-policy`, {
                role: role.id,
                policy: group.arn.apply((logGroupArn) => JSON.stringify(flowLogsToLogsPolicy({ logGroupArn }))),
            }, parent);
            for (const vpcId of args.vpcFlowLogVpcIds) {
                new aws.ec2.FlowLog(`${name}-flow-${vpcId}`, {
                    region,
                    vpcId,
                    trafficType: "ALL",
                    logDestinationType: "cloud-watch-logs",
                    logDestination: group.arn,
                    iamRoleArn: role.arn,
                    logFormat: vpcFlowLogFormat(args.vpcFlowFields),
                    maxAggregationInterval: 60,
                    tags,
                }, { parent: this, dependsOn: [policy] });
            }
        }

        if (args.wafWebAclArns.length > 0) {
            const group = logGroup("waf");
            for (const arn of args.wafWebAclArns) {
                // WAF creates the log group's resource policy for its log delivery on first use, given the
                // deployer's logs:PutResourcePolicy (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html).
                new aws.wafv2.WebAclLoggingConfiguration(`${name}-waf-${wafAclSlug(arn)}`, {
                    region,
                    resourceArn: arn,
                    logDestinationConfigs: [group.arn],
                    redactedFields: args.wafRedactedHeaders.map((h) => ({ singleHeader: { name: h } })),
                }, parent);
            }
        }

        if (args.dnsQueryLogVpcIds.length > 0) {
            const group = logGroup("dns");
            const config = new aws.route53.ResolverQueryLogConfig(`${name}-dns`, { region, name: `guardpost-${stage}-relay`, destinationArn: group.arn, tags }, parent);
            for (const vpcId of args.dnsQueryLogVpcIds) {
                new aws.route53.ResolverQueryLogConfigAssociation(`${name}-dns-${vpcId}`, { region, resolverQueryLogConfigId: config.id, resourceId: vpcId }, parent);
            }
        }

        for (const { kind, group } of groups) {
            const permission = new aws.lambda.Permission(`${name}-${kind}-invoke`, {
                region,
                action: "lambda:InvokeFunction",
                function: fn.function.name,
                principal: `logs.${region}.amazonaws.com`,
                sourceArn: pulumi.interpolate`${group.arn}:*`,
                sourceAccount: account,
            }, parent);
            new aws.cloudwatch.LogSubscriptionFilter(`${name}-${kind}-subscription`, {
                region,
                name: RELAY_SUBSCRIPTION_NAME,
                logGroup: group.name,
                filterPattern: "",
                destinationArn: fn.function.arn,
            }, { parent: this, dependsOn: [permission] });
        }

        let dlqUrl: pulumi.Output<string> | undefined;
        if (args.securityHubFindings) {
            const rule = new aws.cloudwatch.EventRule(`${name}-securityhub`, {
                region,
                description: `guardpost ${stage}: Security Hub findings of ${region} to the SIEM (log relay)`,
                eventPattern: JSON.stringify(securityHubImportedPattern()),
                tags,
            }, parent);
            const permission = new aws.lambda.Permission(`${name}-securityhub-invoke`, {
                region,
                action: "lambda:InvokeFunction",
                function: fn.function.name,
                principal: "events.amazonaws.com",
                sourceArn: rule.arn,
            }, parent);
            const dlq = securityHubTarget(name, {
                region, rule, targetArn: fn.function.arn, dependsOn: [permission], tags,
                alarmDescription: `guardpost ${stage}: Security Hub findings of ${region} could not be handed to the log relay and wait in the DLQ`,
                alarmActions: args.alarmTopicArn ? [args.alarmTopicArn] : [],
            }, this);
            dlqUrl = dlq.url;
        }

        this.writerRoleArn = fn.role.arn;
        this.failureQueueUrl = fn.failureQueue.url;
        this.securityHubDlqUrl = dlqUrl;
        this.logGroupKinds = logGroupKinds;
        this.kinds = [...groups.map((g) => g.kind), ...(args.securityHubFindings ? ["securityhub" as const] : [])];
        this.registerOutputs({ writerRoleArn: fn.role.arn, failureQueueUrl: fn.failureQueue.url, logGroupKinds, kinds: this.kinds });
    }
}
