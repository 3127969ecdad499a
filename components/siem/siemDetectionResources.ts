import { GUARDPOST_ROLE_PATH, guardpostBoundaryArn } from "../../model/iamPath";
import { partitionOf } from "../../model/partition";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlertingMonitor } from "./dynamic/alertingMonitor";
import type { ConnectionArgs } from "./dynamic/args";
import { IndexBootstrap } from "./dynamic/indexBootstrap";
import { NotificationChannel } from "./dynamic/notificationChannel";
import { SecurityAnalyticsDetector } from "./dynamic/securityAnalyticsDetector";
import { ALERT_CHANNEL_ID, anomalyMonitor, securityAnalyticsDetectors, snsPublishPolicy, snsPublishTrust, vpcRejectBurstMonitor } from "./siemDetections";
import { securityAnalyticsNotification } from "./siemNotifications";

/**
 * SiemDomain's detections: the SNS channel to the detections topic (with the role that lets the domain publish),
 * the Security Analytics detectors (CloudTrail, DNS) and the Alerting monitors (VPC reject bursts, anomaly
 * grades). Each log type's current index is created first, since Security Analytics maps the fields of
 * existing indices; everything waits for the domain policy like the other OpenSearch objects.
 */
export function detectionResources(name: string, p: {
    conn: ConnectionArgs; parent: pulumi.Resource; account: string; region: string;
    /** Where every detection is published: AlertFanout's SIEM detections topic (e-mail and Telegram), or the alert topic. */
    topicArn: pulumi.Input<string>;
    /** `https://…/_dashboards`, written into every message so the reader can open it. */
    dashboardsUrl: pulumi.Output<string>;
    period: "month" | "day"; anomalyDetectorId: pulumi.Output<string>; after: pulumi.Resource[];
    /** Index bootstraps the domain already declares, by log type: reused, never declared twice (one URN each). */
    bootstraps: Record<string, pulumi.Resource>;
}): void {
    const parent = { parent: p.parent };
    const role = new aws.iam.Role(`${name}-notifications`, {
        path: GUARDPOST_ROLE_PATH,
        permissionsBoundary: guardpostBoundaryArn(partitionOf(p.region), p.account),
        description: "guardpost SIEM: the domain publishes findings and alerts to the SIEM detections topic",
        assumeRolePolicy: JSON.stringify(snsPublishTrust(p.account)),
    }, parent);
    const policy = new aws.iam.RolePolicy(`${name}-notifications`, {
        role: role.id,
        policy: pulumi.output(p.topicArn).apply(topicArn => JSON.stringify(snsPublishPolicy({ topicArn, region: p.region }))),
    }, parent);
    const channel = new NotificationChannel(`${name}-alert-channel`, {
        ...p.conn, channelId: ALERT_CHANNEL_ID, name: "guardpost SIEM detections", topicArn: p.topicArn, publishRoleArn: role.arn,
        description: "Security Analytics findings and Alerting monitors → the security account's SIEM detections topic (e-mail and Telegram)",
    }, { ...parent, dependsOn: [...p.after, policy] });

    for (const spec of securityAnalyticsDetectors()) {
        const index = p.bootstraps[spec.resource] ?? new IndexBootstrap(`${name}-bootstrap-${spec.resource}`, { ...p.conn, indexPrefix: spec.resource, indexPeriod: p.period },
            { ...parent, dependsOn: p.after });
        new SecurityAnalyticsDetector(`${name}-sa-${spec.resource}`, {
            ...p.conn, name: spec.name, detectorType: spec.detectorType, indexPattern: spec.indexPattern, ruleTitles: spec.ruleTitles,
            aliasMappings: spec.aliasMappings, channelId: channel.channelId, notification: p.dashboardsUrl.apply(url => securityAnalyticsNotification(url)),
        }, { ...parent, dependsOn: [index] });
    }
    const flows = new IndexBootstrap(`${name}-bootstrap-vpcflow`, { ...p.conn, indexPrefix: "vpcflow", indexPeriod: p.period }, { ...parent, dependsOn: p.after });
    new AlertingMonitor(`${name}-monitor-vpc-rejects`, { ...p.conn, monitor: p.dashboardsUrl.apply(url => vpcRejectBurstMonitor(ALERT_CHANNEL_ID, 100, 10, url)) }, { ...parent, dependsOn: [channel, flows] });
    new AlertingMonitor(`${name}-monitor-anomaly`, {
        ...p.conn, monitor: pulumi.all([p.anomalyDetectorId, p.dashboardsUrl]).apply(([id, url]) => anomalyMonitor(id, ALERT_CHANNEL_ID, url)),
    }, { ...parent, dependsOn: [channel] });
}
