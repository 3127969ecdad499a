/**
 * What the delegated administrator declares for the rest of the organization, per region. Called by
 * DetectionBaseline in admin mode; every resource is the baseline's child.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DetectionBaselineArgs, OrganizationAccount } from "./detectionArgs";
import { MEMBER_FEATURES, planFeatures, slug } from "./detectionPlan";
import { resolveStandards } from "./securityHubStandards";

/** Security Hub's value for "this target configures itself" in a policy association (StartConfigurationPolicyAssociation). */
export const SELF_MANAGED_SECURITY_HUB = "SELF_MANAGED_SECURITY_HUB";

export interface AdminServices {
    detector?: aws.guardduty.Detector;
    graph?: aws.detective.Graph;
    hub?: aws.securityhub.Account;
    aggregator?: aws.securityhub.FindingAggregator;
}

/** Accounts that enroll in `service`: everyone that does not skip it. */
export function enrolled(accounts: OrganizationAccount[], service: "guardDuty" | "securityHub" | "detective"): OrganizationAccount[] {
    return accounts.filter(a => a.services[service].mode !== "skip");
}

export function declareOrganization(parent: pulumi.Resource, name: string, args: DetectionBaselineArgs, own: AdminServices,
    after: (own: pulumi.Resource[]) => pulumi.CustomResourceOptions): void {
    const region = args.region;
    const accounts = args.organization?.accounts ?? [];
    const management = accounts.find(a => a.kind === "management");

    if (own.detector) {
        const detector = own.detector;
        // ALL enrolls existing members as well as new ones, but never the management account
        // (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_organizations.html: it "must first enable
        // GuardDuty before it can be added as a member account"), which is added explicitly below.
        const orgConfig = new aws.guardduty.OrganizationConfiguration(`${name}-guardduty-org`, {
            region,
            detectorId: detector.id,
            autoEnableOrganizationMembers: "ALL",
        }, after([detector]));
        let previous: pulumi.Resource = orgConfig;
        for (const feature of planFeatures(args.protections)) {
            previous = new aws.guardduty.OrganizationConfigurationFeature(`${name}-org-feature-${slug(feature.name)}`, {
                region,
                detectorId: detector.id,
                name: feature.name,
                autoEnable: feature.enabled ? "ALL" : "NONE",
                additionalConfigurations: feature.additional.length === 0 ? undefined
                    : feature.additional.map(a => ({ name: a.name, autoEnable: a.enabled ? "ALL" : "NONE" })),
            }, { parent, dependsOn: [previous] });
        }
        if (management && management.services.guardDuty.mode !== "skip") {
            const member = new aws.guardduty.Member(`${name}-guardduty-member-management`, {
                region,
                detectorId: detector.id,
                accountId: management.accountId,
                email: management.email ?? "",
                // Organization accounts join without an invitation.
                invite: false,
                disableEmailNotification: true,
            }, after([detector, orgConfig]));
            // Auto-enable does not reach the management account, so its plans are set member by member.
            let previousMember: pulumi.Resource = member;
            for (const feature of planFeatures(args.protections).filter(f => MEMBER_FEATURES.includes(f.name))) {
                previousMember = new aws.guardduty.MemberDetectorFeature(`${name}-member-feature-management-${slug(feature.name)}`, {
                    region,
                    detectorId: detector.id,
                    accountId: management.accountId,
                    name: feature.name,
                    status: feature.enabled ? "ENABLED" : "DISABLED",
                    additionalConfigurations: feature.additional.length === 0 ? undefined
                        : feature.additional.map(a => ({ name: a.name, status: a.enabled ? "ENABLED" : "DISABLED" })),
                }, { parent, dependsOn: [previousMember] });
            }
        }
    }

    if (own.graph) {
        const graph = own.graph;
        const orgConfig = new aws.detective.OrganizationConfiguration(`${name}-detective-org`, { region, autoEnable: true, graphArn: graph.graphArn }, after([graph]));
        // autoEnable covers accounts that join later; the ones that exist today are enabled as members
        // (organization accounts are enabled, not invited: https://docs.aws.amazon.com/detective/latest/APIReference/API_CreateMembers.html).
        // Only where the account operates: a member elsewhere is billed for a region nobody configured.
        for (const account of enrolled(accounts, "detective").filter(a => !a.regions || a.regions.includes(region))) {
            new aws.detective.Member(`${name}-detective-member-${account.accountId}`, {
                region,
                graphArn: graph.graphArn,
                accountId: account.accountId,
                emailAddress: account.email ?? "",
                disableEmailNotification: true,
            }, after([graph, orgConfig]));
        }
    }

    if (own.hub) {
        const hub = own.hub;
        if (management && management.services.securityHub.mode !== "skip") {
            // The management account is never enabled for it; it enables its hub itself (its own baseline)
            // and is then added (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateMembers.html).
            new aws.securityhub.Member(`${name}-securityhub-member-management`, {
                region,
                accountId: management.accountId,
                invite: false,
            }, after([hub]));
        }
        if (region === args.homeRegion && own.aggregator) {
            declareCentralConfiguration(parent, name, args, accounts, hub, own.aggregator, after);
        }
    }
}

/**
 * Security Hub central configuration, in the home (aggregation) region only: it governs the home region and
 * every linked region (https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-intro.html).
 * Prerequisites: a delegated administrator that is not the management account, and a finding aggregator
 * (provider docs of `securityhub.OrganizationConfiguration`). One policy with the configured standards,
 * associated with the configured root/OUs; accounts that skip Security Hub are associated as self-managed
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-management-type.html).
 */
function declareCentralConfiguration(parent: pulumi.Resource, name: string, args: DetectionBaselineArgs, accounts: OrganizationAccount[],
    hub: aws.securityhub.Account, aggregator: aws.securityhub.FindingAggregator, after: (own: pulumi.Resource[]) => pulumi.CustomResourceOptions): void {
    const region = args.region;
    const orgConfig = new aws.securityhub.OrganizationConfiguration(`${name}-securityhub-org`, {
        region,
        // Central configuration requires both off: policies, not auto-enable, decide what accounts get.
        autoEnable: false,
        autoEnableStandards: "NONE",
        organizationConfiguration: { configurationType: "CENTRAL" },
    }, after([hub, aggregator]));
    const policy = new aws.securityhub.ConfigurationPolicy(`${name}-securityhub-policy`, {
        region,
        name: "guardpost",
        description: "guardpost: Security Hub on, with the configured standards, in every associated account and linked region",
        configurationPolicy: {
            serviceEnabled: true,
            enabledStandardArns: resolveStandards(args.securityHub.standards, region).map(s => s.arn),
            // An empty disabled list enables every control of the standards, including new ones.
            securityControlsConfiguration: { disabledControlIdentifiers: [] },
        },
    }, { parent, dependsOn: [orgConfig] });
    for (const target of args.organization?.securityHubPolicyTargets ?? []) {
        new aws.securityhub.ConfigurationPolicyAssociation(`${name}-securityhub-policy-${target}`, {
            region, policyId: policy.id, targetId: target,
        }, { parent, dependsOn: [policy] });
    }
    for (const account of accounts.filter(a => a.services.securityHub.mode === "skip")) {
        new aws.securityhub.ConfigurationPolicyAssociation(`${name}-securityhub-self-managed-${account.accountId}`, {
            region, policyId: SELF_MANAGED_SECURITY_HUB, targetId: account.accountId,
        }, { parent, dependsOn: [orgConfig] });
    }
}
