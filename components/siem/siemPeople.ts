import { indexPattern, LOG_KINDS } from "./siemTemplates";

/**
 * What people may do once signed in (model/siemAccess.ts): pure role definitions and trust policies.
 * - analysts: `guardpost_analyst` — read and search the log indices and their mappings, nothing else —
 *   plus the built-in roles that let them use Dashboards and see alerts, anomalies and Security Analytics
 *   findings without changing them (https://docs.opensearch.org/latest/security/access-control/users-roles/#predefined-roles;
 *   on Amazon OpenSearch Service the Dashboards role is `opensearch_dashboards_user`,
 *   https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac-walkthrough-iam.html);
 * - admins: `all_access` and `security_manager`, merged into the built-in mappings.
 */

export const ANALYST_ROLE = "guardpost_analyst";
export const ANALYST_BUILT_IN_ROLES = ["opensearch_dashboards_user", "alerting_read_access", "anomaly_read_access", "security_analytics_read_access"];
export const ADMIN_BUILT_IN_ROLES = ["all_access", "security_manager"];

export function analystRole(): { clusterPermissions: string[]; indexPermissions: Array<{ index_patterns: string[]; allowed_actions: string[] }> } {
    return {
        clusterPermissions: ["cluster_composite_ops_ro", "cluster:monitor/health"],
        indexPermissions: [{ index_patterns: LOG_KINDS.map(indexPattern), allowed_actions: ["read", "indices:admin/mappings/get", "indices:monitor/settings/get"] }],
    };
}

/**
 * Trust of the IAM role a Cognito group hands its members: only this identity pool, only signed-in users
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac-walkthrough-iam.html, step 1).
 */
export function cognitoGroupRoleTrust(identityPoolId: string): object {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Federated: "cognito-identity.amazonaws.com" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: { "cognito-identity.amazonaws.com:aud": identityPoolId },
                "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
            },
        }],
    };
}

/**
 * The `CognitoAccessForAmazonOpenSearch` role: OpenSearch Service configures the user and identity pools
 * with it (the managed policy AmazonOpenSearchServiceCognitoAccess), trusting `opensearchservice.amazonaws.com`
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cognito-auth.html#cognito-auth-role).
 */
export const COGNITO_ACCESS_MANAGED_POLICY = "AmazonOpenSearchServiceCognitoAccess";

export function cognitoAccessRoleTrust(): object {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "opensearchservice.amazonaws.com" }, Action: "sts:AssumeRole" }] };
}
