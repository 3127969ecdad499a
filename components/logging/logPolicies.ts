import * as fs from "fs";
import { eventsDlqPolicy, policyDocument, PolicyDocument, PolicyStatement, serviceTrust } from "../shared/iamPolicy";
import { domainWriteStatement, s3KmsStatement } from "../shared/firehosePolicies";

export { domainWriteStatement, firehoseRolePolicy, firehoseTrust } from "../shared/firehosePolicies";

/**
 * Policies and checks for the LogPipeline, as pure functions of plain strings, so they are tested without
 * Pulumi. Every statement names its resources; the only `*` resources are in the KMS key policy, where
 * `*` means "this key" and is what AWS requires, and in the TLS-only deny.
 */

export { partitionOf } from "../../model/partition";

export function trailArn(p: { partition: string; region: string; account: string; trailName: string }): string {
    return `arn:${p.partition}:cloudtrail:${p.region}:${p.account}:trail/${p.trailName}`;
}

/** The key for the trail, its log group, the dead-letter bucket and the pipeline's functions and queues. */
export function logPipelineKeyPolicy(p: { partition: string; account: string; region: string; trailArn?: string }): PolicyDocument {
    const statements: PolicyStatement[] = [{
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` },
        Action: "kms:*",
        Resource: "*",
    }, {
        Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${p.region}.amazonaws.com` },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:*` } },
    }];
    if (p.trailArn) {
        statements.push({
            Sid: "CloudTrailEncryptsLogFiles",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: ["kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
            Resource: "*",
            Condition: {
                StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${p.partition}:cloudtrail:*:${p.account}:trail/*` },
                StringEquals: { "aws:SourceArn": p.trailArn },
            },
        }, {
            Sid: "CloudTrailDescribesKey",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "kms:DescribeKey",
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceArn": p.trailArn } },
        });
    }
    return policyDocument(statements);
}

/**
 * CloudTrail's bucket statements: ACL check, and writes under AWSLogs/<account>; an organization trail
 * also writes under AWSLogs/<org id> (or AWSLogs/* when the id is not given — still only this trail, by
 * the SourceArn condition).
 */
export function trailBucketStatements(p: { bucketArn: string; account: string; trailArn: string; organization?: boolean; organizationId?: string }): PolicyStatement[] {
    const writes = [`${p.bucketArn}/AWSLogs/${p.account}/*`];
    if (p.organization) writes.push(p.organizationId ? `${p.bucketArn}/AWSLogs/${p.organizationId}/*` : `${p.bucketArn}/AWSLogs/*`);
    return [{
        Sid: "CloudTrailAclCheck",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:GetBucketAcl",
        Resource: p.bucketArn,
        Condition: { StringEquals: { "aws:SourceArn": p.trailArn } },
    }, {
        Sid: "CloudTrailWrite",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: writes,
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": p.trailArn } },
    }];
}

/** CloudTrail's role for delivering to CloudWatch Logs, usable by this trail only. */
export function cloudTrailLogsTrust(p: { account: string; trailArn: string }): PolicyDocument {
    return serviceTrust("cloudtrail.amazonaws.com", { StringEquals: { "aws:SourceAccount": p.account, "aws:SourceArn": p.trailArn } });
}

export function cloudTrailLogsPolicy(p: { logGroupArn: string }): PolicyDocument {
    return policyDocument([{
        Sid: "DeliverToTrailLogGroup",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${p.logGroupArn}:log-stream:*`,
    }]);
}

export function eventsTrust(account: string): PolicyDocument {
    return serviceTrust("events.amazonaws.com", { StringEquals: { "aws:SourceAccount": account } });
}

export function shipperStatements(p: { domainArn: string; bucketArn: string; keyArn: string; region: string; deadLetterPrefix: string }): PolicyStatement[] {
    return [
        { ...domainWriteStatement(p.domainArn, ["es:ESHttpPost", "es:ESHttpPut"]), Resource: `${p.domainArn}/*` },
        { Sid: "DeadLetter", Effect: "Allow", Action: "s3:PutObject", Resource: `${p.bucketArn}/${p.deadLetterPrefix}/*` },
        s3KmsStatement(p.keyArn, p.region, ["kms:GenerateDataKey"]),
    ];
}

export function eventsToFirehosePolicy(streamArn: string): PolicyDocument {
    return policyDocument([{ Sid: "PutFindings", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: streamArn }]);
}

/** Security Hub (CSPM) findings as imported or updated; the V2 (OCSF) detail type is a different feed. */
export function securityHubImportedPattern(): object {
    return { source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"] };
}

/** WAF only logs to a Firehose stream whose name starts with `aws-waf-logs-` (64 characters at most). */
export function wafStreamName(stage: string): string {
    return `aws-waf-logs-guardpost-${stage}`.slice(0, 64);
}

/** The region a web ACL must be logged from: its own, or us-east-1 for CloudFront (`global`) ACLs. */
export function wafAclLoggingRegion(arn: string): string | undefined {
    const m = /^arn:aws[a-z-]*:wafv2:([a-z0-9-]+):\d{12}:(regional|global)\/webacl\/[^/]+\/[^/]+$/.exec(arn);
    if (!m) return undefined;
    return m[2] === "global" ? "us-east-1" : m[1];
}

/**
 * The GeoLite2 database must be a plain .mmdb file on the machine running Pulumi: MaxMind's downloads are
 * tar.gz archives, which the reader cannot open. Fails with what to do, before anything is registered.
 */
export function checkGeoipDatabase(component: string, what: string, file: string | undefined): void {
    const howTo = "Download GeoLite2-City.mmdb (and optionally GeoLite2-ASN.mmdb) with a MaxMind licence key (see README: geoipupdate or the authenticated download URL), extract the .mmdb and set its path in config.";
    if (!file) throw new Error(`${component}: ${what} is not set. ${howTo}`);
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        throw new Error(`${component}: ${what} '${file}' does not exist. ${howTo}`);
    }
    if (!stat.isFile()) throw new Error(`${component}: ${what} '${file}' is not a file. ${howTo}`);
    const head = Buffer.alloc(2);
    const fd = fs.openSync(file, "r");
    try { fs.readSync(fd, head, 0, 2, 0); } finally { fs.closeSync(fd); }
    if (head[0] === 0x1f && head[1] === 0x8b) {
        throw new Error(`${component}: ${what} '${file}' is gzip-compressed; extract the .mmdb from the archive first. ${howTo}`);
    }
}

/** The Security Hub rule's dead-letter queue: only that rule may park events in it, over TLS only. */
export function securityHubDlqPolicy(p: { queueArn: string; ruleArn: string }) {
    return eventsDlqPolicy({ queueArn: p.queueArn, ruleArns: [p.ruleArn] });
}

/** `name-1a2b3c4d` from a web ACL ARN, for stable logical names. */
export function wafAclSlug(arn: string): string {
    const parts = arn.split("/");
    const aclName = (parts[parts.length - 2] ?? "acl").toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 40);
    return `${aclName}-${(parts[parts.length - 1] ?? "").slice(0, 8)}`;
}

/** The retention periods CloudWatch Logs accepts; any other value fails the deploy. */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** The shortest accepted retention that keeps logs at least `days` (config allows any whole number). */
export function cloudWatchRetention(days: number): number {
    return CLOUDWATCH_RETENTION_DAYS.find((d) => d >= days) ?? CLOUDWATCH_RETENTION_DAYS[CLOUDWATCH_RETENTION_DAYS.length - 1];
}

/**
 * The shipper reads the trail's log files (for events too large for CloudWatch Logs): objects under AWSLogs/
 * only, and the trail's key only through S3 in this region.
 */
export function trailObjectReadStatements(p: { trailBucketArn: string; keyArn: string; region: string }): PolicyStatement[] {
    return [
        { Sid: "ReadTrailLogFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `${p.trailBucketArn}/AWSLogs/*` },
        { Sid: "DecryptTrailLogFilesViaS3", Effect: "Allow", Action: "kms:Decrypt", Resource: p.keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${p.region}.amazonaws.com` } } },
    ];
}
