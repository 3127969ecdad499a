import { BulkItem, BulkSend, bulkIndex } from "./bulk";
import { scrubSessionTokens, toCloudTrailDoc } from "./cloudtrailDoc";
import { decodeAwslogsData } from "../shared/cwlogs";
import { DeadLetter, DeadLetterSink, s3DeadLetterSink, sha256Hex } from "./deadLetter";
import { GeoLookup, lazyGeoLookupFromEnv } from "../shared/geoip";
import { IndexPeriod, isIndexPeriod, validIndexPrefix } from "./indexName";
import { signingRegion } from "./signingRegion";
import { asAwslogsEvent, isS3Notification, largeEventPayload, trailObjects } from "./largeEvents";
import { errorText, jsonLog, LogFn } from "../shared/logLine";
import { signedBulkSend } from "./signedBulk";
import { BULK_SHIPPING_LIMITS, type BulkShipperRuntime } from "./limits";

/**
 * cloudtrail-shipper: CloudWatch Logs subscription (CloudTrail log group) → enriched documents →
 * OpenSearch `_bulk`. Nothing is lost silently: each event ends up indexed, or in the dead-letter
 * bucket with its error, or the handler throws so Lambda's retries and on-failure destination keep
 * the whole event (redelivery is harmless: `_id` = eventID and dead-letter keys are deterministic).
 *
 * A payload that cannot be decoded at all (bad base64, gzip or JSON) is dead-lettered raw, since no
 * retry can repair it; without a bucket the handler throws instead.
 */

export const SHIPPER_LIMITS = BULK_SHIPPING_LIMITS;
export type ShipperLimits = typeof SHIPPER_LIMITS;
export const SHIPPER_TIMEOUT_SECONDS = 120;
export const DEAD_LETTER_PREFIX = "cloudtrail-shipper";

export interface ShipperDeps extends BulkShipperRuntime {
    indexPrefix: string;
    /** Index per `month` or per `day` of the event time (see indexName.ts). Default `day`. */
    indexPeriod?: IndexPeriod;
    send: BulkSend;
    /** Absent when DEAD_LETTER_BUCKET is not set: anything that would go there makes the handler throw. */
    deadLetter?: DeadLetterSink;
    /** Resolves the GeoIP lookup, opened once per container; undefined = no enrichment. */
    geo?: () => Promise<GeoLookup | undefined>;
    configProblems?: string[];
    /** Reads a trail log file (S3 notifications: events too large for CloudWatch Logs). Absent: such events are refused. */
    readObject?: (bucket: string, key: string) => Promise<Buffer>;
    limits?: Partial<ShipperLimits>;
}

export type ShipperResult =
    | { status: "skipped"; reason: string }
    | { status: "corrupt"; stage: string; deadLettered: number }
    | { status: "shipped"; logGroup: string; events: number; indexed: number; malformed: number; rejected: number; deadLettered: number; requests: number }
    | { status: "trail-objects"; objects: number; events: number; large: number; indexed: number };

interface LambdaContext { getRemainingTimeInMillis?: () => number }

const MAX_DETAIL_LINES = 20;

/** A rejected document for its dead letter: the object its text encodes (the text itself should it not parse). */
function parsedOrText(source: string): unknown {
    try { return JSON.parse(source); } catch { return source; }
}

export function makeCloudTrailShipperHandler(deps: ShipperDeps) {
    const limits: ShipperLimits = { ...SHIPPER_LIMITS, ...deps.limits };
    const log = deps.log ?? jsonLog;
    const now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const problems = deps.configProblems ?? [];

    async function keep(letters: DeadLetter[]): Promise<number> {
        if (letters.length === 0) return 0;
        if (!deps.deadLetter) {
            throw new Error(
                `cloudtrail-shipper: ${letters.length} document(s) cannot be indexed and DEAD_LETTER_BUCKET is not set; ` +
                `failing so the on-failure destination keeps the event. First: ${letters[0].error.reason}`,
            );
        }
        await deps.deadLetter.put(letters);
        return letters.length;
    }

    return async function cloudTrailShipper(event: any, context?: LambdaContext): Promise<ShipperResult> {
        if (problems.length > 0) throw new Error(`cloudtrail-shipper is misconfigured: ${problems.join("; ")}`);
        if (isS3Notification(event)) {
            if (!deps.readObject) throw new Error("cloudtrail-shipper: an S3 notification arrived but no S3 reader is configured");
            let events = 0;
            let large = 0;
            let indexed = 0;
            const objects = trailObjects(event);
            for (const object of objects) {
                const { payload, total } = largeEventPayload(object, await deps.readObject(object.bucket, object.key));
                events += total;
                large += payload.logEvents.length;
                if (payload.logEvents.length === 0) continue;
                log("info", "trail log file holds events too large for CloudWatch Logs; shipping them from S3", { bucket: object.bucket, key: object.key, large: payload.logEvents.length });
                // The normal path: dead letters, retries and the thrown error (→ Lambda redelivers) all apply.
                const r = await cloudTrailShipper(asAwslogsEvent(payload), context);
                if (r.status === "shipped") indexed += r.indexed;
            }
            const result: ShipperResult = { status: "trail-objects", objects: objects.length, events, large, indexed };
            log("info", "trail log files checked for large events", result);
            return result;
        }
        const started = now();
        const remaining = context?.getRemainingTimeInMillis?.() ?? limits.defaultBudgetMs;
        const deadline = started + Math.max(0, remaining - limits.reserveMs);

        const data = event?.awslogs?.data;
        if (data === undefined) {
            log("warn", "not a CloudWatch Logs subscription event; nothing to ship", { keys: Object.keys(event ?? {}).slice(0, 10) });
            return { status: "skipped", reason: "no awslogs.data" };
        }
        const decoded = decodeAwslogsData(data);
        if (!decoded.ok) {
            log("error", `corrupt CloudWatch Logs payload: ${decoded.stage} step failed`, {
                stage: decoded.stage, reason: decoded.reason, payloadChars: typeof data === "string" ? data.length : undefined,
            });
            const raw = typeof data === "string" ? data : JSON.stringify(data);
            const n = await keep([{
                kind: "corrupt-payload", id: sha256Hex(raw),
                error: { reason: `${decoded.stage}: ${decoded.reason}` }, document: raw,
            }]);
            return { status: "corrupt", stage: decoded.stage, deadLettered: n };
        }
        const payload = decoded.payload;
        if (payload.messageType !== "DATA_MESSAGE") {
            log("info", "skipped non-data message", { messageType: payload.messageType });
            return { status: "skipped", reason: payload.messageType };
        }

        const geo = deps.geo ? await deps.geo() : undefined;
        const source = { owner: payload.owner, logGroup: payload.logGroup, logStream: payload.logStream };
        const letters: DeadLetter[] = [];
        const items: BulkItem[] = [];
        const events = Array.isArray(payload.logEvents) ? payload.logEvents : [];
        let malformed = 0;
        for (const logEvent of events) {
            const r = toCloudTrailDoc(logEvent, payload, deps.indexPrefix, geo, started, deps.indexPeriod);
            if (!r.ok) {
                malformed++;
                if (malformed <= MAX_DETAIL_LINES) {
                    log("warn", "log event is not a CloudTrail event; dead-lettering it", { logEventId: logEvent?.id, reason: r.reason, ...source });
                }
                letters.push({
                    kind: "malformed", index: r.index, id: r.id || sha256Hex(String(logEvent?.message)),
                    error: { reason: r.reason },
                    document: typeof logEvent?.message === "string" ? scrubSessionTokens(logEvent.message) : logEvent?.message,
                    source: { ...source, logEventId: logEvent?.id },
                });
                continue;
            }
            const item: BulkItem = { index: r.value.index, id: r.value.id, source: r.value.json ?? JSON.stringify(r.value.doc) };
            // Only the text is kept: the parsed event is garbage before the request goes out, and a rejected
            // document (rare) is parsed back from it for its dead letter.
            items.push(item);
        }

        const outcome = await bulkIndex(items, {
            send: deps.send,
            maxBatchBytes: limits.maxBatchBytes,
            maxAttempts: limits.maxAttempts,
            baseDelayMs: limits.baseDelayMs,
            maxDelayMs: limits.maxDelayMs,
            requestTimeoutMs: limits.requestTimeoutMs,
            deadline, now, sleep, random: deps.random,
        });
        outcome.rejected.forEach((f, i) => {
            if (i < MAX_DETAIL_LINES) {
                log("warn", "document rejected by OpenSearch; dead-lettering it", { index: f.item.index, id: f.item.id, status: f.status, type: f.type, reason: f.reason });
            }
            letters.push({
                kind: "rejected", index: f.item.index, id: f.item.id,
                error: { status: f.status, type: f.type, reason: f.reason },
                document: parsedOrText(f.item.source), source,
            });
        });

        const deadLettered = await keep(letters);
        if (outcome.unfinished.length > 0) {
            const first = outcome.unfinished[0];
            log("error", "documents still failing after retries; failing the invocation so Lambda redelivers", {
                unfinished: outcome.unfinished.length, indexed: outcome.indexed, status: first.status, reason: first.reason, ...source,
            });
            throw new Error(`cloudtrail-shipper: ${outcome.unfinished.length} of ${items.length} documents not indexed (last: HTTP ${first.status} ${first.reason})`);
        }
        const result: ShipperResult = {
            status: "shipped", logGroup: payload.logGroup, events: events.length, indexed: outcome.indexed,
            malformed, rejected: outcome.rejected.length, deadLettered, requests: outcome.requests,
        };
        log("info", "batch shipped", { ...result, ms: now() - started });
        return result;
    };
}

/** `https://` unless a scheme is given (the domain's `endpoint` output is a bare host); no trailing slash. */
export function normalizeEndpoint(raw: string): string {
    const t = raw.trim().replace(/\/+$/, "");
    if (t === "") return "";
    return /^https?:\/\//i.test(t) ? t : `https://${t}`;
}

const failingSend: BulkSend = async () => {
    throw new Error("OpenSearch is not configured");
};

/**
 * `_bulk` signed with SigV4 (service `es`) over Node's HTTP client, credentials from the execution role
 * (see signedBulk.ts). No retries inside: ours are per item and bounded by the Lambda deadline, which
 * hands each request its own timeout (`requestTimeoutMs` is kept for callers that pass it).
 */
export function openSearchBulkSend(endpoint: string, region: string, _requestTimeoutMs = SHIPPER_LIMITS.requestTimeoutMs): BulkSend {
    return signedBulkSend(endpoint, region);
}

/**
 * Zero-argument factory for `CallbackFunction.callbackFactory`; runs once per container. Reads the
 * environment contract (OPENSEARCH_ENDPOINT, OPENSEARCH_REGION, GEOIP_DATABASE, GEOIP_ASN_DATABASE, INDEX_PREFIX, INDEX_PERIOD,
 * DEAD_LETTER_BUCKET, AWS_REGION) and builds the clients here, so the serialized closure holds module
 * references and plain strings only. Credentials are the Lambda role's, read from the environment the
 * runtime sets, for every request (signedBulk.ts).
 */
export function createCloudTrailShipperHandler() {
    const env = process.env;
    const problems: string[] = [];
    const endpoint = normalizeEndpoint(env.OPENSEARCH_ENDPOINT ?? "");
    // Signed for the domain's region (OPENSEARCH_REGION), which differs from AWS_REGION when the trail
    // region is not the SIEM's home region.
    const region = signingRegion(env, endpoint).region;
    const indexPrefix = env.INDEX_PREFIX || "cloudtrail";
    const indexPeriod = env.INDEX_PERIOD || "month";
    if (!endpoint) problems.push("OPENSEARCH_ENDPOINT is not set");
    if (!region) problems.push("OPENSEARCH_REGION (or AWS_REGION) is not set");
    if (!validIndexPrefix(indexPrefix)) problems.push(`INDEX_PREFIX '${indexPrefix}' is not a valid lower-case index name`);
    if (!isIndexPeriod(indexPeriod)) problems.push(`INDEX_PERIOD '${indexPeriod}' is not month or day`);

    const send = endpoint && region ? openSearchBulkSend(endpoint, region) : failingSend;

    // The SDK (the runtime's) loads on the first dead letter or large-event notification, not at cold start:
    // most batches need neither.
    let s3: { client: any; PutObjectCommand: any; GetObjectCommand: any } | undefined;
    const s3Client = () => {
        if (!s3) {
            const { S3Client, PutObjectCommand, GetObjectCommand } = require("@aws-sdk/client-s3");
            s3 = { client: new S3Client({}), PutObjectCommand, GetObjectCommand };
        }
        return s3;
    };
    let deadLetter: DeadLetterSink | undefined;
    const bucket = env.DEAD_LETTER_BUCKET;
    if (bucket) {
        let sink: DeadLetterSink | undefined;
        deadLetter = {
            put(letters) {
                if (!sink) {
                    const { client, PutObjectCommand } = s3Client();
                    sink = s3DeadLetterSink(client, PutObjectCommand, bucket, { prefix: DEAD_LETTER_PREFIX });
                }
                return sink.put(letters);
            },
        };
    }
    const readObject = async (from: string, key: string): Promise<Buffer> => {
        const { client, GetObjectCommand } = s3Client();
        const res = await client.send(new GetObjectCommand({ Bucket: from, Key: key }));
        return Buffer.from(await res.Body.transformToByteArray());
    };

    const { geo } = lazyGeoLookupFromEnv(env, "shipping without geo");

    return makeCloudTrailShipperHandler({ indexPrefix, indexPeriod: isIndexPeriod(indexPeriod) ? indexPeriod : undefined, send, deadLetter, geo, readObject, configProblems: problems });
}
