/**
 * One way to assume the deployer role: every AssumeRole guardpost makes — the providers of `pulumi up`, the
 * OpenSearch dynamic providers, the npm scripts — uses a session name starting with `guardpost-`, so the
 * role's trust policy admits all of them with one condition on `sts:RoleSessionName`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_rolesessionname)
 * and nothing else.
 */

export const SESSION_NAME_PREFIX = "guardpost-";

/** STS's own rule for RoleSessionName: 2–64 of `[\w+=,.@-]` (API_AssumeRole, "RoleSessionName"). */
const STS_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** `guardpost-<purpose>`, refused at once if STS would refuse it. */
export function sessionName(purpose: string): string {
    const name = `${SESSION_NAME_PREFIX}${purpose}`;
    if (!STS_SESSION_NAME.test(name)) {
        throw new Error(`session name '${name}' is not one STS accepts: 2–64 letters, digits or _+=,.@- (from purpose '${purpose}')`);
    }
    return name;
}

/** The providers of `pulumi up` (one per account): `guardpost-<stack>`. */
export const providerSessionName = (stack: string) => sessionName(stack);
/** The OpenSearch dynamic providers, which run inside `pulumi up`. */
export const OPENSEARCH_PROVIDER_SESSION = sessionName("opensearch");
/** `npm run sample-findings`. */
export const SAMPLE_FINDINGS_SESSION = sessionName("sample-findings");
/** `npm run replay`. */
export const REPLAY_SESSION = sessionName("replay");
/** `npm run check-subscriptions`. */
export const CHECK_SUBSCRIPTIONS_SESSION = sessionName("check-subscriptions");

/** The trust-policy condition that admits every session name above, and only names with the prefix. */
export function sessionNameCondition(): { StringLike: { "sts:RoleSessionName": string } } {
    return { StringLike: { "sts:RoleSessionName": `${SESSION_NAME_PREFIX}*` } };
}

/**
 * STS refused the AssumeRole (AccessDenied, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_Errors
 * and CommonErrors): no retry can fix a trust policy, so this fails at once and says what to change.
 */
export function assumeRoleRefused(roleArn: string, session: string, cause: string): Error {
    const err = new Error(
        `STS refused to let this identity assume ${roleArn} as session '${session}': ${cause}. ` +
        `Fix the role's trust policy: allow sts:AssumeRole and sts:TagSession for the identity that runs guardpost ` +
        `(your CI or admin role) with the condition {"StringLike": {"sts:RoleSessionName": "${SESSION_NAME_PREFIX}*"}} — ` +
        `\`npm run deployer-role -- --stack <stack> --account <name> --json\` prints the whole policy.`);
    err.name = "AssumeRoleRefused";
    return err;
}

/** True for the errors the SDK raises when STS (or the credential chain) refuses to issue credentials. */
export function isCredentialRefusal(e: any): boolean {
    const name = String(e?.name ?? e?.Code ?? "");
    return ["AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
        "RegionDisabledException", "MalformedPolicyDocument", "CredentialsProviderError"].includes(name)
        || e?.$metadata?.httpStatusCode === 403;
}
