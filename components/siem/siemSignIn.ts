import { GUARDPOST_ROLE_PATH, guardpostBoundaryArn } from "../../model/iamPath";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import type { PeopleGroups, SamlSignIn } from "../../model/siemAccess";
import { OFFLINE_PLAN_ENV } from "../../model/offlinePlan";
import { COGNITO_ACCESS_MANAGED_POLICY, cognitoAccessRoleTrust, cognitoGroupRoleTrust } from "./siemPeople";

/**
 * How people reach Dashboards. Cognito (default): a user pool with MFA required and a hosted sign-in domain,
 * an identity pool, one IAM role per group (analysts, admins) that Cognito hands the group's members, and the
 * CognitoAccessForAmazonOpenSearch role the service configures both pools with — the resources AWS lists as
 * prerequisites (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cognito-auth.html#cognito-auth-prereq).
 * FGAC then maps the group roles (SiemDomain). SAML: the IdP's metadata; FGAC maps the SAML group names.
 */

export interface CognitoSignIn {
    kind: "cognito";
    userPoolId: pulumi.Output<string>;
    identityPoolId: pulumi.Output<string>;
    /** CognitoAccessForAmazonOpenSearch: the domain's `cognitoOptions.roleArn`. */
    serviceRoleArn: pulumi.Output<string>;
    /** The backend roles FGAC maps: the IAM role of each group. */
    analystBackendRole: pulumi.Output<string>;
    adminBackendRole: pulumi.Output<string>;
    /** The user pool's `endpoint` (`cognito-idp.<region>.<dns suffix>/<pool id>`): identity-provider names start with it. */
    userPoolEndpoint: pulumi.Output<string>;
    /** The identity pool's default authenticated role: signed in but in no group, no permissions. */
    signedInRoleArn: pulumi.Output<string>;
    /** Where people sign in: the user pool's hosted domain. */
    signInDomain: pulumi.Output<string>;
    /** The domain waits for these (the service role's policy must be attached first). */
    ready: pulumi.Resource[];
}

export interface SamlSignInResult {
    kind: "saml";
    analystBackendRole: pulumi.Output<string>;
    adminBackendRole: pulumi.Output<string>;
}

export function cognitoSignIn(name: string, p: { region: string; partition: string; account: string; stage: string; domainPrefix: string; groups: PeopleGroups; tags?: Record<string, string> },
    parent: pulumi.Resource): CognitoSignIn {
    const opts = { parent };
    const pool = new aws.cognito.UserPool(`${name}-people`, {
        region: p.region,
        name: `guardpost-${p.stage}-siem`,
        // Accounts are created by an admin (README: the first admin), never by sign-up; every sign-in needs a TOTP code.
        adminCreateUserConfig: { allowAdminCreateUserOnly: true },
        mfaConfiguration: "ON",
        softwareTokenMfaConfiguration: { enabled: true },
        usernameAttributes: ["email"],
        autoVerifiedAttributes: ["email"],
        passwordPolicy: { minimumLength: 14, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 3 },
        accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
        deletionProtection: "ACTIVE",
        tags: p.tags,
    }, opts);
    // OpenSearch redirects to this domain for sign-in ("Your Amazon Cognito user pool must have a domain name").
    const domain = new aws.cognito.UserPoolDomain(`${name}-people-domain`, { region: p.region, domain: p.domainPrefix, userPoolId: pool.id }, opts);
    // OpenSearch adds its own app client to the user pool and that client to the identity pool ("Configuring
    // identity providers"); Pulumi must not take it away again.
    const identityPool = new aws.cognito.IdentityPool(`${name}-identities`, {
        region: p.region,
        identityPoolName: `guardpost_${p.stage.replace(/-/g, "_")}_siem`,
        allowUnauthenticatedIdentities: false,
        tags: p.tags,
    }, { parent, ignoreChanges: ["cognitoIdentityProviders"] });

    const trust = identityPool.id.apply(id => JSON.stringify(cognitoGroupRoleTrust(id)));
    const groupRole = (suffix: string, description: string) => new aws.iam.Role(`${name}-people-${suffix}`, {
        path: GUARDPOST_ROLE_PATH, permissionsBoundary: guardpostBoundaryArn(p.partition, p.account), description, assumeRolePolicy: trust, tags: p.tags,
    }, opts);
    // Signed in but in no group: this role has no permissions and is in no domain policy or FGAC mapping.
    const signedIn = groupRole("signed-in", "guardpost SIEM: Cognito user in no group — no access");
    const analyst = groupRole("analyst", `guardpost SIEM analysts (Cognito group ${p.groups.analystGroup}): FGAC guardpost_analyst`);
    const admin = groupRole("admin", `guardpost SIEM admins (Cognito group ${p.groups.adminGroup}): FGAC all_access + security_manager`);
    new aws.cognito.UserGroup(`${name}-analysts`, { region: p.region, userPoolId: pool.id, name: p.groups.analystGroup, roleArn: analyst.arn, precedence: 20,
        description: "Read logs, dashboards and findings in the SIEM" }, opts);
    new aws.cognito.UserGroup(`${name}-admins`, { region: p.region, userPoolId: pool.id, name: p.groups.adminGroup, roleArn: admin.arn, precedence: 10,
        description: "Administer the SIEM (all_access, security_manager)" }, opts);
    // The identity pool's roles and the mapping of OpenSearch's app client are set after the domain, which creates
    // that client (siemRoleMapping.ts, declared by SiemDomain).

    const service = new aws.iam.Role(`${name}-cognito-access`, {
        name: `CognitoAccessForAmazonOpenSearch-${p.stage}`,
        path: GUARDPOST_ROLE_PATH,
        permissionsBoundary: guardpostBoundaryArn(p.partition, p.account),
        description: "OpenSearch Service configures the SIEM's Cognito user and identity pools",
        assumeRolePolicy: JSON.stringify(cognitoAccessRoleTrust()),
        tags: p.tags,
    }, opts);
    const attached = new aws.iam.RolePolicyAttachment(`${name}-cognito-access`, {
        role: service.name, policyArn: `arn:${p.partition}:iam::aws:policy/${COGNITO_ACCESS_MANAGED_POLICY}`,
    }, opts);
    return {
        kind: "cognito", userPoolId: pool.id, userPoolEndpoint: pool.endpoint, signedInRoleArn: signedIn.arn, identityPoolId: identityPool.id, serviceRoleArn: service.arn,
        analystBackendRole: analyst.arn, adminBackendRole: admin.arn, signInDomain: pulumi.interpolate`https://${domain.domain}.auth.${p.region}.amazoncognito.com`,
        ready: [attached, domain],
    };
}

/** The IdP metadata XML: from the repo file, or fetched from the URL during `pulumi up` (not in the offline plan). */
export function samlMetadata(saml: SamlSignIn): pulumi.Output<string> {
    if (saml.metadataFile) return pulumi.output(fs.readFileSync(saml.metadataFile, "utf8"));
    if (process.env[OFFLINE_PLAN_ENV] === "1") return pulumi.output("<offline plan: IdP metadata is fetched during pulumi up>");
    return pulumi.output(fetch(saml.metadataUrl!).then(async r => {
        if (!r.ok) throw new Error(`guardpost:siem.saml.metadataUrl ${saml.metadataUrl} answered ${r.status}`);
        return r.text();
    }));
}

/**
 * SAML for Dashboards (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/saml.html): the
 * assertion's `rolesKey` attribute carries the user's groups, which FGAC maps like IAM roles.
 */
export function samlSignIn(name: string, p: { region: string; domainName: pulumi.Input<string>; saml: SamlSignIn; groups: PeopleGroups },
    opts: pulumi.CustomResourceOptions): SamlSignInResult {
    new aws.opensearch.DomainSamlOptions(`${name}-saml`, {
        region: p.region,
        domainName: p.domainName,
        samlOptions: {
            enabled: true,
            idp: { entityId: p.saml.entityId, metadataContent: samlMetadata(p.saml) },
            rolesKey: p.saml.rolesKey,
            subjectKey: p.saml.subjectKey,
            sessionTimeoutMinutes: p.saml.sessionTimeoutMinutes,
        },
    }, opts);
    return { kind: "saml", analystBackendRole: pulumi.output(p.groups.analystGroup), adminBackendRole: pulumi.output(p.groups.adminGroup) };
}
