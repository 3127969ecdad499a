import { randomUUID } from "crypto";
import { securityAnalyticsNotification } from "../../components/siem/siemNotifications";
import { anomalyMonitor, vpcRejectBurstMonitor } from "../../components/siem/siemDetections";
import { renderMustache } from "./mustache";

/**
 * SIEM detections as the telegram-alert function receives them. Built from the documentation, not captured:
 * - the Lambda event is the one SNS hands to a subscribed function — `Records[0]` with `EventSource: "aws:sns"`,
 *   `EventVersion`, `EventSubscriptionArn` and `Sns: {Type: "Notification", MessageId, TopicArn, Subject,
 *   Message, Timestamp, SignatureVersion, Signature, SigningCertUrl, UnsubscribeUrl, MessageAttributes}`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html; field list:
 *   https://docs.aws.amazon.com/powertools/typescript/2.14.0/api/types/_aws-lambda-powertools_parser.types.SnsEvent.html);
 * - `Subject` and `Message` are what OpenSearch's SNS channel publishes: the action's subject and message
 *   templates rendered with mustache over the trigger context, and no message attributes
 *   (opensearch-project/notifications DestinationSnsClient.kt; the context variables:
 *   https://docs.opensearch.org/latest/observing-your-data/alerting/triggers/). Here guardpost's own templates
 *   are rendered over contexts shaped like Alerting's.
 */

export const DASHBOARDS = "https://search-guardpost-siem-abc123.eu-west-1.es.amazonaws.com/_dashboards";
export const SIEM_TOPIC = "arn:aws:sns:eu-west-1:222222222222:guardpost-siem-detections";

export interface Published { subject?: string | null; message: string }

export function snsLambdaEvent(p: Published & { topicArn?: string; messageId?: string; timestamp?: string }): any {
    const topicArn = p.topicArn ?? SIEM_TOPIC;
    const [, , , region] = topicArn.split(":");
    const subscription = `${topicArn}:${randomUUID()}`;
    return {
        Records: [{
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: subscription,
            Sns: {
                Type: "Notification",
                MessageId: p.messageId ?? randomUUID(),
                TopicArn: topicArn,
                Subject: p.subject ?? null,
                Message: p.message,
                Timestamp: p.timestamp ?? new Date().toISOString(),
                SignatureVersion: "1",
                Signature: "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
                SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem`,
                UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscription}`,
                MessageAttributes: {},
            },
        }],
    };
}

function render(t: { subject: string; message: string }, ctx: object): Published {
    const source = (s: string) => s.split("{{ctx.detector").join("{{ctx.monitor");
    return { subject: renderMustache(source(t.subject), { ctx }), message: renderMustache(source(t.message), { ctx }) };
}

/** A Security Analytics finding of one document: a root console login matched by "AWS Root Credentials". */
export function rootLoginFinding(dashboardsUrl: string | undefined = DASHBOARDS): Published {
    return render(securityAnalyticsNotification(dashboardsUrl), {
        monitor: { name: "guardpost cloudtrail" }, trigger: { name: "every finding", severity: "1" },
        alerts: [{ associated_queries: [{ id: "8ad1600d-e9dc-4251-b0ee-a65268f29add", name: "AWS Root Credentials", tags: ["medium", "cloudtrail"] }],
            sample_documents: [{ _index: "cloudtrail-2025-06", _id: "3c5a1f1e-0b7d-4d2a-9a57-6f4c1d9b2e11" }] }],
    });
}

/** The VPC reject-burst monitor's NEW alert for one source address. */
export function vpcRejectBurst(source = "203.0.113.66"): Published {
    const action = (vpcRejectBurstMonitor("guardpost-alert-topic", 100, 10, DASHBOARDS) as any).triggers[0].bucket_level_trigger.actions[0];
    return render({ subject: action.subject_template.source, message: action.message_template.source }, {
        monitor: { name: "guardpost vpcflow reject burst" }, trigger: { name: "more than 100 rejects from one source", severity: "2" },
        newAlerts: [{ bucket_keys: source }], dedupedAlerts: [], completedAlerts: [],
    });
}

/** The anomaly monitor's alert for one principal. */
export function principalAnomaly(principal = "arn:aws:iam::222222222222:role/ci-deployer"): Published {
    const action = (anomalyMonitor("det-1", "guardpost-alert-topic", DASHBOARDS) as any).triggers[0].query_level_trigger.actions[0];
    return render({ subject: action.subject_template.source, message: action.message_template.source }, {
        monitor: { name: "guardpost cloudtrail principal anomaly" }, trigger: { name: "unusual activity of a principal", severity: "2" },
        results: [{ hits: { total: { value: 1 }, hits: [{ _source: { anomaly_grade: 0.92, entity: [{ name: "principal", value: principal }] } }] } }],
    });
}
