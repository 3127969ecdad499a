/**
 * AWS Config for one account × region, the way Security Hub's Config.1 checks it: the service-linked role,
 * all supported types, IAM global types in one region, delivery to the central archive with KMS
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/config-controls.html#config-1). Called by
 * DetectionBaseline; every resource is the baseline's child.
 */
import { GUARDPOST_ROLE_PATH, guardpostBoundaryArn } from "../../model/iamPath";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { importId } from "../../model/services";
import { partitionOf } from "../../model/partition";
import type { DetectionBaselineArgs, LaterResources } from "./detectionArgs";
import { aggregatorManagedPolicyArn, aggregatorTrustPolicy } from "./archivePolicies";

function withLater(own: pulumi.Resource[], later?: LaterResources): pulumi.Input<pulumi.Resource[]> {
    if (!later) return own;
    return Promise.resolve(later).then(extra => [...own, ...extra]);
}

export interface DeclaredConfig {
    recorder: aws.cfg.Recorder;
    channel: aws.cfg.DeliveryChannel;
}

/** Recorder, delivery channel and recorder status; `adopt` imports the existing ones by name. */
export function declareConfig(parent: pulumi.Resource, name: string, args: DetectionBaselineArgs): DeclaredConfig {
    const region = args.region;
    const plan = args.services.config;
    const delivery = args.configDelivery!;
    const recorder = new aws.cfg.Recorder(`${name}-config-recorder`, {
        region,
        name: plan.recorderName,
        roleArn: delivery.roleArn,
        recordingGroup: { allSupported: true, includeGlobalResourceTypes: args.awsConfig.includeGlobalResourceTypes },
    }, { parent, import: importId(plan.mode, plan.recorderName), dependsOn: withLater([], delivery.dependsOn) });
    const channel = new aws.cfg.DeliveryChannel(`${name}-config-channel`, {
        region,
        name: plan.deliveryChannelName,
        s3BucketName: delivery.bucketName,
        s3KmsKeyArn: delivery.kmsKeyArn,
        snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
    }, { parent, import: importId(plan.mode, plan.deliveryChannelName), dependsOn: withLater([recorder], delivery.dependsOn) });
    new aws.cfg.RecorderStatus(`${name}-config-status`, {
        region,
        name: recorder.name,
        isEnabled: true,
    }, { parent, import: importId(plan.mode, plan.recorderName), dependsOn: [channel] });
    return { recorder, channel };
}

/**
 * The security account's aggregator, in the home region: over the whole organization (Config's delegated
 * administrator, with a role holding AWSConfigRoleForOrganizations) or over the listed accounts, every
 * region (https://docs.aws.amazon.com/config/latest/developerguide/set-up-aggregator-cli.html).
 */
export function declareAggregator(parent: pulumi.Resource, name: string, args: DetectionBaselineArgs): aws.cfg.ConfigurationAggregator {
    const spec = args.configAggregator!;
    const region = args.region;
    if (spec.scope === "accounts") {
        return new aws.cfg.ConfigurationAggregator(`${name}-config-aggregator`, {
            region,
            name: "guardpost",
            accountAggregationSource: { accountIds: spec.accountIds, allRegions: true },
            tags: args.tags,
        }, { parent });
    }
    const role = new aws.iam.Role(`${name}-config-aggregator-role`, {
        path: GUARDPOST_ROLE_PATH,
        permissionsBoundary: guardpostBoundaryArn(partitionOf(region), args.accountId),
        assumeRolePolicy: JSON.stringify(aggregatorTrustPolicy(args.accountId)),
        description: "AWS Config organization aggregator for guardpost",
        tags: args.tags,
    }, { parent });
    const managed = new aws.iam.RolePolicyAttachment(`${name}-config-aggregator-managed`, {
        role: role.name,
        policyArn: aggregatorManagedPolicyArn(partitionOf(region)),
    }, { parent });
    return new aws.cfg.ConfigurationAggregator(`${name}-config-aggregator`, {
        region,
        name: "guardpost",
        organizationAggregationSource: { allRegions: true, roleArn: role.arn },
        tags: args.tags,
    }, { parent, dependsOn: withLater([managed], spec.dependsOn) });
}
