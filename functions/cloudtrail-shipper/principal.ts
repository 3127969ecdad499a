/**
 * The principal a CloudTrail event is attributed to, stable across sessions: for an assumed role the role
 * itself (`userIdentity.sessionContext.sessionIssuer.arn`), not `userIdentity.arn`, whose last segment is the
 * session name — so every Lambda invocation, SSO sign-in or CI run would otherwise be a new principal with no
 * history. IAM users and the root user keep their own ARN; AWS services acting on their own have neither and
 * are named by `invokedBy` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
 * The anomaly detector splits by this field (`principal`).
 */
export function principalOf(userIdentity: unknown): string | undefined {
    if (!userIdentity || typeof userIdentity !== "object") return undefined;
    const u = userIdentity as Record<string, any>;
    for (const candidate of [u.sessionContext?.sessionIssuer?.arn, u.arn, u.invokedBy]) {
        if (typeof candidate === "string" && candidate !== "") return candidate;
    }
    return undefined;
}
