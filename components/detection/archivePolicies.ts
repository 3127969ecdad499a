/**
 * Policies of the central security archive (one bucket and one KMS key in the archive account's home
 * region): AWS Config of every account delivers there, GuardDuty exports findings there. Pure functions of
 * plain strings so tests read them as data.
 */
import { policyDocument, type PolicyDocument, type PolicyStatement } from "../shared/iamPolicy";

/**
 * What AWS Config needs when it delivers through its service-linked role, for several source accounts:
 * the bucket ACL and existence checks and `AWSLogs/<account>/Config/*` writes, each pinned to the listed
 * accounts (https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html, "Granting AWS
 * Config access to the Amazon S3 bucket when using the service-linked role" and cross-account delivery).
 */
export function configArchiveStatements(bucketArn: string, accountIds: string[]): PolicyStatement[] {
    if (accountIds.length === 0) return [];
    const principal = { Service: "config.amazonaws.com" };
    const sources = { "aws:SourceAccount": accountIds };
    return [
        { Sid: "AWSConfigBucketPermissionsCheck", Effect: "Allow", Principal: principal, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: { StringEquals: sources } },
        { Sid: "AWSConfigBucketExistenceCheck", Effect: "Allow", Principal: principal, Action: "s3:ListBucket", Resource: bucketArn, Condition: { StringEquals: sources } },
        {
            Sid: "AWSConfigBucketDelivery",
            Effect: "Allow",
            Principal: principal,
            Action: "s3:PutObject",
            Resource: accountIds.map(id => `${bucketArn}/AWSLogs/${id}/Config/*`),
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", ...sources } },
        },
    ];
}

/** The detector ARN pattern of an exporting account (every region: each region's detector exports). */
export function detectorArnPattern(partition: string, accountId: string): string {
    return `arn:${partition}:guardduty:*:${accountId}:detector/*`;
}

/**
 * GuardDuty findings export: GuardDuty checks the bucket location and writes SSE-KMS objects under
 * `AWSLogs/<account>/GuardDuty/<region>/`; the bucket refuses anything else from it
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html, "Attaching a policy to
 * the bucket"). An administrator's export also carries its members' findings, so only exporting accounts
 * (the admin, or each standalone account) are named.
 */
export function findingsExportStatements(bucketArn: string, keyArn: string, partition: string, accountIds: string[]): PolicyStatement[] {
    if (accountIds.length === 0) return [];
    const principal = { Service: "guardduty.amazonaws.com" };
    const from = {
        StringEquals: { "aws:SourceAccount": accountIds },
        ArnLike: { "aws:SourceArn": accountIds.map(id => detectorArnPattern(partition, id)) },
    };
    return [
        { Sid: "GuardDutyGetBucketLocation", Effect: "Allow", Principal: principal, Action: "s3:GetBucketLocation", Resource: bucketArn, Condition: from },
        { Sid: "GuardDutyPutFindings", Effect: "Allow", Principal: principal, Action: "s3:PutObject", Resource: accountIds.map(id => `${bucketArn}/AWSLogs/${id}/GuardDuty/*`), Condition: from },
        {
            Sid: "GuardDutyDenyUnencrypted", Effect: "Deny", Principal: principal, Action: "s3:PutObject", Resource: `${bucketArn}/*`,
            Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        },
        {
            Sid: "GuardDutyDenyOtherKey", Effect: "Deny", Principal: principal, Action: "s3:PutObject", Resource: `${bucketArn}/*`,
            Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn } },
        },
    ];
}

/**
 * The archive key: the owning account administers it; AWS Config (every source account) and GuardDuty
 * (exporting accounts) may only generate data keys (and Config decrypt, to verify its delivery), each pinned
 * to its source accounts (https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html,
 * guardduty_exportfindings.html "Granting GuardDuty permission to a KMS key").
 */
export function archiveKeyPolicy(p: { partition: string; account: string; configAccountIds: string[]; exportAccountIds: string[] }): PolicyDocument {
    const statements: PolicyStatement[] = [
        { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` }, Action: "kms:*", Resource: "*" },
    ];
    if (p.configAccountIds.length > 0) {
        statements.push({
            Sid: "AWSConfigEncryptsDeliveries", Effect: "Allow", Principal: { Service: "config.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": p.configAccountIds } },
        });
    }
    if (p.exportAccountIds.length > 0) {
        statements.push({
            Sid: "GuardDutyEncryptsFindings", Effect: "Allow", Principal: { Service: "guardduty.amazonaws.com" },
            Action: "kms:GenerateDataKey", Resource: "*",
            Condition: {
                StringEquals: { "aws:SourceAccount": p.exportAccountIds },
                ArnLike: { "aws:SourceArn": p.exportAccountIds.map(id => detectorArnPattern(p.partition, id)) },
            },
        });
    }
    return policyDocument(statements);
}

/** The AWS Config service-linked role's ARN: one per account, created by AWS or by AccountBaseline. */
export function configServiceLinkedRoleArn(partition: string, accountId: string): string {
    return `arn:${partition}:iam::${accountId}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
}

/** Trust for the organization aggregator's role: AWS Config in the aggregating account only. */
export function aggregatorTrustPolicy(accountId: string): PolicyDocument {
    return policyDocument([{
        Effect: "Allow",
        Principal: { Service: "config.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    }]);
}

/** The AWS-managed policy an organization aggregator's role needs (set-up-aggregator-cli.html). */
export function aggregatorManagedPolicyArn(partition: string): string {
    return `arn:${partition}:iam::aws:policy/service-role/AWSConfigRoleForOrganizations`;
}
