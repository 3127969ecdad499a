import { bucketAlertNotification, NotificationTemplates, queryAlertNotification } from "./siemNotifications";
import { indexPattern, TIME_FIELD } from "./siemTemplates";

/**
 * Detections as plain data: the Security Analytics detectors (pre-packaged Sigma rules, chosen by title), the
 * Alerting monitors where no rule set exists (VPC flow) or for the anomaly detector's results, and the
 * notification channel they all send to — the security account's SIEM detections topic (AlertFanout), whose
 * subscribers are the alert e-mail addresses and the telegram-alert function, so SIEM detections reach the
 * same people and chat as GuardDuty findings, each once.
 */

export const ALERT_CHANNEL_ID = "guardpost-alert-topic";

/**
 * CloudTrail rules turned on — medium and high severity Sigma rules for tampering with logging and
 * detection, credential misuse and exfiltration. Titles as Security Analytics ships them
 * (opensearch-project/security-analytics, src/main/resources/rules/cloudtrail up to 2.19.3 and 3.2, src/main/config/rules/cloudtrail
 * from 2.19.4 and 3.3, where the plugin moved them). "AWS Root Credentials" fires on
 * any root activity that is not an AWS service event — a root console login among them.
 */
export const CLOUDTRAIL_RULE_TITLES = [
    "AWS Root Credentials",
    "AWS CloudTrail Important Change",
    "AWS Config Disabling Channel/Recorder",
    "AWS GuardDuty Important Change",
    "AWS SecurityHub Findings Evasion",
    "AWS IAM Backdoor Users Keys",
    "AWS User Login Profile Was Modified",
    "AWS Console GetSigninToken Potential Abuse",
    "AWS Suspicious SAML Activity",
    "AWS Identity Center Identity Provider Change",
    "AWS EC2 Disable EBS Encryption",
    "AWS S3 Bucket Versioning Disable",
    "Restore Public AWS RDS Instance",
    "AWS Snapshot Backup Exfiltration",
];

/** DNS rules that match on the queried name, which Route 53 Resolver logs carry (…/rules/dns, in the same place as above). */
export const DNS_RULE_TITLES = [
    "Cobalt Strike DNS Beaconing",
    "Monero Crypto Coin Mining Pool Lookup",
    "DNS Query to External Service Interaction Domains",
    "Suspicious DNS Query with B64 Encoded String",
    "Telegram Bot API Request",
    "Wannacry Killswitch Domain",
];

/**
 * The DNS rules name the query `query`, which the dns log type maps to `dns.question.name`
 * (src/main/resources/OSMapping/dns_logtype.json); Resolver logs call it `query_name`, so the index needs that alias.
 */
export const DNS_ALIAS_MAPPINGS = { "dns.question.name": "query_name" };

export interface DetectorSpec { resource: string; name: string; detectorType: string; indexPattern: string; ruleTitles: string[]; aliasMappings?: Record<string, string> }

export function securityAnalyticsDetectors(): DetectorSpec[] {
    return [
        { resource: "cloudtrail", name: "guardpost cloudtrail", detectorType: "cloudtrail", indexPattern: indexPattern("cloudtrail"), ruleTitles: CLOUDTRAIL_RULE_TITLES },
        { resource: "dns", name: "guardpost dns", detectorType: "dns", indexPattern: indexPattern("dns"), ruleTitles: DNS_RULE_TITLES, aliasMappings: DNS_ALIAS_MAPPINGS },
    ];
}

function action(name: string, channelId: string, t: NotificationTemplates, extra: object = {}): object {
    return {
        name, destination_id: channelId, throttle_enabled: false,
        subject_template: { source: t.subject, lang: "mustache" },
        message_template: { source: t.message, lang: "mustache" },
        ...extra,
    };
}

/**
 * How long after a flow starts its record is reliably in the SIEM: the 1-minute aggregation interval guardpost
 * configures, then "it takes additional time to process and publish the data" — typically about 5 minutes to
 * CloudWatch Logs and 10 to S3 (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html) —
 * then Firehose's buffer. Counting only the last minutes by start time would miss the flows still on their way.
 */
export const VPC_FLOW_SETTLE_MINUTES = 15;

/**
 * A burst of rejected VPC flows: more than `threshold` REJECT records from one source address within `minutes`,
 * counted over the window that ended VPC_FLOW_SETTLE_MINUTES ago (by flow start), so late deliveries are
 * counted; a bucket-level monitor (https://docs.opensearch.org/latest/observing-your-data/alerting/monitors/),
 * since Security Analytics ships no VPC flow rules.
 */
export function vpcRejectBurstMonitor(channelId: string, threshold = 100, minutes = 10, dashboardsUrl?: string, settleMinutes = VPC_FLOW_SETTLE_MINUTES): { name: string; [k: string]: unknown } {
    const note = bucketAlertNotification({
        keyLabel: "Source address", dashboardsUrl,
        explanation: `VPC flow logs: this source address had more than ${threshold} rejected flows in ${minutes} minutes (flows that started ${settleMinutes}–${settleMinutes + minutes} minutes ago, so late deliveries count). Open the "guardpost: VPC flow" dashboard.`,
    });
    return {
        name: "guardpost vpcflow reject burst",
        monitor_type: "bucket_level_monitor",
        schedule: { period: { interval: 5, unit: "MINUTES" } },
        inputs: [{ search: {
            indices: [indexPattern("vpcflow")],
            query: {
                size: 0,
                query: { bool: { filter: [
                    { range: { [TIME_FIELD.vpcflow]: { gte: `{{period_end}}||-${minutes + settleMinutes}m`, lte: settleMinutes > 0 ? `{{period_end}}||-${settleMinutes}m` : "{{period_end}}", format: "epoch_millis" } } },
                    { term: { action: "REJECT" } },
                ] } },
                aggregations: { by_source: { composite: { sources: [{ srcaddr: { terms: { field: "srcaddr" } } }] } } },
            },
        } }],
        triggers: [{ bucket_level_trigger: {
            name: `more than ${threshold} rejects from one source`,
            severity: "2",
            condition: { buckets_path: { _count: "_count" }, parent_bucket_path: "by_source", script: { source: `params._count > ${threshold}`, lang: "painless" } },
            actions: [action("alert topic", channelId, note, { action_execution_policy: note.executionPolicy })],
        } }],
    };
}

/**
 * The anomaly detector's results alert too: a query-level monitor over its result index for grade and
 * confidence above 0.7 in the last 20 minutes — the monitor Dashboards creates for a detector
 * (https://docs.opensearch.org/latest/observing-your-data/ad/index/#step-3-set-up-alerts).
 */
export function anomalyMonitor(detectorId: string, channelId: string, dashboardsUrl?: string): { name: string; [k: string]: unknown } {
    // Every 10 minutes over the last 20 (twice the detector's 10-minute interval, so a result written late is
    // still read: https://docs.opensearch.org/latest/observing-your-data/alerting/per-query-bucket-monitors/):
    // throttled for 15, so the run that sees a result a second time stays silent.
    const note = queryAlertNotification({
        dashboardsUrl, throttleMinutes: 15,
        details: "{{#ctx.results.0.hits.hits}}{{#_source.entity}}Principal: {{value}}\n{{/_source.entity}}{{/ctx.results.0.hits.hits}}",
        explanation: "CloudTrail: a principal (role or user) is far busier than its own history. Open Dashboards → Anomaly detection → guardpost-cloudtrail-callers.",
    });
    return {
        name: "guardpost cloudtrail principal anomaly",
        monitor_type: "query_level_monitor",
        schedule: { period: { interval: 10, unit: "MINUTES" } },
        inputs: [{ search: {
            indices: [".opendistro-anomaly-results*"],
            query: { size: 1, query: { bool: { filter: [
                { term: { detector_id: detectorId } },
                { range: { execution_end_time: { gte: "{{period_end}}||-20m", lte: "{{period_end}}", format: "epoch_millis" } } },
                { range: { anomaly_grade: { gt: 0.7 } } },
                { range: { confidence: { gt: 0.7 } } },
            ] } } },
        } }],
        triggers: [{ query_level_trigger: {
            name: "unusual activity of a principal", severity: "2",
            condition: { script: { source: "ctx.results[0].hits.total.value > 0", lang: "painless" } },
            actions: [action("alert topic", channelId, note, { throttle_enabled: true, throttle: note.throttle })],
        } }],
    };
}

/**
 * The role the domain assumes to publish to the alert topic (the channel's `role_arn`): trusted by the
 * OpenSearch service for this account only. Both service principals the service is known by are trusted,
 * since AWS's page for the SNS channel does not name one (README "Known limits").
 */
export function snsPublishTrust(account: string): object {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: ["es.amazonaws.com", "opensearchservice.amazonaws.com"] },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": account } },
        }],
    };
}

/** Publish to the alert topic, and encrypt for it with its KMS key (only through SNS). */
export function snsPublishPolicy(p: { topicArn: string; region: string }): object {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "PublishFindings", Effect: "Allow", Action: "sns:Publish", Resource: p.topicArn },
            { Sid: "EncryptForTheTopic", Effect: "Allow", Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*",
                Condition: { StringEquals: { "kms:ViaService": `sns.${p.region}.amazonaws.com` } } },
        ],
    };
}
