import * as zlib from "zlib";
import type { CwlPayload } from "../shared/cwlogs";

/**
 * CloudTrail events too large for CloudWatch Logs still reach the SIEM. "CloudTrail does not send events over
 * 256 KB to CloudWatch Logs or EventBridge" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html,
 * "Event size"), but every event is in the trail's S3 log files. The trail bucket notifies the shipper of each
 * new log file (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html);
 * the shipper reads it and indexes only the events CloudWatch Logs cannot have carried. The threshold sits a
 * little below 256 KB because CloudTrail's own serialization may differ from JSON.stringify by a few bytes;
 * an event near the line may arrive both ways, which is harmless (`_id` = eventID overwrites).
 */
export const LARGE_EVENT_BYTES = 240 * 1024;

export interface TrailObject {
    bucket: string;
    key: string;
}

/** An S3 event notification (`Records[].s3`), as S3 sends it to Lambda. */
export function isS3Notification(event: any): boolean {
    return Array.isArray(event?.Records) && event.Records.length > 0 && event.Records.every((r: any) => r?.eventSource === "aws:s3" && r?.s3?.object?.key);
}

/**
 * The CloudTrail log files named by a notification. Keys arrive URL-encoded with '+' for spaces; digest files
 * (`CloudTrail-Digest/`) and Insights files hold no management or data events and are skipped.
 */
export function trailObjects(event: any): TrailObject[] {
    return (event.Records as any[])
        .map((r) => ({ bucket: String(r.s3.bucket.name), key: decodeURIComponent(String(r.s3.object.key).replace(/\+/g, " ")) }))
        .filter((o) => /\/CloudTrail\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/[^/]+\.json\.gz$/.test(o.key));
}

/**
 * The large events of one log file (`{"Records": [...]}`, gzip), as the CloudWatch Logs payload the shipper
 * already handles: one log event per CloudTrail event, id = eventID, so both paths index to the same `_id`.
 */
export function largeEventPayload(object: TrailObject, gzipped: Buffer, thresholdBytes = LARGE_EVENT_BYTES): { payload: CwlPayload; total: number } {
    const body = JSON.parse(zlib.gunzipSync(gzipped).toString("utf8"));
    const records: any[] = Array.isArray(body?.Records) ? body.Records : [];
    const logEvents = [];
    for (const record of records) {
        const message = JSON.stringify(record);
        if (Buffer.byteLength(message, "utf8") < thresholdBytes) continue;
        const when = Date.parse(record?.eventTime);
        logEvents.push({ id: String(record?.eventID ?? ""), timestamp: Number.isFinite(when) ? when : Date.now(), message });
    }
    const owner = /AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\//.exec(object.key)?.[1] ?? "";
    return {
        total: records.length,
        payload: { messageType: "DATA_MESSAGE", owner, logGroup: `s3://${object.bucket}`, logStream: object.key, subscriptionFilters: ["guardpost-large-events"], logEvents },
    };
}

/** The payload as Lambda's CloudWatch Logs event (`awslogs.data` = base64 of gzip), for the shipper's normal path. */
export function asAwslogsEvent(payload: CwlPayload): { awslogs: { data: string } } {
    return { awslogs: { data: zlib.gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}
