import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDPOST_ROLE_PATH, guardpostBoundaryArn } from "../../model/iamPath";
import {
    aggregatorLinking, DetectionMode, enabledFeatureNames, planFeatures, ProtectionSwitches, slug, ThreatList, threatListKey,
    threatListLocation, validateDetectionArgs,
} from "./detectionPlan";
import { SecureBucket } from "../shared/secureBucket";
import { resolveStandards } from "./securityHubStandards";
import { importId } from "../../model/services";
import { declareOrganization } from "./detectionOrganization";
import { declareAggregator, declareConfig } from "./detectionConfig";
import { malwareProtectionRolePolicy, malwareProtectionTrustPolicy } from "./malwareProtectionPolicies";
import { partitionOf } from "../../model/partition";

import type { DetectionBaselineArgs, LaterResources } from "./detectionArgs";

export type { ThreatList, ProtectionSwitches, DetectionMode } from "./detectionPlan";
export type { DetectionBaselineArgs, LaterResources, OrganizationAccount, OrganizationAdminArgs, ConfigDelivery } from "./detectionArgs";

/** What a baseline turned on, for the stack outputs. */
export interface DetectionSummary {
    mode: DetectionMode;
    detectorId?: string;
    /** How each service is treated here: managed, adopted (imported) or skipped. */
    services: Record<"guardDuty" | "securityHub" | "config" | "detective", string>;
    enabledFeatures: string[];
    /** Management mode: the account administration is delegated to. */
    delegatedAdmin?: string;
    organizationAutoEnable: boolean;
    trustedIpLists: number;
    threatIntelSets: number;
    detectiveGraphArn?: string;
    securityHubStandards: string[];
    findingAggregator: boolean;
    configRecordsGlobalTypes?: boolean;
    findingsExport: boolean;
}

/** A promise of resources to resolve once they are declared, to order resources across two components. */
export function laterResources(): { promise: Promise<pulumi.Resource[]>; resolve: (resources: pulumi.Resource[]) => void } {
    let resolve!: (resources: pulumi.Resource[]) => void;
    const promise = new Promise<pulumi.Resource[]>(r => { resolve = r; });
    return { promise, resolve };
}

function combine(local: pulumi.Resource[], later?: LaterResources): pulumi.Input<pulumi.Resource[]> {
    if (!later) return local;
    return Promise.resolve(later).then(extra => [...local, ...extra]);
}

/**
 * Threat detection for one account × region: GuardDuty with a switch per protection plan, organization
 * delegation and enrollment, trusted IP and threat lists, Detective, Security Hub (standalone standards or
 * organization central configuration), AWS Config delivering to the central archive, findings export. Each
 * service is managed, adopted (imported with the ids from config) or skipped, per account.
 */
export class DetectionBaseline extends pulumi.ComponentResource {
    declare readonly mode: DetectionMode;
    /** The detector of this account and region, if this baseline declares one (not in member mode). */
    declare readonly detectorId: pulumi.Output<string> | undefined;
    /** GuardDuty features switched on for this detector (and, in admin mode, for the organization). */
    declare readonly enabledFeatures: string[];
    /** Standards this account subscribes itself (standalone); in an organization the policy carries them. */
    declare readonly standardsArns: string[];
    declare readonly graphArn: pulumi.Output<string> | undefined;
    /** The finding aggregator's ARN (its id), in homeRegion of the admin or standalone account. */
    declare readonly findingAggregatorId: pulumi.Output<string> | undefined;
    /** This account's own enablement (detector, graph, hub): management delegations wait for these. */
    declare readonly enablement: pulumi.Resource[];
    /** Management mode: the admin designations the admin's organization configurations wait for. */
    declare readonly delegations: pulumi.Resource[];
    declare readonly summary: pulumi.Output<DetectionSummary>;

    constructor(name: string, args: DetectionBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before super: invalid arguments must fail without registering a half-built component.
        validateDetectionArgs(name, args);
        super("guardpost:detection:DetectionBaseline", name, {}, opts);
        const child = { parent: this };
        const region = args.region;
        const tags = args.tags;
        const mode = args.mode;
        const services = args.services;
        const enablement: pulumi.Resource[] = [];
        const delegations: pulumi.Resource[] = [];
        const ownsLists = mode === "admin" || mode === "standalone";
        const adopt = (plan: { mode: string }, id: string | undefined) => importId(plan.mode as "manage" | "adopt" | "skip", id);

        // GuardDuty. Members get theirs from the admin's auto-enable; everyone else declares (or adopts) one.
        let detector: aws.guardduty.Detector | undefined;
        let enabledFeatures: string[] = [];
        const frequency = args.findingPublishingFrequency ?? "FIFTEEN_MINUTES";
        if (mode !== "member" && services.guardDuty.mode !== "skip") {
            detector = new aws.guardduty.Detector(`${name}-detector`, { region, enable: true, findingPublishingFrequency: frequency, tags }, {
                parent: this, import: adopt(services.guardDuty, services.guardDuty.detectorIds[region]),
            });
            if (mode === "management") {
                // As a member, the management account's plans are set by the admin (MemberDetectorFeature).
            } else {
                enabledFeatures = this.declareFeatures(name, region, detector, args.protections);
                enablement.push(detector);
            }
        }

        let graph: aws.detective.Graph | undefined;
        if (args.detective && ownsLists && services.detective.mode !== "skip") {
            graph = new aws.detective.Graph(`${name}-graph`, { region, tags }, {
                parent: this, dependsOn: detector ? [detector] : [], import: adopt(services.detective, services.detective.graphArns[region]),
            });
            enablement.push(graph);
        }

        // Security Hub. Standalone accounts subscribe their standards; in an organization the admin's
        // central configuration policy carries them to every account, and members declare no hub at all.
        let hub: aws.securityhub.Account | undefined;
        let standardsArns: string[] = [];
        let aggregator: aws.securityhub.FindingAggregator | undefined;
        if (args.securityHub.enabled && mode !== "member" && services.securityHub.mode !== "skip") {
            hub = new aws.securityhub.Account(`${name}-hub`, {
                region,
                // Defaults would add standards behind our back; they are chosen explicitly.
                enableDefaultStandards: false,
                autoEnableControls: true,
            }, { parent: this, import: adopt(services.securityHub, args.accountId) });
            enablement.push(hub);
            if (mode === "standalone") {
                standardsArns = resolveStandards(args.securityHub.standards, args.region).map(({ shortName, arn }) => {
                    new aws.securityhub.StandardsSubscription(`${name}-standard-${slug(shortName)}`, { region, standardsArn: arn }, { parent: this, dependsOn: [hub!] });
                    return arn;
                });
            }
            if (ownsLists && args.region === args.homeRegion) {
                aggregator = new aws.securityhub.FindingAggregator(`${name}-finding-aggregator`, { region, ...aggregatorLinking(args.homeRegion, args.linkedRegions ?? []) }, { parent: this, dependsOn: [hub] });
            }
        }

        if (mode === "management") {
            const adminAccountId = args.adminAccountId!;
            const wait = (own: pulumi.Resource[]) => ({ parent: this, dependsOn: combine(own, args.delegationDependsOn) });
            delegations.push(new aws.guardduty.OrganizationAdminAccount(`${name}-guardduty-admin`, { region, adminAccountId }, wait(detector ? [detector] : [])));
            if (args.detective) {
                delegations.push(new aws.detective.OrganizationAdminAccount(`${name}-detective-admin`, { region, accountId: adminAccountId }, wait([])));
            }
            if (args.securityHub.enabled) {
                // AWS never enables Security Hub in the management account, and the admin can add it as a
                // member only once it is on: the hub above comes first.
                // Kept on delete: under central configuration the Security Hub API cannot remove the delegated
                // administrator (only AWS Organizations can, which also ends central configuration and deletes its
                // policies: https://docs.aws.amazon.com/securityhub/latest/userguide/remove-admin-overview.html), so a
                // delete here would fail the destroy. README "Organizations as they really are" says how to remove it.
                delegations.push(new aws.securityhub.OrganizationAdminAccount(`${name}-securityhub-admin`, { region, adminAccountId },
                    { ...wait(hub ? [hub] : []), retainOnDelete: true }));
            }
        }

        if (mode === "admin") {
            const after = (own: pulumi.Resource[]) => ({ parent: this, dependsOn: combine(own, args.organizationDependsOn) });
            declareOrganization(this, name, args, { detector, graph, hub, aggregator }, after);
        }

        if (ownsLists && detector) {
            this.declareThreatLists(name, args, detector);
        }

        // Findings export: the admin's carries every member's findings, so members and the management
        // account export nothing themselves.
        const exports = ownsLists && detector !== undefined && args.findingsExport !== undefined;
        if (exports) {
            new aws.guardduty.PublishingDestination(`${name}-findings-export`, {
                region,
                detectorId: detector!.id,
                destinationArn: args.findingsExport!.bucketArn,
                kmsKeyArn: args.findingsExport!.kmsKeyArn,
                destinationType: "S3",
            }, { parent: this, dependsOn: combine([detector!], args.findingsExport!.dependsOn) });
        }

        if (args.protections.malwareProtectionS3) {
            for (const bucket of args.malwareProtectionS3Buckets ?? []) {
                const id = `${name}-malware-s3-${slug(bucket)}`;
                const role = new aws.iam.Role(`${id}-role`, {
                    path: GUARDPOST_ROLE_PATH,
                    permissionsBoundary: guardpostBoundaryArn(partitionOf(region), args.accountId),
                    assumeRolePolicy: JSON.stringify(malwareProtectionTrustPolicy(args.accountId)),
                    description: `GuardDuty Malware Protection for S3: scans and tags s3://${bucket}`,
                    tags,
                }, child);
                const policy = new aws.iam.RolePolicy(`${id}-policy`, {
                    role: role.name,
                    policy: JSON.stringify(malwareProtectionRolePolicy({ partition: partitionOf(region), region, accountId: args.accountId, bucket })),
                }, child);
                new aws.guardduty.MalwareProtectionPlan(id, {
                    region,
                    role: role.arn,
                    protectedResource: { s3Bucket: { bucketName: bucket } },
                    actions: [{ taggings: [{ status: "ENABLED" }] }],
                    tags,
                }, { parent: this, dependsOn: [policy] });
            }
        }

        if (args.awsConfig.enabled && services.config.mode !== "skip") {
            declareConfig(this, name, args);
        }
        if (args.awsConfig.enabled && args.configAggregator) {
            declareAggregator(this, name, args);
        }
        if (args.awsConfig.enabled && args.configAggregatorAuthorization) {
            new aws.cfg.AggregateAuthorization(`${name}-config-aggregate-authorization`, {
                region,
                accountId: args.configAggregatorAuthorization.accountId,
                authorizedAwsRegion: args.configAggregatorAuthorization.region,
                tags,
            }, child);
        }

        this.mode = mode;
        this.detectorId = detector?.id;
        this.enabledFeatures = enabledFeatures;
        this.standardsArns = standardsArns;
        this.graphArn = graph?.graphArn;
        this.findingAggregatorId = aggregator?.id;
        this.enablement = enablement;
        this.delegations = delegations;
        const lists = ownsLists && detector;
        const serviceModes = {
            guardDuty: mode === "member" ? "via-admin" : services.guardDuty.mode,
            securityHub: !args.securityHub.enabled ? "off" : mode === "member" ? "via-admin" : services.securityHub.mode,
            config: !args.awsConfig.enabled ? "off" : services.config.mode,
            detective: !args.detective ? "off" : ownsLists ? services.detective.mode : "via-admin",
        };
        this.summary = pulumi.all([detector?.id, graph?.graphArn]).apply(([detectorId, graphArn]) => ({
            mode,
            ...(detectorId ? { detectorId } : {}),
            services: serviceModes,
            enabledFeatures,
            ...(mode === "management" ? { delegatedAdmin: args.adminAccountId } : {}),
            organizationAutoEnable: mode === "admin",
            trustedIpLists: lists ? (args.trustedIpLists ?? []).length : 0,
            threatIntelSets: lists ? (args.threatIntelSets ?? []).length : 0,
            ...(graphArn ? { detectiveGraphArn: graphArn } : {}),
            securityHubStandards: standardsArns,
            findingAggregator: aggregator !== undefined,
            ...(args.awsConfig.enabled && services.config.mode !== "skip" ? { configRecordsGlobalTypes: args.awsConfig.includeGlobalResourceTypes } : {}),
            findingsExport: exports,
        }));
        this.registerOutputs({ summary: this.summary });
    }

    private declareFeatures(name: string, region: string, detector: aws.guardduty.Detector, protections: ProtectionSwitches): string[] {
        // Each feature is an UpdateDetector read-modify-write on the same detector: create them one after
        // another so no two overlap.
        let previous: pulumi.Resource = detector;
        for (const feature of planFeatures(protections)) {
            previous = new aws.guardduty.DetectorFeature(`${name}-feature-${slug(feature.name)}`, {
                region,
                detectorId: detector.id,
                name: feature.name,
                status: feature.enabled ? "ENABLED" : "DISABLED",
                additionalConfigurations: feature.additional.length === 0 ? undefined
                    : feature.additional.map(a => ({ name: a.name, status: a.enabled ? "ENABLED" : "DISABLED" })),
            }, { parent: this, dependsOn: [previous] });
        }
        return enabledFeatureNames(protections);
    }

    private declareThreatLists(name: string, args: DetectionBaselineArgs, detector: aws.guardduty.Detector): void {
        const region = args.region;
        const trusted = args.trustedIpLists ?? [];
        const intel = args.threatIntelSets ?? [];
        const uploads = [...trusted, ...intel].some(l => l.file !== undefined);
        const bucket = uploads ? new SecureBucket(`${name}-threat-lists`, { region, tags: args.tags }, { parent: this }) : undefined;
        const baseDir = args.baseDir ?? process.cwd();

        const locate = (kind: "trusted-ip-lists" | "threat-intel-sets", list: ThreatList): { location: pulumi.Input<string>; after: pulumi.Resource[] } => {
            if (list.s3Url !== undefined) return { location: list.s3Url, after: [] };
            const file = path.resolve(baseDir, list.file!);
            const key = threatListKey(kind, list, fs.readFileSync(file));
            // GuardDuty reads the object at activation, so it must be uploaded (and the policy set) first.
            const object = new aws.s3.BucketObjectv2(`${name}-${kind}-${slug(list.name)}`, {
                region,
                bucket: bucket!.name,
                key,
                source: new pulumi.asset.FileAsset(file),
                contentType: "text/plain",
                tags: args.tags,
            }, { parent: this, dependsOn: [bucket!.policy] });
            return { location: bucket!.name.apply(b => threatListLocation(b, key, region)), after: [object] };
        };

        for (const list of trusted) {
            const { location, after } = locate("trusted-ip-lists", list);
            new aws.guardduty.IPSet(`${name}-ipset-${slug(list.name)}`, {
                region,
                detectorId: detector.id, name: list.name, format: list.format, location, activate: true, tags: args.tags,
            }, { parent: this, dependsOn: after });
        }
        for (const list of intel) {
            const { location, after } = locate("threat-intel-sets", list);
            new aws.guardduty.ThreatIntelSet(`${name}-threatintel-${slug(list.name)}`, {
                region,
                detectorId: detector.id, name: list.name, format: list.format, location, activate: true, tags: args.tags,
            }, { parent: this, dependsOn: after });
        }
    }
}
