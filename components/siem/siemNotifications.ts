/**
 * What a SIEM detection says, as the mustache subject and message templates of the detectors' and monitors'
 * actions. The Notifications plugin's SNS channel publishes the rendered subject as the SNS `Subject` and the
 * rendered message as the SNS `Message`, nothing else — no message attributes
 * (opensearch-project/notifications, core/…/client/DestinationSnsClient.kt `sendMessage`: `withMessage(textDescription)`,
 * `withSubject(title)`; Alerting passes the compiled subject as the title and the compiled message as the text,
 * alerting/…/util/destinationmigration/NotificationApiUtils.kt). E-mail subscribers read exactly this, and the
 * telegram-alert function renders it (functions/telegram-alert/siemMessage.ts reads the `Severity:`, `Rule:` and
 * `Dashboards:` lines written here).
 *
 * Subjects stay ASCII, on one line and well under 100 characters: SNS refuses a `Publish` whose subject has
 * line breaks or control characters or is 100 characters or longer ("Subjects must be UTF-8 text with no line
 * breaks or control characters, and less than 100 characters long",
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sns/aws.sdk.kotlin.services.sns.model/-publish-request/subject.html),
 * and a refused publish is a lost alert. So subjects carry only names guardpost chooses (detector names are
 * 5–50 characters), never a list that grows with the findings.
 */

export interface NotificationTemplates { subject: string; message: string }

export const SUBJECT_PREFIX = "guardpost SIEM: ";
/** SNS's subject limit (exclusive). */
export const SNS_SUBJECT_LIMIT = 100;

function dashboards(url: string | undefined): string[] {
    return url ? [`Dashboards: ${url}`] : [];
}

/**
 * A Security Analytics finding. Security Analytics runs a detector as a document-level monitor named after the
 * detector and rewrites `{{ctx.detector…}}` to `{{ctx.monitor…}}` (security-analytics, model/DetectorTrigger.java
 * `getActions`); each alert of that monitor is one finding with its matched rules as `associated_queries`
 * (`name` = the rule title, `tags` = [level, category, …]: TransportIndexDetectorAction.java
 * `createDocLevelMonitorRequest`) and the matched document as `sample_documents`
 * (https://docs.opensearch.org/latest/observing-your-data/alerting/triggers/ "Other variables"). The action runs
 * once per alert — the document-level default (common-utils ActionExecutionPolicy
 * `getDefaultConfigurationForDocumentLevelMonitor`: per alert, NEW and DEDUPED; a finding is always NEW) — so
 * one finding is one message; past 50 alerts in one run Alerting sends one message for all of them
 * (AlertingSettings `plugins.alerting.max_actionable_alert_count`, `defaultToPerExecutionAction`).
 */
export function securityAnalyticsNotification(dashboardsUrl?: string): NotificationTemplates {
    return {
        subject: `${SUBJECT_PREFIX}{{ctx.detector.name}}`,
        message: [
            "Security Analytics detector \"{{ctx.detector.name}}\" matched a rule.",
            "{{#ctx.alerts}}{{#associated_queries}}Rule: {{name}} (level {{tags.0}})\n{{/associated_queries}}" +
                "{{#sample_documents}}Document: {{_index}} {{_id}}\n{{/sample_documents}}{{/ctx.alerts}}" +
                "Severity: {{ctx.trigger.severity}}",
            "Open Dashboards → Security Analytics → Findings for the matched fields.",
            ...dashboards(dashboardsUrl),
        ].join("\n"),
    };
}

/**
 * A bucket-level monitor's alert: one per bucket (here a source address, `bucket_keys`), sent only when it is
 * NEW. Bucket-level actions default to per alert for NEW *and* DEDUPED alerts (common-utils
 * ActionExecutionPolicy `getDefaultConfigurationForBucketLevelMonitor`), and a DEDUPED alert is the same bucket
 * still over the threshold in a later run ("OpenSearch keeps the existing alert": triggers page above) — with a
 * 10-minute window read every 5 minutes that would be a second message for one burst.
 */
export function bucketAlertNotification(p: { explanation: string; dashboardsUrl?: string; keyLabel: string }): NotificationTemplates & { executionPolicy: object } {
    return {
        subject: `${SUBJECT_PREFIX}{{ctx.monitor.name}}`,
        message: [
            "Alerting monitor \"{{ctx.monitor.name}}\": {{ctx.trigger.name}}.",
            `{{#ctx.newAlerts}}${p.keyLabel}: {{bucket_keys}}\n{{/ctx.newAlerts}}Severity: {{ctx.trigger.severity}}`,
            p.explanation,
            ...dashboards(p.dashboardsUrl),
        ].join("\n"),
        executionPolicy: { action_execution_scope: { per_alert: { actionable_alerts: ["NEW"] } } },
    };
}

/**
 * A query-level monitor's alert. Its action runs on every execution whose trigger is true
 * (https://docs.opensearch.org/latest/observing-your-data/alerting/actions/: "if a monitor checks a trigger
 * condition every minute, you could receive one notification per minute"), so a lookback longer than the
 * schedule sees one result twice; throttling by the active alert's last notification (longer than the
 * schedule, shorter than the lookback) keeps it to one message per result.
 */
export function queryAlertNotification(p: { explanation: string; details: string; dashboardsUrl?: string; throttleMinutes: number }): NotificationTemplates & { throttle: object } {
    return {
        subject: `${SUBJECT_PREFIX}{{ctx.monitor.name}}`,
        message: [
            "Alerting monitor \"{{ctx.monitor.name}}\": {{ctx.trigger.name}}.",
            `${p.details}Severity: {{ctx.trigger.severity}}`,
            p.explanation,
            ...dashboards(p.dashboardsUrl),
        ].join("\n"),
        throttle: { value: p.throttleMinutes, unit: "MINUTES" },
    };
}
