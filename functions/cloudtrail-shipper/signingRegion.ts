/**
 * The region a SigV4 request to the SIEM domain must be signed for: the DOMAIN's region, not the region the
 * shipper runs in. A trail whose region is not the SIEM's home region signs for its own region otherwise, and
 * the domain answers every batch with 403 "Credential should be scoped to a valid region, not '<region>'"
 * (the scope's region must be the endpoint's: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-create-signed-request.html,
 * "Credential scope"). Order: OPENSEARCH_REGION (set by LogPipeline from the domain), else the region in an
 * AWS domain endpoint (`search-….<region>.es.amazonaws.com`), else the function's own AWS_REGION.
 */
export function signingRegion(env: Record<string, string | undefined>, endpoint: string): { region: string; source: string } {
    if (env.OPENSEARCH_REGION) return { region: env.OPENSEARCH_REGION, source: "OPENSEARCH_REGION" };
    const fromHost = /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.es\.amazonaws\.com(?:\.cn)?(?::\d+)?(?:\/|$)/.exec(endpoint)?.[1];
    if (fromHost) return { region: fromHost, source: "endpoint" };
    const own = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "";
    return { region: own, source: "AWS_REGION" };
}
