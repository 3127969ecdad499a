import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDPOST_ROLE_PATH } from "../../model/iamPath";
import { PROCESSOR_BUFFER_MB } from "../../functions/shared/firehose";
import { firehoseRolePolicy, firehoseTrust } from "./firehosePolicies";

export interface FirehoseStreamArgs {
    /** Index name stem (`vpcflow`, `waf`, `dns`, `securityhub`); Firehose appends the period of the arrival time. */
    kind: string;
    /**
     * `OneMonth` (default): `<kind>-YYYY-MM`; `OneDay`: `<kind>-YYYY-MM-DD` — from the record's UTC arrival
     * time (https://docs.aws.amazon.com/firehose/latest/dev/es-index-rotation.html). The SIEM's shard budget
     * assumes the period its config names (model/siemSizing.ts).
     */
    indexRotationPeriod?: "OneMonth" | "OneDay";
    /** Physical stream name (WAF requires the `aws-waf-logs-` prefix). */
    streamName: string;
    /** Account the stream lives in: the role's trust policy accepts Firehose only on its behalf. */
    account: pulumi.Input<string>;
    /** Region of the stream (plain: the KMS `ViaService` condition names it). */
    region: string;
    /** ARN of guardpost's permissions boundary in the stream's account, set on its role. */
    permissionsBoundary: string;
    /** SIEM domain (possibly in another account): used in the role policy and the endpoint only. */
    domainArn: pulumi.Input<string>;
    /** Domain endpoint, host or URL; delivery goes to its `https://` cluster endpoint. */
    domainEndpoint: pulumi.Input<string>;
    /** Bucket for failed documents and failed transformations, under `firehose/<kind>/`. */
    bucketArn: pulumi.Input<string>;
    /** The pipeline's CMK: encrypts the error log group and the backup objects (through S3). */
    keyArn: pulumi.Input<string>;
    /** Transform Lambda ARN; absent for sources that are already one JSON document per record. */
    transformArn?: pulumi.Input<string>;
    /** Days to keep the delivery-error log group (a value CloudWatch Logs accepts). */
    logRetentionDays: number;
    /** Firehose buffering towards OpenSearch, in seconds. */
    bufferingIntervalSeconds: number;
    /** Firehose buffering towards OpenSearch, in MB. */
    bufferingSizeMb: number;
    /** Seconds Firehose keeps retrying a failed document (0–7200) before it goes to S3. */
    retryDurationSeconds: number;
    /** Tags for every child; `guardpost:log-kind` is added. */
    tags: Record<string, string>;
}

/** `https://host`, whether the domain output is a bare host or already a URL. */
export function clusterEndpoint(endpoint: string): string {
    const t = endpoint.trim().replace(/\/+$/, "");
    return /^https:\/\//.test(t) ? t : `https://${t.replace(/^http:\/\//, "")}`;
}

/**
 * One Firehose stream into the SIEM domain, with its own writer role (trust only, so it exists before the
 * domain), its error log group, S3 backup of failed documents and, when given, a transform Lambda.
 * Delivery goes to the cluster endpoint, which works across accounts where `domainArn` would not.
 */
export class FirehoseStream extends pulumi.ComponentResource {
    declare readonly role: aws.iam.Role;
    declare readonly stream: aws.kinesis.FirehoseDeliveryStream;
    declare readonly arn: pulumi.Output<string>;

    constructor(name: string, args: FirehoseStreamArgs, opts?: pulumi.ComponentResourceOptions) {
        super("guardpost:logging:FirehoseStream", name, {}, opts);
        const parent = { parent: this };
        const kind = args.kind;
        const region = args.region;
        const prefix = `firehose/${kind}/`;
        const tags = { ...args.tags, "guardpost:log-kind": kind };

        const role = new aws.iam.Role(`${name}-role`, {
            path: GUARDPOST_ROLE_PATH,
            permissionsBoundary: args.permissionsBoundary,
            description: `guardpost Firehose ${kind} → SIEM (maps to guardpost_log_writer)`,
            assumeRolePolicy: pulumi.output(args.account).apply((a) => JSON.stringify(firehoseTrust(a))),
            tags,
        }, parent);

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-errors`, {
            region,
            name: `/aws/kinesisfirehose/${args.streamName}`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: args.keyArn,
            tags,
        }, parent);
        const destinationLog = new aws.cloudwatch.LogStream(`${name}-errors-destination`, { region, logGroupName: logGroup.name, name: "DestinationDelivery" }, parent);
        const backupLog = new aws.cloudwatch.LogStream(`${name}-errors-backup`, { region, logGroupName: logGroup.name, name: "BackupDelivery" }, parent);

        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: role.id,
            policy: pulumi.all([args.domainArn, args.bucketArn, args.keyArn, logGroup.arn, args.transformArn]).apply(
                ([domainArn, bucketArn, keyArn, logGroupArn, transformArn]) => JSON.stringify(firehoseRolePolicy({
                    domainArn, bucketArn, prefix, keyArn, region, logGroupArn, transformArn,
                }))),
        }, parent);

        const processing = args.transformArn
            ? {
                enabled: true,
                processors: [{
                    type: "Lambda",
                    parameters: [
                        { parameterName: "LambdaArn", parameterValue: args.transformArn },
                        { parameterName: "BufferSizeInMBs", parameterValue: String(PROCESSOR_BUFFER_MB) },
                        { parameterName: "BufferIntervalInSeconds", parameterValue: "60" },
                        { parameterName: "NumberOfRetries", parameterValue: "3" },
                    ],
                }],
            }
            : undefined;

        const stream = new aws.kinesis.FirehoseDeliveryStream(`${name}-stream`, {
            region,
            name: args.streamName,
            destination: "opensearch",
            serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
            opensearchConfiguration: {
                clusterEndpoint: pulumi.output(args.domainEndpoint).apply(clusterEndpoint),
                indexName: kind,
                indexRotationPeriod: args.indexRotationPeriod ?? "OneMonth",
                // Firehose's own document id, kept across its retries; the index comes from the record's arrival
                // time, fixed per record: a retried batch overwrites itself instead of duplicating
                // (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DocumentIdOptions.html).
                documentIdOptions: { defaultDocumentIdFormat: "FIREHOSE_DEFAULT" },
                roleArn: role.arn,
                bufferingInterval: args.bufferingIntervalSeconds,
                bufferingSize: args.bufferingSizeMb,
                retryDuration: args.retryDurationSeconds,
                s3BackupMode: "FailedDocumentsOnly",
                s3Configuration: {
                    roleArn: role.arn,
                    bucketArn: args.bucketArn,
                    prefix,
                    errorOutputPrefix: `${prefix}errors/!{firehose:error-output-type}/`,
                    compressionFormat: "GZIP",
                    cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: backupLog.name },
                },
                cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: destinationLog.name },
                processingConfiguration: processing,
            },
            // Vended-log sources (flow logs, WAF, Resolver) tag the stream LogDeliveryEnabled=true themselves;
            // declaring it keeps Pulumi from removing it again on every update.
            tags: { ...tags, LogDeliveryEnabled: "true" },
        }, { parent: this, dependsOn: [policy] });

        this.role = role;
        this.stream = stream;
        this.arn = stream.arn;
        this.registerOutputs({ arn: stream.arn, roleArn: role.arn });
    }
}
