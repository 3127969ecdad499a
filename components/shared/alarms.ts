import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface QueueDepthAlarmArgs {
    /** Region of the queue (and of the alarm, which must watch it from the same region). */
    region: string;
    /** What a message in this queue means, for whoever the alarm wakes. */
    description: string;
    /** The queue to watch. */
    queueName: pulumi.Input<string>;
    /** Where ALARM and OK notifications go (SNS topic ARNs). */
    actions: pulumi.Input<string>[];
    tags?: Record<string, string>;
}

/**
 * guardpost's one way to notice a parked event: any visible message in a failure or dead-letter queue
 * raises the alarm within five minutes, and an empty queue clears it.
 */
export function queueDepthAlarm(name: string, args: QueueDepthAlarmArgs, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return anyInFiveMinutes(name, { region: args.region, description: args.description, namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: args.queueName }, statistic: "Maximum", actions: args.actions, tags: args.tags }, opts);
}

export interface SnsDeliveryFailedAlarmArgs {
    /** Region of the topic (and of the alarm). */
    region: string;
    /** What failed deliveries of this topic mean, for whoever the alarm wakes. */
    description: string;
    /** The topic to watch. */
    topicName: pulumi.Input<string>;
    /** Where ALARM and OK notifications go (SNS topic ARNs). */
    actions: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Deliveries SNS gave up on, for every protocol (bounced or suppressed e-mail, a failing Lambda), count in
 * NumberOfNotificationsFailed (AWS/SNS, TopicName;
 * https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html): any within five minutes
 * raises the alarm.
 */
export function snsDeliveryFailedAlarm(name: string, args: SnsDeliveryFailedAlarmArgs, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return anyInFiveMinutes(name, { region: args.region, description: args.description, namespace: "AWS/SNS", metricName: "NumberOfNotificationsFailed",
        dimensions: { TopicName: args.topicName }, statistic: "Sum", actions: args.actions }, opts);
}

/**
 * An alarm on any non-zero datapoint within five minutes, cleared (and OK sent to the same actions) when the
 * metric is zero or absent: how guardpost notices anything parked or undelivered.
 */
export function anyInFiveMinutes(name: string, a: {
    region: string; description: string; namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>>;
    statistic: string; actions: pulumi.Input<pulumi.Input<string>[]>; tags?: Record<string, string>;
}, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(name, {
        region: a.region,
        alarmDescription: a.description,
        namespace: a.namespace,
        metricName: a.metricName,
        dimensions: a.dimensions,
        statistic: a.statistic,
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: a.actions,
        okActions: a.actions,
        tags: a.tags,
    }, opts);
}
