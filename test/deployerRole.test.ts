import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { runPlan, type PlanReport } from "../plan/plan";
import { DYNAMIC_TYPE_PREFIX, OPENSEARCH_REST_ACTIONS, RESOURCE_ACTIONS, VENDED_LOG_ACTIONS } from "../scripts/deployerRoleActions";
import { guardpostBoundaryArn } from "../scripts/deployerBoundary";
import { CLOUDTRAIL_TRAIL_ACTIONS, deployerRoleFromPlan, FUNCTION_TAG_KEY, LAMBDA_FUNCTION_ACTIONS, SSM_PARAMETER_ACTIONS, MANAGED_POLICY_MAX_CHARS, policyChars, splitPolicy, stackSetTemplates, typesInAccount, unmappedTypes } from "../scripts/deployerRoleLib";
import { main } from "../scripts/deployerRole";
import { trustAllows } from "./support/stsPeer";

/**
 * The deployer policy evaluated by an IAM policy simulator (@cloud-copilot/iam-simulate, which also rejects
 * action names that do not exist in AWS's service authorization reference): everything each declared
 * resource type needs is allowed, escalation paths are denied.
 */
async function decide(policy: object, principal: string, account: string, action: string, resource: string, context: Record<string, string | string[]> = {}, resourcePolicy?: object): Promise<string> {
    const r: any = await runSimulation({
        request: { principal, action, resource: { resource, accountId: account }, contextVariables: context },
        identityPolicies: [{ name: "deployer", policy }], serviceControlPolicies: [], resourceControlPolicies: [], resourcePolicy,
    }, {});
    if (r.resultType === "error") return `error: ${JSON.stringify(r.errors)}`;
    return r.overallResult;
}

const reports: Record<string, PlanReport> = {};

describe("the deployer role", function () {
    this.timeout(600_000);
    before(async () => {
        reports.dev = await runPlan("dev");
        reports.prod = await runPlan("prod");
    });

    it("maps every resource type both stacks' plans declare (a new type fails here until its IAM actions are listed)", () => {
        for (const [stack, report] of Object.entries(reports)) {
            const all = [...new Set(report.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:")).map((r) => r.type))];
            expect(unmappedTypes(all), `${stack}: unmapped types`).to.deep.equal([]);
            for (const account of report.config.accounts) expect(typesInAccount(report, account).length, `${stack}/${account.name}`).to.be.greaterThan(5);
        }
    });

    it("puts every role guardpost creates under /guardpost/", () => {
        for (const report of Object.values(reports)) {
            const roles = report.resources.filter((r) => r.type === "aws:iam/role:Role");
            expect(roles.length).to.be.greaterThan(5);
            for (const r of roles) expect(r.inputs.path, r.name).to.equal("/guardpost/");
        }
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: allows, in every account, each action each declared resource type needs`, async () => {
            const report = reports[stack];
            for (const account of report.config.accounts) {
                const role = deployerRoleFromPlan(report, account.name);
                const policy = role.permissionsPolicy;
                const p = account.roleArn;
                const guardpostRole = `arn:aws:iam::${account.id}:role/guardpost/prod-payments-shipper-role-abc1234`;
                // Roles are created and changed only with guardpost's boundary on them (test/permissionsBoundary.test.ts).
                const bounded = { "iam:PermissionsBoundary": guardpostBoundaryArn("aws", account.id) };
                for (const type of role.types) {
                    if (type.startsWith(DYNAMIC_TYPE_PREFIX)) {
                        for (const action of OPENSEARCH_REST_ACTIONS) {
                            expect(await decide(policy, p, account.id, action, `arn:aws:es:${report.config.homeRegion}:${account.id}:domain/siem-${stack}/_bulk`), `${account.name} ${type} ${action}`).to.equal("Allowed");
                        }
                        continue;
                    }
                    const entry = RESOURCE_ACTIONS[type];
                    for (const action of [...entry.actions, ...(entry.vendedLogs ? VENDED_LOG_ACTIONS : [])]) {
                        // A function's actions: on a guardpost function (tagged), as Pulumi calls them; on create the request's
                        // tags are also the resource's (IAM condition keys reference, aws:ResourceTag).
                        // Parameters and trails: guardpost's own, by path and name.
                        const [resource, context] = LAMBDA_FUNCTION_ACTIONS.includes(action) || action === "lambda:CreateFunction"
                            ? [`arn:aws:lambda:us-east-1:${account.id}:function:${account.name}-telegram-alert-abc1234`, { [`aws:ResourceTag/${FUNCTION_TAG_KEY}`]: "telegram-alert", [`aws:RequestTag/${FUNCTION_TAG_KEY}`]: "telegram-alert" }]
                            : SSM_PARAMETER_ACTIONS.includes(action) ? [`arn:aws:ssm:us-east-1:${account.id}:parameter/guardpost/${stack}/${account.name}-us-east-1/telegram-bot-token`, {}]
                            : CLOUDTRAIL_TRAIL_ACTIONS.includes(action) ? [`arn:aws:cloudtrail:us-east-1:${account.id}:trail/guardpost-${stack}`, {}]
                            : ["*", {}];
                        expect(await decide(policy, p, account.id, action, resource, context), `${account.name} ${type} ${action}`).to.equal("Allowed");
                    }
                    for (const action of entry.iam ?? []) {
                        expect(await decide(policy, p, account.id, action, guardpostRole, bounded), `${account.name} ${type} ${action}`).to.equal("Allowed");
                    }
                    if (entry.passRoleTo) {
                        expect(await decide(policy, p, account.id, "iam:PassRole", guardpostRole, { "iam:PassedToService": entry.passRoleTo }), `${type} PassRole`).to.equal("Allowed");
                    }
                    for (const managed of entry.attachPolicies ?? []) {
                        expect(await decide(policy, p, account.id, "iam:AttachRolePolicy", guardpostRole, { "iam:PolicyARN": `arn:aws:iam::aws:policy/${managed}`, ...bounded })).to.equal("Allowed");
                    }
                    for (const service of entry.serviceLinkedRoles ?? []) {
                        expect(await decide(policy, p, account.id, "iam:CreateServiceLinkedRole", `arn:aws:iam::${account.id}:role/aws-service-role/${service}/AWSServiceRole`, { "iam:AWSServiceName": service }), service).to.equal("Allowed");
                    }
                }
            }
        });
    }

    it("denies escalation: roles outside /guardpost/, AdministratorAccess, the deployer itself, other services, assuming what it creates", async () => {
        const report = reports.prod;
        for (const account of report.config.accounts) {
            const policy = deployerRoleFromPlan(report, account.name).permissionsPolicy;
            const p = account.roleArn;
            const id = account.id;
            const guardpostRole = `arn:aws:iam::${id}:role/guardpost/x`;
            const denied = async (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
                expect(await decide(policy, p, id, action, resource, context), `${account.name}: ${action} on ${resource} ${JSON.stringify(context)}`).to.match(/Denied$/);
            for (const action of ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:TagRole", "iam:CreateRole"]) {
                await denied(action, `arn:aws:iam::${id}:role/OrganizationAccountAccessRole`);
                await denied(action, p);
            }
            await denied("iam:AttachRolePolicy", guardpostRole, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", "iam:PermissionsBoundary": guardpostBoundaryArn("aws", id) });
            await denied("iam:AttachRolePolicy", p, { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" });
            await denied("iam:AttachRolePolicy", p, { "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole" });
            await denied("iam:PassRole", guardpostRole, { "iam:PassedToService": "ec2.amazonaws.com" });
            await denied("iam:PassRole", `arn:aws:iam::${id}:role/admin`, { "iam:PassedToService": "lambda.amazonaws.com" });
            await denied("iam:CreateUser", `arn:aws:iam::${id}:user/backdoor`);
            await denied("iam:CreateAccessKey", `arn:aws:iam::${id}:user/backdoor`);
            await denied("iam:CreatePolicyVersion", `arn:aws:iam::${id}:policy/guardpost-deployer-workload-1`);
            await denied("sts:AssumeRole", guardpostRole);
            await denied("iam:CreateServiceLinkedRole", `arn:aws:iam::${id}:role/aws-service-role/ec2.amazonaws.com/x`, { "iam:AWSServiceName": "ec2.amazonaws.com" });
            // Someone else's function (no guardpost:function tag): no new code, permission, invocation or tag.
            const foreign = `arn:aws:lambda:us-east-1:${id}:function:payroll-admin`;
            for (const action of ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:AddPermission", "lambda:InvokeFunction", "lambda:DeleteFunction"]) {
                await denied(action, foreign, { "aws:ResourceTag/owner": "payroll" });
            }
            await denied("lambda:TagResource", foreign, { [`aws:RequestTag/${FUNCTION_TAG_KEY}`]: "telegram-alert", "aws:TagKeys": [FUNCTION_TAG_KEY] });
            await denied("lambda:CreateFunction", `arn:aws:lambda:us-east-1:${id}:function:anything`);
            // Someone else's SecureString and trail.
            for (const action of ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"]) await denied(action, `arn:aws:ssm:us-east-1:${id}:parameter/prod/db/password`);
            if (deployerRoleFromPlan(report, account.name).types.includes("aws:cloudtrail/trail:Trail")) {
                for (const action of ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"]) {
                    await denied(action, `arn:aws:cloudtrail:us-east-1:${id}:trail/org-audit-trail`);
                }
            }
        }
    });

    it("lets services use guardpost's keys and Config's service-linked role the way AWS requires (review fixes)", async () => {
        const report = reports.prod;
        for (const account of report.config.accounts) {
            const role = deployerRoleFromPlan(report, account.name);
            const policy = role.permissionsPolicy;
            const p = account.roleArn;
            const id = account.id;
            const keyPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${id}:root` }, Action: "kms:*", Resource: "*" }] };
            const key = `arn:aws:kms:ap-northeast-2:${id}:key/k`;
            // A domain, trail or function encrypting with a CMK creates a grant as the caller — for an AWS resource only.
            expect(await decide(policy, p, id, "kms:CreateGrant", key, { "kms:GrantIsForAWSResource": "true" }, keyPolicy), account.name).to.equal("Allowed");
            expect(await decide(policy, p, id, "kms:CreateGrant", key, { "kms:GrantIsForAWSResource": "false" }, keyPolicy), account.name).to.match(/Denied$/);
            // AWS Config's service-linked role: read and tagged by the provider, passed to Config only.
            const slr = `arn:aws:iam::${id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
            if (role.types.includes("aws:iam/serviceLinkedRole:ServiceLinkedRole")) {
                for (const action of ["iam:GetRole", "iam:TagRole"]) expect(await decide(policy, p, id, action, slr), `${account.name} ${action}`).to.equal("Allowed");
                expect(await decide(policy, p, id, "iam:PassRole", slr, { "iam:PassedToService": "config.amazonaws.com" }), account.name).to.equal("Allowed");
                expect(await decide(policy, p, id, "iam:PassRole", slr, { "iam:PassedToService": "lambda.amazonaws.com" }), account.name).to.match(/Denied$/);
                expect(await decide(policy, p, id, "iam:PutRolePolicy", slr), account.name).to.match(/Denied$/);
            }
        }
        // The management account: Detective's and CloudTrail's service-linked roles, and the organization's structure.
        const management = report.config.managementAccount!;
        const mgmt = deployerRoleFromPlan(report, management.name).permissionsPolicy;
        for (const service of ["detective.amazonaws.com", "cloudtrail.amazonaws.com"]) {
            expect(await decide(mgmt, management.roleArn, management.id, "iam:CreateServiceLinkedRole", `arn:aws:iam::${management.id}:role/aws-service-role/${service}/x`, { "iam:AWSServiceName": service }), service).to.equal("Allowed");
        }
        expect(await decide(mgmt, management.roleArn, management.id, "organizations:DescribeOrganizationalUnit", "*")).to.equal("Allowed");
        // WAF logging (payments' web ACLs): WAF's service-linked role and the stream listing.
        const payments = report.config.accounts.find(a => a.name === "payments")!;
        const pay = deployerRoleFromPlan(report, "payments").permissionsPolicy;
        expect(await decide(pay, payments.roleArn, payments.id, "iam:CreateServiceLinkedRole", `arn:aws:iam::${payments.id}:role/aws-service-role/wafv2.amazonaws.com/x`, { "iam:AWSServiceName": "wafv2.amazonaws.com" })).to.equal("Allowed");
        expect(await decide(pay, payments.roleArn, payments.id, "firehose:ListDeliveryStreams", "*")).to.equal("Allowed");
    });

    it("lets npm run replay and check-subscriptions read what they read: queues, parked objects through SQS and S3, topic subscriptions", async () => {
        for (const account of reports.prod.config.accounts) {
            const policy = deployerRoleFromPlan(reports.prod, account.name).permissionsPolicy;
            const key = `arn:aws:kms:us-east-1:${account.id}:key/k`;
            // guardpost's key policies let the account's IAM policies decide (their "AccountAdministers" statement).
            const keyPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account.id}:root` }, Action: "kms:*", Resource: "*" }] };
            expect(await decide(policy, account.roleArn, account.id, "kms:Decrypt", key, { "kms:ViaService": "sqs.us-east-1.amazonaws.com" }, keyPolicy), account.name).to.equal("Allowed");
            expect(await decide(policy, account.roleArn, account.id, "kms:GenerateDataKey", key, { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, keyPolicy), account.name).to.equal("Allowed");
            expect(await decide(policy, account.roleArn, account.id, "kms:Decrypt", key, { "kms:ViaService": "ec2.us-east-1.amazonaws.com" }, keyPolicy), account.name).to.match(/Denied$/);
            expect(await decide(policy, account.roleArn, account.id, "sqs:ReceiveMessage", `arn:aws:sqs:us-east-1:${account.id}:q`), account.name).to.equal("Allowed");
            expect(await decide(policy, account.roleArn, account.id, "sns:ListSubscriptionsByTopic", `arn:aws:sns:us-east-1:${account.id}:t`), account.name).to.equal("Allowed");
        }
    });

    it("trusts only guardpost-* session names of the stack's CI role (guardpost-ci-<stack>, as the README has you create it)", () => {
        const role = deployerRoleFromPlan(reports.prod, "payments");
        const ci = "arn:aws:iam::100000000002:role/guardpost-ci-prod";
        expect(trustAllows(role.trustPolicy, "arn:aws:iam::100000000002:role/guardpost-ci-dev", "guardpost-prod")).to.equal(false);
        expect(trustAllows(role.trustPolicy, ci, "guardpost-prod")).to.equal(true);
        expect(trustAllows(role.trustPolicy, ci, "guardpost-opensearch")).to.equal(true);
        expect(trustAllows(role.trustPolicy, ci, "someone-else")).to.equal(false);
        expect(trustAllows(role.trustPolicy, "arn:aws:iam::999999999999:role/guardpost-ci-prod", "guardpost-prod")).to.equal(false);
    });

    it("writes one StackSet template per account kind whose managed policies fit IAM's size limit and become each account's policy", () => {
        const templates = stackSetTemplates(reports.prod);
        expect(Object.keys(templates).sort()).to.deep.equal(["deployer-role-management.json", "deployer-role-security.json", "deployer-role-workload.json"]);
        for (const [file, t] of Object.entries(templates) as Array<[string, any]>) {
            const policies = Object.values(t.Resources).filter((r: any) => r.Type === "AWS::IAM::ManagedPolicy") as any[];
            expect(policies.length, file).to.be.greaterThan(0);
            for (const mp of policies) expect(policyChars(mp.Properties.PolicyDocument), file).to.be.at.most(MANAGED_POLICY_MAX_CHARS);
            expect(t.Resources.DeployerRole.Properties.RoleName).to.equal("guardpost-deployer");
            // The boundary every guardpost role carries is created by the same template, under /guardpost/.
            expect(t.Resources.GuardpostBoundary.Type).to.equal("AWS::IAM::ManagedPolicy");
            expect(t.Resources.GuardpostBoundary.Properties).to.include({ ManagedPolicyName: "guardpost-boundary", Path: "/guardpost/" });
            expect(policyChars(t.Resources.GuardpostBoundary.Properties.PolicyDocument), file).to.be.at.most(MANAGED_POLICY_MAX_CHARS);
            expect(JSON.stringify(t.Resources.DeployerRole.Properties)).to.not.contain("/guardpost/*\"");
        }
        // Substituting a real account reproduces exactly the policy computed for that account.
        const payments = reports.prod.config.accounts.find((a) => a.name === "payments")!;
        const workload: any = templates["deployer-role-workload.json"];
        const resolve = (v: any): any => (v && typeof v === "object" && "Fn::Sub" in v ? v["Fn::Sub"].replace(/\$\{AWS::AccountId\}/g, payments.id).replace(/\$\{AWS::Partition\}/g, "aws")
            : Array.isArray(v) ? v.map(resolve) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)])) : v);
        const statements = Object.values(workload.Resources).filter((r: any) => r.Type === "AWS::IAM::ManagedPolicy").flatMap((r: any) => resolve(r.Properties.PolicyDocument).Statement);
        const actionsOf = (sts: any[]) => new Set(sts.flatMap((s) => [].concat(s.Action).map((a: string) => `${s.Effect} ${a} ${JSON.stringify(s.Resource)}`)));
        const direct = deployerRoleFromPlan(reports.prod, "payments").permissionsPolicy.Statement;
        // The workload template covers the union of workload types, so it is a superset of one account's.
        for (const a of actionsOf(direct)) expect(actionsOf(statements).has(a), a).to.equal(true);
        expect(splitPolicy(deployerRoleFromPlan(reports.prod, "security").permissionsPolicy).every((d) => policyChars(d) <= MANAGED_POLICY_MAX_CHARS)).to.equal(true);
    });

    it("npm run deployer-role -- --stack prod --account payments --json prints the two documents, and --stackset writes the templates", async () => {
        let out = "";
        let err = "";
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-stackset-"));
        try {
            const code = await main(["--stack", "prod", "--account", "payments", "--json", "--stackset", dir], (s) => { out += s; }, (s) => { err += s + "\n"; });
            expect(code, err).to.equal(0);
            const printed = JSON.parse(out);
            expect(Object.keys(printed)).to.deep.equal(["trustPolicy", "permissionsPolicy", "boundaryPolicy"]);
            expect(printed.permissionsPolicy.Statement.map((s: any) => s.Sid)).to.include.members(["GuardpostServices", "GuardpostRolesOnly", "GuardpostRolesWithTheBoundaryOnly",
                "PassGuardpostRolesToTheirServices", "NeverChangeTheDeployerItself", "NeverRemoveABoundary", "NeverChangeTheBoundaryPolicy"]);
            expect(printed.boundaryPolicy.Statement.map((s: any) => s.Sid)).to.include.members(["WhatGuardpostRolesDo", "NoIam", "NoOrganizationsChanges", "NoAssumingRoles"]);
            expect(fs.readdirSync(dir).sort()).to.deep.equal(["deployer-role-management.json", "deployer-role-security.json", "deployer-role-workload.json"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        let e2 = "";
        expect(await main(["--stack", "prod", "--account", "nobody", "--json"], () => undefined, (s) => { e2 += s; })).to.equal(1);
        expect(e2).to.contain("no account 'nobody'");
        expect(await main(["--account", "x"], () => undefined, () => undefined)).to.equal(2);
    });
});
