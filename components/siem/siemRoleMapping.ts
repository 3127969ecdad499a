import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The identity pool's role mapping for the app client OpenSearch Service adds to the user pool: each user gets the
 * IAM role of their Cognito group from the token, and a user in no group gets no credentials.
 *
 * "When you configure a domain to use Amazon Cognito authentication for Dashboards, OpenSearch Service adds an app
 * client to the user pool and adds the user pool to the identity pool as an authentication provider"; granular
 * access is that provider set to "Choose role from token" with role resolution DENY
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cognito-auth.html#cognito-auth-identity-providers,
 * #cognito-auth-granular; https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac-walkthrough-iam.html).
 * The client exists only once the domain does, so the clients are read after it (ListUserPoolClients, through
 * aws.cognito.getUserPoolClients) and the mapping is set then.
 */

/**
 * SetIdentityPoolRoles takes at most 10 role mappings
 * (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_SetIdentityPoolRoles.html, RoleMappings).
 */
export const MAX_ROLE_MAPPINGS = 10;

export interface TokenRoleMapping {
    /** `<user pool endpoint>:<app client id>`, e.g. `cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:client` (SetIdentityPoolRoles). */
    identityProvider: string;
    type: "Token";
    ambiguousRoleResolution: "Deny";
}

/**
 * One "role from token, DENY otherwise" mapping per app client of the pool. guardpost creates no client in its
 * pool, so every client there is one OpenSearch Service added (one per domain using the pool) and each is mapped.
 * `userPoolEndpoint` is the pool's `endpoint` (`cognito-idp.<region>.<dns suffix>/<pool id>`).
 */
export function openSearchRoleMappings(userPoolEndpoint: string, clientIds: string[]): TokenRoleMapping[] {
    const pool = userPoolEndpoint.split("/").pop();
    const ids = [...new Set(clientIds)].sort();
    if (ids.length === 0) {
        throw new Error(`SiemDomain: the Cognito user pool ${pool} has no app client, so there is no OpenSearch sign-in to map to group roles. ` +
            "OpenSearch Service adds its client when the domain is configured with Cognito (cognitoOptions): check that the domain finished processing with Cognito enabled, then run pulumi up again");
    }
    if (ids.length > MAX_ROLE_MAPPINGS) {
        throw new Error(`SiemDomain: the Cognito user pool ${pool} has ${ids.length} app clients (${ids.join(", ")}); an identity pool takes at most ${MAX_ROLE_MAPPINGS} role mappings. ` +
            "Remove the clients of domains that no longer use this pool");
    }
    return ids.map(id => ({ identityProvider: `${userPoolEndpoint}:${id}`, type: "Token", ambiguousRoleResolution: "Deny" }));
}

/** What the role attachment needs from the Cognito sign-in (siemSignIn.ts) and the domain. */
export interface CognitoRoleMappingArgs {
    region: string;
    userPoolId: pulumi.Input<string>;
    /** The user pool's `endpoint` output (identity-provider name prefix). */
    userPoolEndpoint: pulumi.Input<string>;
    identityPoolId: pulumi.Input<string>;
    /** The pool's default authenticated role: the no-permission role of users in no group. */
    authenticatedRoleArn: pulumi.Input<string>;
    /** The domain configured with the pools: its app client exists once it does. */
    domain: pulumi.Resource;
}

/**
 * The identity pool's one role attachment. SetIdentityPoolRoles replaces roles and mappings together, so there is
 * exactly one attachment per identity pool, holding both, declared after the domain. The name is the one the
 * roles-only attachment had, so an existing stack updates it in place.
 */
export function cognitoRoleMapping(name: string, a: CognitoRoleMappingArgs, parent: pulumi.Resource): aws.cognito.IdentityPoolRoleAttachment {
    const clients = aws.cognito.getUserPoolClientsOutput({ region: a.region, userPoolId: a.userPoolId }, { parent, dependsOn: [a.domain] });
    return new aws.cognito.IdentityPoolRoleAttachment(`${name}-identities-roles`, {
        region: a.region,
        identityPoolId: a.identityPoolId,
        roles: { authenticated: a.authenticatedRoleArn },
        roleMappings: pulumi.all([a.userPoolEndpoint, clients.clientIds]).apply(([endpoint, ids]) => openSearchRoleMappings(endpoint, ids ?? [])),
    }, { parent, dependsOn: [a.domain] });
}
