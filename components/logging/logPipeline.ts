import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDPOST_ROLE_PATH, guardpostBoundaryArn } from "../../model/iamPath";
import { createCloudTrailShipperHandler, DEAD_LETTER_PREFIX, SHIPPER_TIMEOUT_SECONDS } from "../../functions/cloudtrail-shipper/cloudtrailShipper";
import { createVpcflowTransformHandler, DEFAULT_VPC_FLOW_FIELDS, vpcFlowLogFormat } from "../../functions/vpcflow-transform/vpcflowTransform";
import { createWafTransformHandler } from "../../functions/waf-transform/wafTransform";
import { clusterEndpoint, FirehoseStream } from "../shared/firehoseStream";
import { GuardedFunction, LAMBDA_RUNTIME, PolicyStatement as FunctionStatement } from "../shared/guardedFunction";
import {
    checkGeoipDatabase, cloudTrailLogsPolicy, cloudWatchRetention, cloudTrailLogsTrust, eventsToFirehosePolicy, eventsTrust, logPipelineKeyPolicy,
    partitionOf, securityHubImportedPattern, shipperStatements, trailArn, trailBucketStatements, trailObjectReadStatements, wafAclSlug, wafStreamName,
} from "./logPolicies";
import { SecureBucket } from "../shared/secureBucket";
import { GeoipLayer } from "./geoipLayer";
import { OFFLINE_PLAN_ENV } from "../../model/offlinePlan";
import { LogRelay } from "./logRelay";
import { parkedObjectsAlarm } from "./parkedObjectsAlarm";
import { securityHubTarget } from "./securityHubTarget";
import { logPathFor } from "./relayPolicies";
import { validateLogPipelineArgs, type LogPipelineArgs } from "./logPipelineArgs";

export type { LogPipelineArgs, TrailMode } from "./logPipelineArgs";

export { PARKED_METRIC_ID } from "./parkedObjectsAlarm";

/** Layers unpack under /opt; these are the databases' paths inside the functions. */
export const GEOIP_LAYER_CITY = "/opt/geoip/GeoLite2-City.mmdb";
export const GEOIP_LAYER_ASN = "/opt/geoip/GeoLite2-ASN.mmdb";
export const SHIPPER_PACKAGES = ["maxmind", "@aws-sdk/client-s3"];
export const WAF_TRANSFORM_PACKAGES = ["maxmind"];
export const VPCFLOW_TRANSFORM_PACKAGES: string[] = [];
export const TRANSFORM_TIMEOUT_SECONDS = 60;
/** Request headers WAF replaces with REDACTED before logging (lower case, as WAF requires). */
export const WAF_REDACTED_HEADERS = ["authorization", "cookie", "x-api-key", "proxy-authorization"];

/** Archive layout of the GeoIP layer: entries land under /opt, where GEOIP_LAYER_* point. */
export function geoipLayerFiles(cityPath: string, asnPath?: string): Record<string, string> {
    const files: Record<string, string> = { [GEOIP_LAYER_CITY.replace(/^\/opt\//, "")]: cityPath };
    if (asnPath) files[GEOIP_LAYER_ASN.replace(/^\/opt\//, "")] = asnPath;
    return files;
}

/**
 * Ships an account×region's security logs into the central SIEM domain: CloudTrail (trail → CloudWatch
 * Logs → shipper Lambda, in the trail region only), VPC flow logs, WAF logs, Route 53 Resolver query logs
 * and Security Hub findings (each through its own Firehose stream in the SIEM's home region; from any other region
 * through the log relay — CloudWatch Logs → log-relay Lambda — because Firehose delivers to a domain only in its own
 * region: see logRelay.ts). Every writer role is created from a
 * trust policy alone, so `writerRoleArns` exist before the domain; the domain's ARN and endpoint reach only
 * policies and environment variables. Whatever cannot be indexed is kept in the dead-letter bucket.
 */
export class LogPipeline extends pulumi.ComponentResource {
    /** Shipper, Firehose and relay roles, for the domain access policy and the guardpost_log_writer mapping. */
    declare readonly writerRoleArns: pulumi.Output<string>[];
    declare readonly deadLetterBucketName: pulumi.Output<string>;
    declare readonly trailArn: pulumi.Output<string> | undefined;
    /** Stream ARN per log kind present here (`vpcflow`, `waf`, `dns`, `securityhub`). */
    declare readonly streamArns: Record<string, pulumi.Output<string>>;
    /** Log sources shipped from here: `cloudtrail`, `vpcflow`, `waf`, `dns`, `securityhub`. */
    declare readonly enabledSources: string[];
    /**
     * Where failed records wait for `npm run replay`: the dead-letter bucket and the queues; with the relay, its
     * on-failure queue and which log type each relayed log group carries.
     */
    declare readonly parking: pulumi.Output<{ bucket: string; shipperFailureQueueUrl?: string; securityHubDlqUrl?: string; relayFailureQueueUrl?: string; relayLogGroups?: Record<string, string> }>;

    constructor(name: string, args: LogPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before super: bad arguments must fail without registering a half-built component.
        validateLogPipelineArgs(name, args);
        const withTrail = args.trail !== "none";
        const wafArns = args.wafWebAclArns ?? [];
        const needsGeo = withTrail || wafArns.length > 0;
        // The offline plan never uploads the layer, so there a missing database is the plan's warning, not an error.
        if (needsGeo && process.env[OFFLINE_PLAN_ENV] !== "1") {
            checkGeoipDatabase(`LogPipeline ${name}`, "geoipDatabasePath", args.geoipDatabasePath);
            if (args.geoipAsnDatabasePath) checkGeoipDatabase(`LogPipeline ${name}`, "geoipAsnDatabasePath", args.geoipAsnDatabasePath);
        }
        super("guardpost:logging:LogPipeline", name, {}, opts);
        // Plain locals only: closures and apply callbacks below must not capture `this` or `args`.
        const stage = args.stage;
        const account = args.accountId;
        const region = args.region;
        const partition = partitionOf(region);
        const boundary = guardpostBoundaryArn(partition, account);
        const retention = args.retentionDays ?? 90;
        const indexPeriod = args.indexPeriod ?? "month";
        const logRetention = cloudWatchRetention(retention);
        const tags = { "guardpost:stage": stage, "guardpost:component": "log-pipeline" };
        const parent = { parent: this };
        const thisTrailArn = trailArn({ partition, region, account, trailName: `guardpost-${stage}` });
        const writers: pulumi.Output<string>[] = [];
        const streams: Record<string, pulumi.Output<string>> = {};

        const key = new aws.kms.Key(`${name}-key`, {
            region,
            description: `guardpost ${stage} security logs (${region})`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: JSON.stringify(logPipelineKeyPolicy({ partition, account, region, trailArn: withTrail ? thisTrailArn : undefined })),
            tags,
        }, parent);
        const deadLetters = new SecureBucket(`${name}-dead-letters`, { region, kmsKeyArn: key.arn, lifecycleDays: args.deadLetterRetentionDays ?? 90, tags }, parent);
        parkedObjectsAlarm(`${name}-dead-letters`, region, deadLetters.name, stage, args.alarmTopicArn, tags, this);

        let layerArn: pulumi.Output<string> | undefined;
        const geoEnv: Record<string, string> = {};
        if (needsGeo) {
            geoEnv.GEOIP_DATABASE = GEOIP_LAYER_CITY;
            if (args.geoipAsnDatabasePath) geoEnv.GEOIP_ASN_DATABASE = GEOIP_LAYER_ASN;
            layerArn = new GeoipLayer(`${name}-geoip`, {
                region,
                layerName: `guardpost-${stage}-geoip`,
                files: geoipLayerFiles(args.geoipDatabasePath!, args.geoipAsnDatabasePath),
                compatibleRuntimes: [LAMBDA_RUNTIME],
                tags,
            }, parent).arn;
        }
        const fnCommon = { kmsKeyArn: key.arn, alarmTopicArn: args.alarmTopicArn, logRetentionDays: logRetention, permissionsBoundary: boundary };

        let trailOut: pulumi.Output<string> | undefined;
        let shipperQueueUrl: pulumi.Output<string> | undefined;
        let securityHubDlqUrl: pulumi.Output<string> | undefined;
        if (withTrail) {
            const organization = args.trail === "organization";
            const organizationId = organization ? args.organizationId : undefined;
            const trailBucket = new SecureBucket(`${name}-trail`, {
                region,
                kmsKeyArn: key.arn,
                lifecycleDays: retention,
                extraPolicyStatements: (bucketArn) => trailBucketStatements({ bucketArn, account, trailArn: thisTrailArn, organization, organizationId }),
                tags,
            }, parent);
            const logGroup = new aws.cloudwatch.LogGroup(`${name}-trail-logs`, {
                region,
                name: `/guardpost/${stage}/cloudtrail`,
                retentionInDays: logRetention,
                kmsKeyId: key.arn,
                tags,
            }, parent);
            const cwlRole = new aws.iam.Role(`${name}-trail-to-logs`, {
                path: GUARDPOST_ROLE_PATH,
                permissionsBoundary: boundary,
                description: "CloudTrail delivery to its CloudWatch Logs group",
                assumeRolePolicy: JSON.stringify(cloudTrailLogsTrust({ account, trailArn: thisTrailArn })),
                tags,
            }, parent);
            const cwlPolicy = new aws.iam.RolePolicy(`${name}-trail-to-logs`, {
                role: cwlRole.id,
                policy: logGroup.arn.apply((arn) => JSON.stringify(cloudTrailLogsPolicy({ logGroupArn: arn }))),
            }, parent);
            const trail = new aws.cloudtrail.Trail(`${name}-trail`, {
                region,
                name: `guardpost-${stage}`,
                s3BucketName: trailBucket.name,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                isOrganizationTrail: organization,
                enableLogFileValidation: true,
                enableLogging: true,
                kmsKeyId: key.arn,
                // CloudTrail wants the log-stream wildcard on the group ARN.
                cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
                cloudWatchLogsRoleArn: cwlRole.arn,
                tags,
            }, { parent: this, dependsOn: [trailBucket.policy, cwlPolicy, key] });
            trailOut = trail.arn;

            const shipper = new GuardedFunction(`${name}-shipper`, {
                region,
                functionTag: "cloudtrail-shipper",
                description: `guardpost ${stage}: CloudTrail (CloudWatch Logs) → SIEM, with GeoIP`,
                callbackFactory: createCloudTrailShipperHandler,
                statements: pulumi.all([args.domainArn, deadLetters.arn, key.arn, trailBucket.arn]).apply(([domainArn, bucketArn, keyArn, trailBucketArn]) => [
                    ...shipperStatements({ domainArn, bucketArn, keyArn, region, deadLetterPrefix: DEAD_LETTER_PREFIX }),
                    ...trailObjectReadStatements({ trailBucketArn, keyArn, region }),
                ] as FunctionStatement[]),
                environment: {
                    OPENSEARCH_ENDPOINT: pulumi.output(args.domainEndpoint).apply(clusterEndpoint),
                    OPENSEARCH_REGION: args.domainRegion,
                    INDEX_PREFIX: "cloudtrail",
                    INDEX_PERIOD: indexPeriod,
                    DEAD_LETTER_BUCKET: deadLetters.name,
                    ...geoEnv,
                },
                timeout: SHIPPER_TIMEOUT_SECONDS,
                memorySize: 512,
                layers: layerArn ? [layerArn] : [],
                packages: SHIPPER_PACKAGES,
                reservedConcurrency: args.shipperReservedConcurrency ?? 10,
                ...fnCommon,
            }, parent);
            writers.push(shipper.role.arn);
            shipperQueueUrl = shipper.failureQueue.url;
            const permission = new aws.lambda.Permission(`${name}-shipper-invoke`, {
                region,
                action: "lambda:InvokeFunction",
                function: shipper.function.name,
                principal: `logs.${region}.amazonaws.com`,
                sourceArn: pulumi.interpolate`${logGroup.arn}:*`,
                sourceAccount: account,
            }, parent);
            new aws.cloudwatch.LogSubscriptionFilter(`${name}-shipper-subscription`, {
                region,
                name: "guardpost-cloudtrail-shipper",
                logGroup: logGroup.name,
                filterPattern: "",
                destinationArn: shipper.function.arn,
            }, { parent: this, dependsOn: [permission] });
            // Events over 256 KB never reach CloudWatch Logs: each new trail log file is also handed to the
            // shipper, which indexes only those (functions/cloudtrail-shipper/largeEvents.ts).
            const s3Permission = new aws.lambda.Permission(`${name}-shipper-trail-objects`, {
                region,
                action: "lambda:InvokeFunction",
                function: shipper.function.name,
                principal: "s3.amazonaws.com",
                sourceArn: trailBucket.arn,
                sourceAccount: account,
            }, parent);
            new aws.s3.BucketNotification(`${name}-trail-objects`, {
                region,
                bucket: trailBucket.name,
                lambdaFunctions: [{ lambdaFunctionArn: shipper.function.arn, events: ["s3:ObjectCreated:*"], filterPrefix: "AWSLogs/", filterSuffix: ".json.gz" }],
            }, { parent: this, dependsOn: [s3Permission] });
        }

        const fh = args.firehoseBuffering ?? {};
        const stream = (kind: string, streamName: string, transformArn?: pulumi.Input<string>) => {
            const s = new FirehoseStream(`${name}-${kind}`, {
                kind, streamName, account, region, transformArn, permissionsBoundary: boundary,
                indexRotationPeriod: indexPeriod === "day" ? "OneDay" : "OneMonth",
                domainArn: args.domainArn, domainEndpoint: args.domainEndpoint,
                bucketArn: deadLetters.arn, keyArn: key.arn,
                logRetentionDays: logRetention,
                bufferingIntervalSeconds: fh.intervalSeconds ?? 60,
                bufferingSizeMb: fh.sizeMb ?? 5,
                retryDurationSeconds: args.firehoseRetrySeconds ?? 300,
                tags,
            }, parent);
            writers.push(s.role.arn);
            streams[kind] = s.arn;
            return s;
        };

        // Outside the SIEM's home region Firehose cannot reach the domain: the relay ships these sources instead.
        const relayed = logPathFor(region, args.domainRegion) === "relay";
        let relay: LogRelay | undefined;
        if (relayed && ((args.vpcFlowLogVpcIds ?? []).length + wafArns.length + (args.dnsQueryLogVpcIds ?? []).length > 0 || args.securityHubFindings)) {
            relay = new LogRelay(`${name}-relay`, {
                stage, accountId: account, region, partition,
                domainArn: args.domainArn, domainEndpoint: args.domainEndpoint, domainRegion: args.domainRegion, indexPeriod,
                vpcFlowLogVpcIds: args.vpcFlowLogVpcIds ?? [], vpcFlowFields: [...DEFAULT_VPC_FLOW_FIELDS],
                wafWebAclArns: wafArns, wafRedactedHeaders: WAF_REDACTED_HEADERS,
                dnsQueryLogVpcIds: args.dnsQueryLogVpcIds ?? [], securityHubFindings: args.securityHubFindings,
                deadLetterBucketName: deadLetters.name, deadLetterBucketArn: deadLetters.arn, keyArn: key.arn,
                logRetentionDays: logRetention, layerArn, geoEnv, alarmTopicArn: args.alarmTopicArn,
                reservedConcurrency: args.relayReservedConcurrency ?? 5, permissionsBoundary: boundary, tags,
            }, parent);
            writers.push(relay.writerRoleArn);
            securityHubDlqUrl = relay.securityHubDlqUrl;
        }

        const vpcIds = relayed ? [] : args.vpcFlowLogVpcIds ?? [];
        if (vpcIds.length > 0) {
            const fields = [...DEFAULT_VPC_FLOW_FIELDS];
            const fn = new GuardedFunction(`${name}-vpcflow-transform`, {
                region,
                functionTag: "vpcflow-transform",
                description: `guardpost ${stage}: VPC flow log lines → JSON documents (Firehose transform)`,
                callbackFactory: createVpcflowTransformHandler,
                environment: { VPC_FLOW_FIELDS: fields.join(" ") },
                timeout: TRANSFORM_TIMEOUT_SECONDS,
                memorySize: 512,
                packages: VPCFLOW_TRANSFORM_PACKAGES,
                ...fnCommon,
            }, parent);
            const s = stream("vpcflow", `guardpost-${stage}-vpcflow`, fn.function.arn);
            for (const vpcId of vpcIds) {
                new aws.ec2.FlowLog(`${name}-flow-${vpcId}`, {
                    region,
                    vpcId,
                    trafficType: "ALL",
                    logDestinationType: "kinesis-data-firehose",
                    logDestination: s.arn,
                    logFormat: vpcFlowLogFormat(fields),
                    maxAggregationInterval: 60,
                    tags,
                }, parent);
            }
        }

        if (wafArns.length > 0 && !relayed) {
            const fn = new GuardedFunction(`${name}-waf-transform`, {
                region,
                functionTag: "waf-transform",
                description: `guardpost ${stage}: WAF logs → documents with @timestamp and GeoIP (Firehose transform)`,
                callbackFactory: createWafTransformHandler,
                environment: { ...geoEnv },
                timeout: TRANSFORM_TIMEOUT_SECONDS,
                memorySize: 512,
                layers: layerArn ? [layerArn] : [],
                packages: WAF_TRANSFORM_PACKAGES,
                ...fnCommon,
            }, parent);
            const s = stream("waf", wafStreamName(stage), fn.function.arn);
            for (const arn of wafArns) {
                new aws.wafv2.WebAclLoggingConfiguration(`${name}-waf-${wafAclSlug(arn)}`, {
                    region,
                    resourceArn: arn,
                    logDestinationConfigs: [s.arn],
                    // Credentials in request headers must not be copied into the SIEM.
                    redactedFields: WAF_REDACTED_HEADERS.map((h) => ({ singleHeader: { name: h } })),
                }, parent);
            }
        }

        const dnsVpcs = relayed ? [] : args.dnsQueryLogVpcIds ?? [];
        if (dnsVpcs.length > 0) {
            const s = stream("dns", `guardpost-${stage}-dns`);
            const config = new aws.route53.ResolverQueryLogConfig(`${name}-dns`, { region, name: `guardpost-${stage}`, destinationArn: s.arn, tags }, parent);
            for (const vpcId of dnsVpcs) {
                new aws.route53.ResolverQueryLogConfigAssociation(`${name}-dns-${vpcId}`, { region, resolverQueryLogConfigId: config.id, resourceId: vpcId }, parent);
            }
        }

        if (args.securityHubFindings && !relayed) {
            const s = stream("securityhub", `guardpost-${stage}-securityhub`);
            const role = new aws.iam.Role(`${name}-securityhub-events`, {
                path: GUARDPOST_ROLE_PATH,
                permissionsBoundary: boundary,
                description: "EventBridge → Firehose for Security Hub findings",
                assumeRolePolicy: JSON.stringify(eventsTrust(account)),
                tags,
            }, parent);
            const policy = new aws.iam.RolePolicy(`${name}-securityhub-events`, {
                role: role.id,
                policy: s.arn.apply((arn) => JSON.stringify(eventsToFirehosePolicy(arn))),
            }, parent);
            const rule = new aws.cloudwatch.EventRule(`${name}-securityhub`, {
                region,
                description: `guardpost ${stage}: Security Hub findings to the SIEM`,
                eventPattern: JSON.stringify(securityHubImportedPattern()),
                tags,
            }, parent);
            const dlq = securityHubTarget(name, {
                region, rule, targetArn: s.arn, roleArn: role.arn, dependsOn: [policy], tags,
                alarmDescription: `guardpost ${stage}: Security Hub findings failed delivery to Firehose and wait in the DLQ`,
                alarmActions: args.alarmTopicArn ? [args.alarmTopicArn] : [],
            }, this);
            securityHubDlqUrl = dlq.url;
        }

        this.writerRoleArns = writers;
        const relayGroups = relay?.logGroupKinds;
        this.parking = pulumi.all([deadLetters.name, shipperQueueUrl, securityHubDlqUrl, relay?.failureQueueUrl]).apply(([bucket, shipperFailureQueueUrl, dlqUrl, relayQueueUrl]) =>
            ({ bucket, ...(shipperFailureQueueUrl ? { shipperFailureQueueUrl } : {}), ...(dlqUrl ? { securityHubDlqUrl: dlqUrl } : {}),
                ...(relayQueueUrl ? { relayFailureQueueUrl: relayQueueUrl, relayLogGroups: relayGroups } : {}) }));
        this.deadLetterBucketName = deadLetters.name;
        this.trailArn = trailOut;
        this.streamArns = streams;
        this.enabledSources = [...(withTrail ? ["cloudtrail"] : []), ...Object.keys(streams), ...(relay?.kinds ?? [])];
        this.registerOutputs({ deadLetterBucketName: deadLetters.name, trailArn: trailOut, streamArns: streams, enabledSources: this.enabledSources });
    }
}
