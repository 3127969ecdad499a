import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDPOST_ROLE_PATH } from "../../model/iamPath";
import {
    configManagedPolicyArn, configBucketStatements, configRoleDeliveryStatements, configTrustPolicy, policyDocument,
} from "./detectionPolicies";
import {
    DetectionMode, enabledFeatureNames, planFeatures, ProtectionSwitches, slug, ThreatList, threatListKey,
    threatListLocation, validateDetectionArgs,
} from "./detectionPlan";
import { SecureBucket } from "../shared/secureBucket";
import { partitionOf, resolveStandards } from "./securityHubStandards";

import type { DetectionBaselineArgs, LaterResources } from "./detectionArgs";

export type { ThreatList, ProtectionSwitches, DetectionMode } from "./detectionPlan";
export type { DetectionBaselineArgs, LaterResources } from "./detectionArgs";

/** What a baseline turned on, for the stack outputs. */
export interface DetectionSummary {
    mode: DetectionMode;
    detectorId?: string;
    enabledFeatures: string[];
    /** Management mode: the account administration is delegated to. */
    delegatedAdmin?: string;
    organizationAutoEnable: boolean;
    trustedIpLists: number;
    threatIntelSets: number;
    detectiveGraphArn?: string;
    securityHubStandards: string[];
    findingAggregator: boolean;
    configBucket?: string;
    configRecordsGlobalTypes?: boolean;
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
 * delegation and auto-enable, trusted IP and threat lists, Detective, Security Hub with standards, and an
 * AWS Config recorder delivering to a locked-down bucket.
 */
export class DetectionBaseline extends pulumi.ComponentResource {
    declare readonly mode: DetectionMode;
    /** The detector of this account and region, if this baseline declares one (not in member mode). */
    declare readonly detectorId: pulumi.Output<string> | undefined;
    /** GuardDuty features switched on for this detector (and, in admin mode, for the organization). */
    declare readonly enabledFeatures: string[];
    declare readonly standardsArns: string[];
    declare readonly graphArn: pulumi.Output<string> | undefined;
    declare readonly configBucketName: pulumi.Output<string> | undefined;
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
        const enablement: pulumi.Resource[] = [];
        const delegations: pulumi.Resource[] = [];
        const ownsLists = mode === "admin" || mode === "standalone";

        // GuardDuty.
        let detector: aws.guardduty.Detector | undefined;
        let enabledFeatures: string[] = [];
        const frequency = args.findingPublishingFrequency ?? "FIFTEEN_MINUTES";
        if (mode === "management") {
            // The management account only joins the GuardDuty organization once it has a detector, and
            // AWS does not create one for it. As a member its features come from the admin's organization
            // configuration, and its frequency from the admin's — the same configured value, so no drift.
            detector = new aws.guardduty.Detector(`${name}-detector`, { region, enable: true, findingPublishingFrequency: frequency, tags }, child);
        } else if (mode !== "member") {
            detector = new aws.guardduty.Detector(`${name}-detector`, { region, enable: true, findingPublishingFrequency: frequency, tags }, child);
            enabledFeatures = this.declareFeatures(name, region, detector, args.protections);
            enablement.push(detector);
        }

        let graph: aws.detective.Graph | undefined;
        if (args.detective && ownsLists) {
            graph = new aws.detective.Graph(`${name}-graph`, { region, tags }, { parent: this, dependsOn: detector ? [detector] : [] });
            enablement.push(graph);
        }

        let hub: aws.securityhub.Account | undefined;
        let standardsArns: string[] = [];
        let aggregator: aws.securityhub.FindingAggregator | undefined;
        if (args.securityHub.enabled) {
            hub = new aws.securityhub.Account(`${name}-hub`, {
                region,
                // Standards are subscribed explicitly below; defaults would add CIS 1.2 behind our back.
                enableDefaultStandards: false,
                autoEnableControls: true,
            }, child);
            if (mode !== "member") enablement.push(hub);
            standardsArns = resolveStandards(args.securityHub.standards, args.region).map(({ shortName, arn }) => {
                new aws.securityhub.StandardsSubscription(`${name}-standard-${slug(shortName)}`, { region, standardsArn: arn }, { parent: this, dependsOn: [hub!] });
                return arn;
            });
            if (ownsLists && args.region === args.homeRegion) {
                aggregator = new aws.securityhub.FindingAggregator(`${name}-finding-aggregator`, { region, linkingMode: "ALL_REGIONS" }, { parent: this, dependsOn: [hub] });
            }
        }

        if (mode === "management") {
            const adminAccountId = args.adminAccountId!;
            const wait = (own: pulumi.Resource[]) => ({ parent: this, dependsOn: combine(own, args.delegationDependsOn) });
            delegations.push(new aws.guardduty.OrganizationAdminAccount(`${name}-guardduty-admin`, { region, adminAccountId }, wait([])));
            if (args.detective) {
                delegations.push(new aws.detective.OrganizationAdminAccount(`${name}-detective-admin`, { region, accountId: adminAccountId }, wait([])));
            }
            if (hub) {
                // AWS never enables Security Hub in the management account for it, and the admin can only
                // add it as a member once it is on: enable it here before delegating.
                delegations.push(new aws.securityhub.OrganizationAdminAccount(`${name}-securityhub-admin`, { region, adminAccountId }, wait([hub])));
            }
        }

        if (mode === "admin") {
            this.declareOrganization(name, args, detector!, graph, hub);
        }

        if (ownsLists && detector) {
            this.declareThreatLists(name, args, detector);
        }

        let configBucket: SecureBucket | undefined;
        if (args.awsConfig.enabled) {
            configBucket = this.declareConfig(name, args);
        }

        this.mode = mode;
        this.detectorId = detector?.id;
        this.enabledFeatures = enabledFeatures;
        this.standardsArns = standardsArns;
        this.graphArn = graph?.graphArn;
        this.configBucketName = configBucket?.name;
        this.findingAggregatorId = aggregator?.id;
        this.enablement = enablement;
        this.delegations = delegations;
        const lists = ownsLists && detector;
        this.summary = pulumi.all([detector?.id, graph?.graphArn, configBucket?.name]).apply(([detectorId, graphArn, bucketName]) => ({
            mode,
            ...(detectorId ? { detectorId } : {}),
            enabledFeatures,
            ...(mode === "management" ? { delegatedAdmin: args.adminAccountId } : {}),
            organizationAutoEnable: mode === "admin",
            trustedIpLists: lists ? (args.trustedIpLists ?? []).length : 0,
            threatIntelSets: lists ? (args.threatIntelSets ?? []).length : 0,
            ...(graphArn ? { detectiveGraphArn: graphArn } : {}),
            securityHubStandards: standardsArns,
            findingAggregator: aggregator !== undefined,
            ...(bucketName ? { configBucket: bucketName, configRecordsGlobalTypes: args.awsConfig.includeGlobalResourceTypes } : {}),
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

    private declareOrganization(name: string, args: DetectionBaselineArgs, detector: aws.guardduty.Detector,
        graph: aws.detective.Graph | undefined, hub: aws.securityhub.Account | undefined): void {
        const region = args.region;
        const after = (own: pulumi.Resource[]) => ({ parent: this, dependsOn: combine(own, args.organizationDependsOn) });
        // The organization configuration covers members only; the admin's own features are declared above.
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
            }, { parent: this, dependsOn: [previous] });
        }
        if (graph) {
            new aws.detective.OrganizationConfiguration(`${name}-detective-org`, { region, autoEnable: true, graphArn: graph.graphArn }, after([graph]));
        }
        if (hub) {
            new aws.securityhub.OrganizationConfiguration(`${name}-securityhub-org`, {
                region,
                autoEnable: true,
                // Members get the standards guardpost subscribes for them, not AWS's defaults.
                autoEnableStandards: "NONE",
                organizationConfiguration: { configurationType: "LOCAL" },
            }, after([hub]));
        }
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

    private declareConfig(name: string, args: DetectionBaselineArgs): SecureBucket {
        const region = args.region;
        const accountId = args.accountId;
        const partition = partitionOf(args.region);
        const bucket = new SecureBucket(`${name}-config`, {
            region,
            extraPolicyStatements: arn => configBucketStatements(arn, accountId),
            tags: args.tags,
        }, { parent: this });

        // A role per account × region rather than the AWSServiceRoleForConfig service-linked role: the
        // service-linked role is one per account, may already exist (Control Tower, a console visit) and
        // would make one region's baseline own a resource every region uses.
        const role = new aws.iam.Role(`${name}-config-role`, {
            path: GUARDPOST_ROLE_PATH,
            assumeRolePolicy: JSON.stringify(configTrustPolicy(accountId)),
            description: `AWS Config recorder for guardpost in ${args.region}`,
            tags: args.tags,
        }, { parent: this });
        const managed = new aws.iam.RolePolicyAttachment(`${name}-config-managed`, {
            role: role.name,
            policyArn: configManagedPolicyArn(partition),
        }, { parent: this });
        const delivery = new aws.iam.RolePolicy(`${name}-config-delivery`, {
            role: role.name,
            policy: bucket.arn.apply(arn => JSON.stringify(policyDocument(configRoleDeliveryStatements(arn, accountId)))),
        }, { parent: this });

        const recorder = new aws.cfg.Recorder(`${name}-config-recorder`, {
            region,
            name: "guardpost",
            roleArn: role.arn,
            recordingGroup: { allSupported: true, includeGlobalResourceTypes: args.awsConfig.includeGlobalResourceTypes },
        }, { parent: this, dependsOn: [managed] });
        // Config verifies it can write to the bucket when the channel is created.
        const channel = new aws.cfg.DeliveryChannel(`${name}-config-channel`, {
            region,
            name: "guardpost",
            s3BucketName: bucket.name,
            snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
        }, { parent: this, dependsOn: [recorder, bucket.policy, delivery] });
        new aws.cfg.RecorderStatus(`${name}-config-status`, {
            region,
            name: recorder.name,
            isEnabled: true,
        }, { parent: this, dependsOn: [channel] });
        return bucket;
    }
}
