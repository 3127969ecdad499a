import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEAD_LETTER_PREFIX } from "../../functions/cloudtrail-shipper/cloudtrailShipper";
import { RELAY_DEAD_LETTER_PREFIX } from "../../functions/log-relay/logRelay";
import { anyInFiveMinutes } from "../shared/alarms";

/**
 * Every object written to the dead-letter bucket is a parked failure — shipper and relay dead letters,
 * Firehose's failed documents and failed transformations — so S3 request metrics on the whole bucket count them,
 * and any PUT raises the alarm.
 */
export function parkedObjectsAlarm(name: string, region: string, bucketName: pulumi.Output<string>, stage: string, alarmTopicArn: pulumi.Input<string> | undefined,
    tags: Record<string, string>, parent: pulumi.Resource): aws.cloudwatch.MetricAlarm {
    const metric = new aws.s3.BucketMetric(`${name}-parked`, { region, bucket: bucketName, name: PARKED_METRIC_ID }, { parent });
    return anyInFiveMinutes(`${name}-parked`, {
        region,
        description: `guardpost ${stage}: log records could not be indexed and were parked in the dead-letter bucket (under ${DEAD_LETTER_PREFIX}/, ${RELAY_DEAD_LETTER_PREFIX}/ and firehose/<kind>/)`,
        namespace: "AWS/S3",
        metricName: "PutRequests",
        dimensions: { BucketName: bucketName, FilterId: metric.name },
        statistic: "Sum",
        actions: alarmTopicArn ? [alarmTopicArn] : [],
        tags,
    }, { parent });
}

/** S3 request-metrics filter id of the dead-letter bucket (the `FilterId` dimension). */
export const PARKED_METRIC_ID = "parked-records";
