/**
 * IAM and bucket policy statements for the detection baseline, as pure functions of plain strings so they
 * can be tested without Pulumi and reused by other components.
 */
import { PolicyDocument, policyDocument, PolicyStatement } from "../shared/iamPolicy";

export { denyInsecureTransport, policyDocument } from "../shared/iamPolicy";
export type { PolicyDocument, PolicyStatement } from "../shared/iamPolicy";

/** Where AWS Config writes in the bucket: `[prefix/]AWSLogs/<account>/Config/*`. */
export function configDeliveryPath(bucketArn: string, accountId: string, keyPrefix?: string): string {
    const prefix = keyPrefix ? `${keyPrefix.replace(/\/+$/, "")}/` : "";
    return `${bucketArn}/${prefix}AWSLogs/${accountId}/Config/*`;
}

/**
 * The bucket policy AWS Config needs when it delivers as its service principal (the service-linked role
 * path): it checks the bucket ACL and existence, then writes objects owned by the bucket owner. Every
 * statement is pinned to the source account so another account's Config cannot use the bucket.
 */
export function configBucketStatements(bucketArn: string, accountId: string, keyPrefix?: string): PolicyStatement[] {
    const principal = { Service: "config.amazonaws.com" };
    const sourceAccount = { "aws:SourceAccount": accountId };
    return [
        {
            Sid: "AWSConfigBucketPermissionsCheck",
            Effect: "Allow",
            Principal: principal,
            Action: "s3:GetBucketAcl",
            Resource: bucketArn,
            Condition: { StringEquals: sourceAccount },
        },
        {
            Sid: "AWSConfigBucketExistenceCheck",
            Effect: "Allow",
            Principal: principal,
            Action: "s3:ListBucket",
            Resource: bucketArn,
            Condition: { StringEquals: sourceAccount },
        },
        {
            Sid: "AWSConfigBucketDelivery",
            Effect: "Allow",
            Principal: principal,
            Action: "s3:PutObject",
            Resource: configDeliveryPath(bucketArn, accountId, keyPrefix),
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", ...sourceAccount } },
        },
    ];
}

/**
 * What the recorder's own IAM role needs to deliver: the managed `AWS_ConfigRole` policy covers reading
 * resource configuration but grants no write access to any bucket.
 */
export function configRoleDeliveryStatements(bucketArn: string, accountId: string, keyPrefix?: string): PolicyStatement[] {
    return [
        { Effect: "Allow", Action: ["s3:GetBucketAcl", "s3:ListBucket"], Resource: bucketArn },
        {
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: configDeliveryPath(bucketArn, accountId, keyPrefix),
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } },
        },
    ];
}

/** Trust policy letting AWS Config in this account (and only this account) assume the recorder role. */
export function configTrustPolicy(accountId: string): PolicyDocument {
    return policyDocument([{
        Effect: "Allow",
        Principal: { Service: "config.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    }]);
}

/** The AWS-managed policy AWS Config's recorder role needs, in the region's partition. */
export function configManagedPolicyArn(partition: string): string {
    return `arn:${partition}:iam::aws:policy/service-role/AWS_ConfigRole`;
}
