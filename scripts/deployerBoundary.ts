/**
 * guardpost's permissions boundary: the managed policy `/guardpost/guardpost-boundary` that every role guardpost
 * creates carries, and that the deployer must set on every role it creates or changes. The bootstrap creates it
 * (the StackSet template, or `npm run deployer-role -- --json` → `boundaryPolicy`); the program only names it.
 *
 * A boundary is a ceiling, not a grant: a role may do what its own policies allow AND the boundary allows
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). Resource policies that
 * name a role by its ARN (the SIEM domain policy, the KMS key policies) are capped by it too, so the boundary
 * allows every action guardpost's roles perform however it is granted — the test checks it against every inline
 * policy both stacks declare and the two AWS managed policies guardpost attaches.
 *
 * What it never allows, whatever a role's inline policy says:
 * - IAM: every action is denied except passing a guardpost role to Cognito (the OpenSearch Cognito access role,
 *   AmazonOpenSearchServiceCognitoAccess). The deny names iam:* with `StringNotEquals iam:PassedToService`, which
 *   holds for every other IAM action because the key is absent from their requests ("If the policy condition
 *   requires that the key is not matched, such as StringNotLike … and the right key is not present, the condition
 *   is true": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 * - Organizations: every change (the Config aggregator's role reads the organization only).
 * - sts:AssumeRole (and AssumeRoot): no guardpost role assumes another role.
 */
import { BOUNDARY_POLICY_NAME, GUARDPOST_ROLE_PATH, guardpostBoundaryArn } from "../model/iamPath";
import { policyDocument, type PolicyDocument } from "../components/shared/iamPolicy";

export { BOUNDARY_POLICY_NAME, guardpostBoundaryArn };

/** The services Cognito's identity pools run under (AmazonOpenSearchServiceCognitoAccess names both). */
export const COGNITO_IDENTITY_PRINCIPALS = ["cognito-identity.amazonaws.com", "cognito-identity-us-gov.amazonaws.com"];

/**
 * What guardpost's roles do, by service. Data-plane actions only: writing logs, parking failed events, reading
 * and writing the SIEM, encrypting through the pipeline keys, Firehose deliveries and transforms, the alert
 * topic, the bot token and dedup table, GuardDuty Malware Protection's managed rule and object tags, the
 * OpenSearch Cognito role's pool configuration (AmazonOpenSearchServiceCognitoAccess,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonOpenSearchServiceCognitoAccess.html) and the
 * Config aggregator's reads (AWSConfigRoleForOrganizations,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSConfigRoleForOrganizations.html).
 */
export const BOUNDARY_ALLOWED_ACTIONS = [
    "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
    "sqs:SendMessage",
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey",
    "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket",
    "s3:ListBucketMultipartUploads", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectVersionTagging",
    "s3:GetBucketNotification", "s3:PutBucketNotification",
    "es:ESHttp*", "es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig",
    "firehose:PutRecord", "firehose:PutRecordBatch",
    "lambda:InvokeFunction", "lambda:GetFunctionConfiguration",
    "sns:Publish",
    "ssm:GetParameter",
    "dynamodb:GetItem", "dynamodb:PutItem",
    "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:DescribeRule", "events:ListTargetsByRule",
    "cognito-idp:DescribeUserPool", "cognito-idp:CreateUserPoolClient", "cognito-idp:DeleteUserPoolClient", "cognito-idp:UpdateUserPoolClient",
    "cognito-idp:DescribeUserPoolClient", "cognito-idp:AdminInitiateAuth", "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:ListUserPoolClients",
    "cognito-identity:DescribeIdentityPool", "cognito-identity:UpdateIdentityPool", "cognito-identity:GetIdentityPoolRoles",
    "organizations:ListAccounts", "organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization", "organizations:ListDelegatedAdministrators",
];

/** Every Organizations action that changes something (everything but Describe* and List*; the test checks the coverage). */
export const ORGANIZATIONS_CHANGES = [
    "organizations:Accept*", "organizations:Attach*", "organizations:Cancel*", "organizations:Close*", "organizations:Create*", "organizations:Decline*",
    "organizations:Delete*", "organizations:Deregister*", "organizations:Detach*", "organizations:Disable*", "organizations:Enable*", "organizations:Invite*",
    "organizations:Leave*", "organizations:Move*", "organizations:Put*", "organizations:Register*", "organizations:Remove*", "organizations:Tag*",
    "organizations:Terminate*", "organizations:Untag*", "organizations:Update*",
];

/** The boundary for one account (or, with `${AWS::Partition}` / `${AWS::AccountId}`, for a CloudFormation template). */
export function guardpostBoundaryPolicy(partition: string, accountId: string): PolicyDocument {
    const guardpostRoles = `arn:${partition}:iam::${accountId}:role${GUARDPOST_ROLE_PATH}*`;
    return policyDocument([
        { Sid: "WhatGuardpostRolesDo", Effect: "Allow", Action: BOUNDARY_ALLOWED_ACTIONS, Resource: "*" },
        {
            Sid: "PassGuardpostRolesToCognitoOnly", Effect: "Allow", Action: "iam:PassRole", Resource: guardpostRoles,
            Condition: { StringEquals: { "iam:PassedToService": COGNITO_IDENTITY_PRINCIPALS } },
        },
        {
            Sid: "NoIam", Effect: "Deny", Action: "iam:*", Resource: "*",
            Condition: { StringNotEquals: { "iam:PassedToService": COGNITO_IDENTITY_PRINCIPALS } },
        },
        { Sid: "NoRolesButGuardpostsPassed", Effect: "Deny", Action: "iam:PassRole", NotResource: guardpostRoles },
        { Sid: "NoOrganizationsChanges", Effect: "Deny", Action: ORGANIZATIONS_CHANGES, Resource: "*" },
        { Sid: "NoAssumingRoles", Effect: "Deny", Action: ["sts:AssumeRole", "sts:AssumeRoot"], Resource: "*" },
    ]);
}

/** The boundary's path and name, as `aws iam create-policy` and CloudFormation take them. */
export const BOUNDARY_POLICY_PATH = GUARDPOST_ROLE_PATH;

/** `aws iam create-policy` for one account, for bootstraps without StackSets. */
export function boundaryCreateCommand(file = "boundary.json"): string {
    return `aws iam create-policy --policy-name ${BOUNDARY_POLICY_NAME} --path ${BOUNDARY_POLICY_PATH} --policy-document file://${file}`;
}
