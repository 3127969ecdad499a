import { policyDocument, PolicyDocument, PolicyStatement, serviceTrust } from "./iamPolicy";

/**
 * The policies of a Firehose stream into the SIEM domain, and the statements its role shares with the
 * CloudTrail shipper (domain writes, SSE-KMS through S3). Pure functions of plain strings.
 */

/** Firehose assumes its role only on behalf of this account (the external id AWS documents for it). */
export function firehoseTrust(account: string): PolicyDocument {
    return serviceTrust("firehose.amazonaws.com", { StringEquals: { "sts:ExternalId": account } });
}

/** Writes to the SIEM domain: the domain itself and its sub-resources (`_bulk`, indices). */
export function domainWriteStatement(domainArn: string, actions: string[]): PolicyStatement {
    return { Sid: "WriteToSiemDomain", Effect: "Allow", Action: actions, Resource: [domainArn, `${domainArn}/*`] };
}

/** SSE-KMS on the dead-letter bucket: the writer needs a data key, but only through S3 in this region. */
export function s3KmsStatement(keyArn: string, region: string, actions: string[]): PolicyStatement {
    return {
        Sid: "EncryptObjectsViaS3",
        Effect: "Allow",
        Action: actions,
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    };
}

/**
 * A Firehose stream's role: index into the domain, back failed documents up under its own prefix,
 * log delivery errors to its own log group, and (when it transforms) invoke its own function.
 */
export function firehoseRolePolicy(p: {
    domainArn: string; bucketArn: string; prefix: string; keyArn: string; region: string; logGroupArn: string; transformArn?: string;
}): PolicyDocument {
    const statements: PolicyStatement[] = [
        domainWriteStatement(p.domainArn, ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"]),
        // AWS's policy for a Firehose role delivering to another account's domain also names these.
        { Sid: "DescribeSiemDomain", Effect: "Allow", Action: ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"], Resource: [p.domainArn, `${p.domainArn}/*`] },
        {
            Sid: "BackupBucket",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            Resource: p.bucketArn,
        },
        {
            Sid: "BackupObjects",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            Resource: `${p.bucketArn}/${p.prefix}*`,
        },
        s3KmsStatement(p.keyArn, p.region, ["kms:GenerateDataKey", "kms:Decrypt"]),
        {
            Sid: "DeliveryErrorLog",
            Effect: "Allow",
            Action: "logs:PutLogEvents",
            Resource: `${p.logGroupArn}:log-stream:*`,
        },
    ];
    if (p.transformArn) {
        statements.push({
            Sid: "InvokeTransform",
            Effect: "Allow",
            Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
            Resource: [p.transformArn, `${p.transformArn}:*`],
        });
    }
    return policyDocument(statements);
}
