/**
 * What an organization must allow before guardpost's organization features work: trusted access for the
 * services that need it (AWS Organizations "EnableAWSServiceAccess") and delegated administrators that no
 * service-specific API registers. Pure data, shared by AccountBaseline (which declares them), the plan
 * (which lists them) and the README (which prints the commands for organizations that do it by hand).
 */

export interface OrganizationPrerequisite {
    /** The service principal, e.g. cloudtrail.amazonaws.com. */
    principal: string;
    /** Why guardpost needs it. */
    reason: string;
    /** The AWS page that documents it. */
    source: string;
}

export interface OrganizationFeatures {
    organizationTrail: boolean;
    /** An organization-wide AWS Config aggregator in the security account. */
    configAggregator: boolean;
}

/**
 * Trusted access guardpost enables itself, principal by principal (aws.organizations.AwsServiceAccess, one
 * resource per principal, never the whole Organization resource, whose `awsServiceAccessPrincipals` list
 * would disable every other service's access on the first update). GuardDuty, Security Hub and Detective are
 * not here on purpose: designating their delegated administrator enables their trusted access, and
 * GuardDuty's can be enabled only that way
 * (https://docs.aws.amazon.com/organizations/latest/userguide/services-that-can-integrate-guardduty.html,
 * …-securityhub.html, …-detective.html).
 */
export function trustedAccessFor(features: OrganizationFeatures): OrganizationPrerequisite[] {
    const out: OrganizationPrerequisite[] = [];
    if (features.organizationTrail) {
        out.push({
            principal: "cloudtrail.amazonaws.com",
            reason: "an organization trail created through the API needs CloudTrail's trusted access first (CloudTrailAccessNotEnabledException otherwise)",
            source: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-an-organizational-trail-by-using-the-aws-cli.html",
        });
    }
    if (features.configAggregator) {
        for (const principal of CONFIG_DELEGATION_PRINCIPALS) {
            out.push({
                principal,
                reason: "the security account aggregates AWS Config across the organization as Config's delegated administrator",
                source: "https://docs.aws.amazon.com/config/latest/developerguide/set-up-aggregator-cli.html",
            });
        }
    }
    return out;
}

/**
 * AWS Config wants its delegated administrator registered for both principals before that account creates
 * an organization aggregator (set-up-aggregator-cli.html, "Register a Delegated Administrator").
 */
export const CONFIG_DELEGATION_PRINCIPALS = ["config.amazonaws.com", "config-multiaccountsetup.amazonaws.com"] as const;

/** The command an organization that enables trusted access by hand runs in the management account. */
export function enableCommand(principal: string): string {
    return `aws organizations enable-aws-service-access --service-principal ${principal}`;
}
