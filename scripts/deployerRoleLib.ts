/**
 * The deployer role, derived from what a stack declares: for one account, the resource types the offline
 * plan places there are mapped to IAM actions (scripts/deployerRoleActions.ts) and assembled into a
 * least-privilege permissions policy; the trust policy admits only guardpost's session names.
 */
import type { AccountConfig, AccountKind } from "../config";
import { runPlan, type PlanReport } from "../plan/plan";
import { partitionOf } from "../model/partition";
import { GUARDPOST_ROLE_PATH } from "../model/iamPath";
import { sessionNameCondition } from "../model/sessionName";
import { policyDocument, type PolicyDocument, type PolicyStatement } from "../components/shared/iamPolicy";
import {
    BOUNDARY_CONDITIONED_IAM_ACTIONS, DYNAMIC_TYPE_PREFIX, OPENSEARCH_REST_ACTIONS, RESOURCE_ACTIONS, VENDED_LOG_ACTIONS, VENDED_LOG_SERVICE_LINKED_ROLE,
} from "./deployerRoleActions";
import { BOUNDARY_POLICY_NAME, BOUNDARY_POLICY_PATH, guardpostBoundaryArn, guardpostBoundaryPolicy } from "./deployerBoundary";

export interface DeployerScope {
    partition: string;
    accountId: string;
    kind: AccountKind;
    /** The deployer role's own ARN: never changeable by itself. */
    deployerRoleArn: string;
    /** Pulumi types the stack declares in this account (dynamic OpenSearch types included for the security account). */
    types: string[];
    /** The SIEM's home region (security account: where the OpenSearch REST calls go). */
    homeRegion: string;
}

/** Types a stack places in an account: its custom resources, and the OpenSearch dynamic resources in the security account. */
export function typesInAccount(report: PlanReport, account: AccountConfig): string[] {
    const types = new Set<string>();
    for (const r of report.resources) {
        if (!r.custom || r.type.startsWith("pulumi:")) continue;
        if (r.provider?.account === account.id) types.add(r.type);
        else if (r.type.startsWith(DYNAMIC_TYPE_PREFIX) && account.kind === "security") types.add(r.type);
    }
    return [...types].sort();
}

/** Types the table does not map: a new type fails here (and in the test) until its actions are listed. */
export function unmappedTypes(types: string[]): string[] {
    return types.filter((t) => !t.startsWith(DYNAMIC_TYPE_PREFIX) && !(t in RESOURCE_ACTIONS));
}

export function guardpostRolesArn(partition: string, accountId: string): string {
    return `arn:${partition}:iam::${accountId}:role${GUARDPOST_ROLE_PATH}*`;
}

/** Who may assume the deployer role: the given principals, and only under a `guardpost-*` session name. */
export function deployerTrustPolicy(trustedPrincipals: string[]): PolicyDocument {
    return policyDocument([{
        Sid: "GuardpostSessionsOnly",
        Effect: "Allow",
        Principal: { AWS: trustedPrincipals.length === 1 ? trustedPrincipals[0] : trustedPrincipals },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: sessionNameCondition(),
    }]);
}

const uniqueSorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/**
 * The permissions policy. IAM is confined to roles under /guardpost/ (create, tag, inline policies), and every
 * change that could widen a role — creating it, writing or attaching a policy, changing its trust or boundary —
 * only while the role carries guardpost's permissions boundary (`iam:PermissionsBoundary`), so whatever the
 * deployer writes, the role cannot exceed the boundary (no IAM, no Organizations changes, no AssumeRole). Managed
 * policies can be attached only by exact ARN, PassRole only to the services that take those roles, and the
 * deployer can change neither itself, nor the boundary policy, nor remove a boundary, nor assume what it creates
 * (an explicit Deny beats any Allow: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * Service-linked roles have no boundary (AWS defines their permissions and they cannot take one); the deployer
 * creates them by service name only.
 */
/** The tag every guardpost function carries (components/shared/guardedFunction.ts FUNCTION_TAG). */
export const FUNCTION_TAG_KEY = "guardpost:function";
/** What reads or changes a parameter: allowed under /guardpost/ only. */
export const SSM_PARAMETER_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"];
/** What stops, changes or deletes a trail: allowed on guardpost-* trails only. */
export const CLOUDTRAIL_TRAIL_ACTIONS = ["cloudtrail:CreateTrail", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:StopLogging", "cloudtrail:StartLogging",
    "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:AddTags", "cloudtrail:RemoveTags"];
/** What changes a function or runs it: allowed on guardpost's functions only. */
export const LAMBDA_FUNCTION_ACTIONS = [
    "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:AddPermission", "lambda:RemovePermission",
    "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:PutFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig",
    "lambda:DeleteFunctionEventInvokeConfig", "lambda:TagResource", "lambda:UntagResource", "lambda:InvokeFunction", "lambda:PublishVersion",
    "lambda:CreateAlias", "lambda:UpdateAlias", "lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig",
];

export function deployerPermissionsPolicy(s: DeployerScope): PolicyDocument {
    const unmapped = unmappedTypes(s.types);
    if (unmapped.length > 0) throw new Error(`deployer role: no IAM actions are mapped for ${unmapped.join(", ")}; add them to scripts/deployerRoleActions.ts`);
    const entries = s.types.filter((t) => t in RESOURCE_ACTIONS).map((t) => RESOURCE_ACTIONS[t]);
    const roles = guardpostRolesArn(s.partition, s.accountId);
    const boundary = guardpostBoundaryArn(s.partition, s.accountId);
    const withBoundary = { StringEquals: { "iam:PermissionsBoundary": boundary } };
    const services = uniqueSorted(entries.flatMap((e) => [...e.actions, ...(e.vendedLogs ? VENDED_LOG_ACTIONS : [])]));
    const iam = uniqueSorted(entries.flatMap((e) => e.iam ?? []));
    const attach = uniqueSorted(entries.flatMap((e) => e.attachPolicies ?? []));
    const passTo = uniqueSorted(entries.flatMap((e) => (e.passRoleTo ? [e.passRoleTo] : [])));
    const linked = uniqueSorted(entries.flatMap((e) => [...(e.serviceLinkedRoles ?? []), ...(e.vendedLogs ? [VENDED_LOG_SERVICE_LINKED_ROLE] : [])]));
    const statements: PolicyStatement[] = [];
    if (services.length) statements.push({ Sid: "GuardpostServices", Effect: "Allow", Action: services, Resource: "*" });
    if (s.types.includes("aws:ssm/parameter:Parameter")) {
        // The bot token is a SecureString under the alerting CMK: SSM encrypts and reads it back for the caller.
        statements.push({ Sid: "SecureParametersThroughSsm", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource: "*", Condition: { StringLike: { "kms:ViaService": "ssm.*.amazonaws.com" } } });
    }
    if (s.types.includes("aws:sqs/queue:Queue") && s.types.includes("aws:s3/bucket:Bucket")) {
        // `npm run replay` reads parked records from queues and dead-letter objects under the pipeline keys, and
        // rewrites what still fails: only through SQS and S3.
        statements.push({ Sid: "ReplayParkedRecordsThroughSqsAndS3", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*",
            Condition: { StringLike: { "kms:ViaService": ["sqs.*.amazonaws.com", "s3.*.amazonaws.com"] } } });
    }
    const bounded = iam.filter((a) => BOUNDARY_CONDITIONED_IAM_ACTIONS.includes(a));
    const unbounded = iam.filter((a) => !BOUNDARY_CONDITIONED_IAM_ACTIONS.includes(a));
    if (unbounded.length) statements.push({ Sid: "GuardpostRolesOnly", Effect: "Allow", Action: unbounded, Resource: roles });
    if (bounded.length) statements.push({ Sid: "GuardpostRolesWithTheBoundaryOnly", Effect: "Allow", Action: bounded, Resource: roles, Condition: withBoundary });
    if (attach.length) {
        statements.push({ Sid: "AttachNamedManagedPoliciesOnly", Effect: "Allow", Action: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], Resource: roles,
            Condition: { ArnEquals: { "iam:PolicyARN": attach.map((p) => `arn:${s.partition}:iam::aws:policy/${p}`) }, ...withBoundary } });
    }
    if (passTo.length) {
        statements.push({ Sid: "PassGuardpostRolesToTheirServices", Effect: "Allow", Action: "iam:PassRole", Resource: roles, Condition: { StringEquals: { "iam:PassedToService": passTo } } });
    }
    if (linked.length) {
        statements.push({ Sid: "ServiceLinkedRolesByName", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: `arn:${s.partition}:iam::${s.accountId}:role/aws-service-role/*`,
            Condition: { StringEquals: { "iam:AWSServiceName": linked } } });
    }
    if (s.types.includes("aws:iam/serviceLinkedRole:ServiceLinkedRole") || s.types.includes("aws:cfg/recorder:Recorder")) {
        // The Config recorder records with AWS Config's service-linked role: the provider reads and tags it after
        // creating (or importing) it, and PutConfigurationRecorder passes it to Config — "when you specify a
        // service-linked role, you must also have permission to pass that role to the service"
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html). Only that one role.
        const configRole = `arn:${s.partition}:iam::${s.accountId}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
        statements.push({ Sid: "ConfigServiceLinkedRole", Effect: "Allow", Action: ["iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags"], Resource: configRole });
        statements.push({ Sid: "PassConfigServiceLinkedRole", Effect: "Allow", Action: "iam:PassRole", Resource: configRole, Condition: { StringEquals: { "iam:PassedToService": "config.amazonaws.com" } } });
    }
    // Services encrypting with guardpost's customer-managed keys (the SIEM domain, CloudTrail, Lambda, Firehose)
    // create grants on them as the caller; only grants for an AWS resource, never for a principal
    // (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html,
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
    if (s.types.includes("aws:kms/key:Key")) {
        statements.push({ Sid: "GrantsForAwsResourcesOnly", Effect: "Allow", Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: "*",
            Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } });
    }
    if (s.types.some((t) => t === "aws:guardduty/iPSet:IPSet" || t === "aws:guardduty/threatIntelSet:ThreatIntelSet")) {
        statements.push({ Sid: "GuardDutyListsReadThroughItsServiceRole", Effect: "Allow", Action: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
            Resource: `arn:${s.partition}:iam::${s.accountId}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty` });
    }
    if (s.types.some((t) => t.startsWith(DYNAMIC_TYPE_PREFIX))) {
        statements.push({ Sid: "SiemDomainRestApi", Effect: "Allow", Action: OPENSEARCH_REST_ACTIONS, Resource: `arn:${s.partition}:es:${s.homeRegion}:${s.accountId}:domain/*` });
    }
    if (s.types.includes("aws:ssm/parameter:Parameter")) {
        // guardpost's parameters (the bot token) live under /guardpost/: no other SecureString of the account is
        // readable or writable through the deployer.
        statements.push({ Sid: "OnlyGuardpostParameters", Effect: "Deny", Action: SSM_PARAMETER_ACTIONS,
            NotResource: `arn:${s.partition}:ssm:*:${s.accountId}:parameter/guardpost/*` });
    }
    if (s.types.includes("aws:cloudtrail/trail:Trail")) {
        // guardpost's trails are named guardpost-<stage>: no other trail can be stopped, changed or deleted.
        statements.push({ Sid: "OnlyGuardpostTrails", Effect: "Deny", Action: CLOUDTRAIL_TRAIL_ACTIONS,
            NotResource: `arn:${s.partition}:cloudtrail:*:${s.accountId}:trail/guardpost-*` });
    }
    if (s.types.includes("aws:lambda/function:Function")) {
        // Lambda's actions are granted on "*" (Pulumi names functions at random), so without this the deployer could
        // put its own code into any function of the account and run it as that function's role. Every guardpost
        // function carries the guardpost:function tag from creation (GuardedFunction); Lambda evaluates
        // aws:ResourceTag on a function's actions and aws:RequestTag on CreateFunction
        // (https://docs.aws.amazon.com/lambda/latest/dg/attribute-based-access-control.html). Tagging an untagged
        // function is refused too, so no function can be made guardpost's after the fact. Tagging on create still
        // works: aws:ResourceTag "is included in the request context ... in requests that create a resource with an
        // attached tag" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourcetag),
        // so the lambda:TagResource check of a CreateFunction with the tag sees it. Not yet run against AWS: if it
        // failed, CreateFunction would say "lambda:TagResource ... with an explicit deny" (README, deployer role).
        statements.push(
            { Sid: "OnlyGuardpostFunctions", Effect: "Deny", Action: LAMBDA_FUNCTION_ACTIONS, Resource: `arn:${s.partition}:lambda:*:${s.accountId}:function:*`,
                Condition: { Null: { [`aws:ResourceTag/${FUNCTION_TAG_KEY}`]: "true" } } },
            { Sid: "CreateOnlyGuardpostFunctions", Effect: "Deny", Action: "lambda:CreateFunction", Resource: "*",
                Condition: { Null: { [`aws:RequestTag/${FUNCTION_TAG_KEY}`]: "true" } } },
        );
    }
    statements.push(
        { Sid: "NeverChangeTheDeployerItself", Effect: "Deny", Action: "iam:*", Resource: s.deployerRoleArn },
        { Sid: "NeverAssumeGuardpostRoles", Effect: "Deny", Action: "sts:AssumeRole", Resource: roles },
        { Sid: "NeverRemoveABoundary", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: "*" },
        {
            Sid: "NeverChangeTheBoundaryPolicy", Effect: "Deny",
            Action: ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"],
            Resource: boundary,
        },
    );
    return policyDocument(statements);
}

export interface DeployerRole {
    account: AccountConfig;
    types: string[];
    trustPolicy: PolicyDocument;
    permissionsPolicy: PolicyDocument;
    /** The permissions boundary policy to create in the account before the first `pulumi up` (`/guardpost/guardpost-boundary`). */
    boundaryPolicy: PolicyDocument;
}

/**
 * The default identity allowed to assume every deployer role: the stack's CI role in the security account,
 * `guardpost-ci-<stack>` — the role the README's "Pull requests and deploys" has you create per stack.
 */
export function defaultTrustedPrincipal(security: AccountConfig, stack: string): string {
    return `arn:${partitionOf(security.regions[0])}:iam::${security.id}:role/guardpost-ci-${stack}`;
}

export function deployerRoleFromPlan(report: PlanReport, accountName: string, trusted?: string[]): DeployerRole {
    const cfg = report.config;
    const account = cfg.accounts.find((a) => a.name === accountName);
    if (!account) throw new Error(`no account '${accountName}' in stack ${report.stack}; accounts: ${cfg.accounts.map((a) => a.name).join(", ")}`);
    const types = typesInAccount(report, account);
    const partition = partitionOf(account.regions[0]);
    return {
        account,
        types,
        trustPolicy: deployerTrustPolicy(trusted?.length ? trusted : [defaultTrustedPrincipal(cfg.securityAccount, report.stack)]),
        permissionsPolicy: deployerPermissionsPolicy({ partition, accountId: account.id, kind: account.kind, deployerRoleArn: account.roleArn, types, homeRegion: cfg.homeRegion }),
        boundaryPolicy: guardpostBoundaryPolicy(partition, account.id),
    };
}

export async function deployerRole(stack: string, accountName: string, trusted?: string[]): Promise<DeployerRole> {
    return deployerRoleFromPlan(await runPlan(stack), accountName, trusted);
}

/** IAM's size limit for one customer managed policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** Policy text as IAM counts it: whitespace does not count. */
export function policyChars(doc: unknown): number {
    return JSON.stringify(doc).replace(/\s+/g, "").length;
}

/** Split a permissions policy into managed policies under IAM's size limit, splitting long action lists. */
export function splitPolicy(doc: PolicyDocument, limit = MANAGED_POLICY_MAX_CHARS - 200): PolicyDocument[] {
    const pieces: PolicyStatement[] = [];
    for (const st of doc.Statement) {
        if (policyChars(policyDocument([st])) <= limit || !Array.isArray(st.Action)) { pieces.push(st); continue; }
        let chunk: string[] = [];
        let n = 0;
        const flush = () => { pieces.push({ ...st, Sid: `${st.Sid}${++n}`, Action: chunk }); chunk = []; };
        for (const a of st.Action) {
            if (chunk.length && policyChars(policyDocument([{ ...st, Action: [...chunk, a] }])) > limit) flush();
            chunk.push(a);
        }
        if (chunk.length) flush();
    }
    const out: PolicyStatement[][] = [[]];
    for (const st of pieces) {
        const current = out[out.length - 1];
        if (current.length && policyChars(policyDocument([...current, st])) > limit) out.push([st]);
        else current.push(st);
    }
    return out.map((sts) => policyDocument(sts));
}

/** Replace `${AWS::…}` placeholders with CloudFormation `Fn::Sub`, so one template serves every account. */
function sub(value: unknown): unknown {
    if (typeof value === "string") return value.includes("${AWS::") ? { "Fn::Sub": value } : value;
    if (Array.isArray(value)) return value.map(sub);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sub(v)]));
    return value;
}

/**
 * A CloudFormation template that creates the deployer role (and its managed policies) in any account of one
 * kind, for a service-managed StackSet targeting those accounts
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/what-is-cfnstacksets.html). Account and
 * partition come from the pseudo parameters, so the same template works in every target account.
 */
export function stackSetTemplate(p: { kind: AccountKind; types: string[]; roleName: string; homeRegion: string; trustedPrincipals: string[] }): object {
    const placeholderAccount = "${AWS::AccountId}";
    const placeholderPartition = "${AWS::Partition}";
    const deployerRoleArn = `arn:${placeholderPartition}:iam::${placeholderAccount}:role/${p.roleName}`;
    const permissions = deployerPermissionsPolicy({ partition: placeholderPartition, accountId: placeholderAccount, kind: p.kind, deployerRoleArn, types: p.types, homeRegion: p.homeRegion });
    const policies = splitPolicy(permissions);
    const resources: Record<string, unknown> = {
        // Every role guardpost creates carries this boundary; the deployer may create roles only with it.
        GuardpostBoundary: {
            Type: "AWS::IAM::ManagedPolicy",
            Properties: {
                ManagedPolicyName: BOUNDARY_POLICY_NAME,
                Path: BOUNDARY_POLICY_PATH,
                Description: "guardpost: the permissions boundary of every role guardpost creates (no IAM, no Organizations changes, no AssumeRole)",
                PolicyDocument: sub(guardpostBoundaryPolicy(placeholderPartition, placeholderAccount)),
            },
        },
        DeployerRole: {
            Type: "AWS::IAM::Role",
            Properties: {
                RoleName: p.roleName,
                Description: `guardpost deployer (${p.kind} account): assumed by pulumi up with a guardpost-* session name`,
                MaxSessionDuration: 3600,
                AssumeRolePolicyDocument: deployerTrustPolicy(p.trustedPrincipals),
                Tags: [{ Key: "guardpost:managed-by", Value: "stackset" }],
            },
        },
    };
    policies.forEach((doc, i) => {
        resources[`DeployerPolicy${i + 1}`] = {
            Type: "AWS::IAM::ManagedPolicy",
            Properties: { ManagedPolicyName: `${p.roleName}-${p.kind}-${i + 1}`, Roles: [{ Ref: "DeployerRole" }], PolicyDocument: sub(doc) },
        };
    });
    return {
        AWSTemplateFormatVersion: "2010-09-09",
        Description: `guardpost deployer role for ${p.kind} accounts (generated by npm run deployer-role; do not edit)`,
        Resources: resources,
        Outputs: { DeployerRoleArn: { Value: { "Fn::GetAtt": ["DeployerRole", "Arn"] } }, BoundaryPolicyArn: { Value: { Ref: "GuardpostBoundary" } } },
    };
}

/** Every kind's template for a stack: the union of the types its accounts of that kind declare. */
export function stackSetTemplates(report: PlanReport, trusted?: string[]): Record<string, object> {
    const cfg = report.config;
    const roleName = cfg.accounts[0]?.roleArn.split("/").pop() ?? "guardpost-deployer";
    const principals = trusted?.length ? trusted : [defaultTrustedPrincipal(cfg.securityAccount, report.stack)];
    const out: Record<string, object> = {};
    for (const kind of ["management", "security", "workload"] as const) {
        const accounts = cfg.accounts.filter((a) => a.kind === kind);
        if (accounts.length === 0) continue;
        const types = uniqueSorted(accounts.flatMap((a) => typesInAccount(report, a)));
        out[`deployer-role-${kind}.json`] = stackSetTemplate({ kind, types, roleName, homeRegion: cfg.homeRegion, trustedPrincipals: principals });
    }
    return out;
}
