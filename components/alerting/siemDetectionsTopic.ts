import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { queueDepthAlarm, snsDeliveryFailedAlarm } from "../shared/alarms";
import type { GuardedFunction } from "../shared/guardedFunction";
import { emailSlug } from "./alertPolicies";
import { siemDeadLetterQueuePolicy, siemRedrivePolicy, siemTopicPolicy } from "./siemTopicPolicies";

export interface SiemDetectionsTopicArgs {
    region: string;
    stage: string;
    /** The fanout's CMK: the topic and the dead-letter queue are encrypted with it. */
    keyArn: pulumi.Input<string>;
    /** Subscribed by e-mail, like the alert topic (each confirms this subscription once). */
    emails: string[];
    /** The fanout's Telegram function; absent without Telegram. */
    telegram?: GuardedFunction;
    /** Where delivery-failure alarms go: the alert topic and the second channel. */
    alarmActions: pulumi.Input<string>[];
}

/**
 * The SIEM detections topic: what the OpenSearch notification channel publishes to, and from there to the alert
 * e-mail addresses and the Telegram function — a topic of its own rather than the alert topic, because the SNS
 * messages OpenSearch publishes carry only a subject and free text, no message attributes
 * (opensearch-project/notifications DestinationSnsClient.kt), and SNS filter policies match message attributes
 * or a JSON body (https://docs.aws.amazon.com/sns/latest/dg/message-filtering.html): on the alert topic the
 * function could not tell a SIEM detection from a CloudWatch alarm or a GuardDuty e-mail reliably. Here it
 * receives everything published, and only the SIEM publishes.
 *
 * SNS invokes the function asynchronously (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html), so its
 * retries and on-failure queue apply as for EventBridge; what SNS cannot hand to Lambda at all (permission,
 * throttling past SNS's retries) lands in the subscription's dead-letter queue, and failed deliveries of any
 * protocol count in the topic's NumberOfNotificationsFailed — both alarm to the alert topic.
 */
export function siemDetectionsTopic(name: string, a: SiemDetectionsTopicArgs, parent: pulumi.Resource): { topicArn: pulumi.Output<string> } {
    const opts = { parent };
    const region = a.region;
    const topic = new aws.sns.Topic(`${name}-siem`, {
        region,
        displayName: `guardpost ${a.stage} SIEM`,
        kmsMasterKeyId: a.keyArn,
    }, opts);
    new aws.sns.TopicPolicy(`${name}-siem-policy`, {
        region,
        arn: topic.arn,
        policy: topic.arn.apply(topicArn => JSON.stringify(siemTopicPolicy({ topicArn }))),
    }, opts);
    for (const email of a.emails) {
        new aws.sns.TopicSubscription(`${name}-siem-email-${emailSlug(email)}`, { region, topic: topic.arn, protocol: "email", endpoint: email }, opts);
    }

    if (a.telegram) {
        const fn = a.telegram.function;
        const dlq = new aws.sqs.Queue(`${name}-siem-dlq`, {
            region,
            kmsMasterKeyId: a.keyArn,
            messageRetentionSeconds: 1209600,
        }, opts);
        const dlqPolicy = new aws.sqs.QueuePolicy(`${name}-siem-dlq-policy`, {
            region,
            queueUrl: dlq.url,
            policy: pulumi.all([dlq.arn, topic.arn]).apply(([queueArn, topicArn]) => JSON.stringify(siemDeadLetterQueuePolicy({ queueArn, topicArn }))),
        }, opts);
        const permission = new aws.lambda.Permission(`${name}-siem-telegram-invoke`, {
            region,
            action: "lambda:InvokeFunction",
            function: fn.name,
            principal: "sns.amazonaws.com",
            sourceArn: topic.arn,
        }, opts);
        new aws.sns.TopicSubscription(`${name}-siem-telegram`, {
            region,
            topic: topic.arn,
            protocol: "lambda",
            endpoint: fn.arn,
            redrivePolicy: dlq.arn.apply(siemRedrivePolicy),
        }, { parent, dependsOn: [permission, dlqPolicy] });
        queueDepthAlarm(`${name}-siem-dlq-alarm`, {
            region,
            description: `guardpost ${a.stage}: SNS could not hand SIEM detections to the Telegram function; they are parked in the SIEM dead-letter queue`,
            queueName: dlq.name,
            actions: a.alarmActions,
        }, opts);
    }

    if (a.emails.length > 0 || a.telegram) {
        // Failed deliveries of every protocol, e-mail and Lambda (https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html).
        snsDeliveryFailedAlarm(`${name}-siem-failed-alarm`, {
            region,
            description: `guardpost ${a.stage}: SNS could not deliver SIEM detections (NumberOfNotificationsFailed); check the subscriptions of ${name}-siem`,
            topicName: topic.name,
            actions: a.alarmActions,
        }, opts);
    }
    return { topicArn: topic.arn };
}
