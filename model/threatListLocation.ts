/**
 * Where GuardDuty may read a trusted IP list or threat intel set. GuardDuty documents path-style and
 * virtual-hosted URLs on the global and the regional (`s3-<region>`) endpoints and the `s3://` URI
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-lists-create-activate.html, "Format of location URL"); the
 * dot-regional endpoint spelling (`s3.<region>.amazonaws.com`, the only one newer regions have:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html#s3-legacy-endpoints) and the
 * China partition's `.com.cn` are the same forms on other hosts.
 */

const BUCKET = "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]";
const S3_HOST = "s3(?:[.-][a-z0-9-]+)?\\.amazonaws\\.com(?:\\.cn)?";

export const THREAT_LIST_URL = new RegExp(
    `^(?:s3://${BUCKET}/\\S+|https?://(?:${S3_HOST}/${BUCKET}/\\S+|${BUCKET}\\.${S3_HOST}/\\S+))$`);

/** True for a location GuardDuty accepts. */
export function isThreatListUrl(url: string): boolean {
    return THREAT_LIST_URL.test(url);
}

/** True when the URL names the global S3 endpoint (s3.amazonaws.com), which only us-east-1 serves directly. */
export function usesGlobalS3Endpoint(url: string): boolean {
    return /^https?:\/\/(?:[^/]+\.)?s3\.amazonaws\.com\//.test(url);
}
