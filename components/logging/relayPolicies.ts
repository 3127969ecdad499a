import { policyDocument, type PolicyDocument, type PolicyStatement } from "../shared/iamPolicy";
import { domainWriteStatement, s3KmsStatement } from "../shared/firehosePolicies";
import type { RelayKind } from "../../functions/log-relay/relayDocs";

/**
 * The log relay's names and policies, as pure functions of plain strings (see logRelay.ts for the path they
 * build). Sources outside the SIEM's home region log to CloudWatch Logs in their own region; these are the log
 * groups, the role VPC Flow Logs publishes with, and what the relay function may do.
 */

/** Which path a source in `region` takes to a SIEM in `domainRegion`: Firehose in the home region, the relay elsewhere. */
export function logPathFor(region: string, domainRegion: string): "firehose" | "relay" {
    return region === domainRegion ? "firehose" : "relay";
}

/**
 * The relayed log groups. WAF logs only to a log group whose name starts with `aws-waf-logs-`, in the web ACL's
 * region (us-east-1 for CloudFront) and account
 * (https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html, "Log group naming").
 */
export function relayLogGroupName(stage: string, kind: Exclude<RelayKind, "securityhub">): string {
    return kind === "waf" ? `aws-waf-logs-guardpost-${stage}-relay` : `/guardpost/${stage}/relay/${kind}`;
}

/**
 * The role VPC Flow Logs assumes to publish to CloudWatch Logs, for this account's flow logs only — the
 * confused-deputy conditions AWS recommends, with the flow log id left as a wildcard
 * (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
 */
export function flowLogsToLogsTrust(p: { partition: string; region: string; account: string }): PolicyDocument {
    return policyDocument([{
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
            StringEquals: { "aws:SourceAccount": p.account },
            ArnLike: { "aws:SourceArn": `arn:${p.partition}:ec2:${p.region}:${p.account}:vpc-flow-log/*` },
        },
    }]);
}

/**
 * What that page lists (CreateLogGroup aside: the group exists), narrowed from `*` to the relay's own group;
 * DescribeLogGroups takes no resource ("*" only, in IAM's service authorization reference for CloudWatch Logs:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
 */
export function flowLogsToLogsPolicy(p: { logGroupArn: string }): PolicyDocument {
    return policyDocument([
        { Sid: "PublishToTheRelayGroup", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: `${p.logGroupArn}:*` },
        { Sid: "FindTheGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
    ]);
}

/** The relay function: write to the SIEM (a writer like the shipper), dead letters under its own prefix, SSE-KMS via S3. */
export function relayStatements(p: { domainArn: string; bucketArn: string; keyArn: string; region: string; deadLetterPrefix: string }): PolicyStatement[] {
    return [
        { ...domainWriteStatement(p.domainArn, ["es:ESHttpPost", "es:ESHttpPut"]), Resource: `${p.domainArn}/*` },
        { Sid: "DeadLetter", Effect: "Allow", Action: "s3:PutObject", Resource: `${p.bucketArn}/${p.deadLetterPrefix}/*` },
        s3KmsStatement(p.keyArn, p.region, ["kms:GenerateDataKey"]),
    ];
}
