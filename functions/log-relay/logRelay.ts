import { BulkItem, BulkSend, bulkIndex } from "../cloudtrail-shipper/bulk";
import { DeadLetter, DeadLetterSink, s3DeadLetterSink, sha256Hex } from "../cloudtrail-shipper/deadLetter";
import { IndexPeriod, isIndexPeriod } from "../cloudtrail-shipper/indexName";
import { BULK_SHIPPING_LIMITS, type BulkShipperRuntime } from "../cloudtrail-shipper/limits";
import { signingRegion } from "../cloudtrail-shipper/signingRegion";
import { signedBulkSend } from "../cloudtrail-shipper/signedBulk";
import { decodeAwslogsData } from "../shared/cwlogs";
import { GeoLookup, lazyGeoLookupFromEnv } from "../shared/geoip";
import { errorText, jsonLog, LogFn } from "../shared/logLine";
import { makeFlowParser, parseFieldList } from "../vpcflow-transform/vpcflowTransform";
import { isSecurityHubEvent, parseLogGroupKinds, relayLogEvent, RelayKind, relaySecurityHubEvent, RelayOutcome } from "./relayDocs";

/**
 * log-relay: ships the logs of a region other than the SIEM's home region into the SIEM. Firehose delivers to an
 * OpenSearch domain only in its own region (cross-region delivery is documented for HTTP endpoints only:
 * https://docs.aws.amazon.com/firehose/latest/dev/across.html), so there the sources log to CloudWatch Logs and a
 * subscription filter hands each batch to this function in the same account and region (a Lambda destination:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample), which
 * `_bulk`-indexes over HTTPS signed with SigV4 for the DOMAIN's region. Security Hub findings come from an
 * EventBridge rule targeting the function directly.
 *
 * Nothing is lost silently, as in cloudtrail-shipper (whose bulk, signing and dead-letter code this reuses): each
 * record ends up indexed, or in the dead-letter bucket under `log-relay/` with its error, or the invocation fails
 * and Lambda's retries and on-failure queue keep the whole batch (CloudWatch Logs invokes asynchronously);
 * `_id` = the log event id makes a redelivery overwrite.
 */

/** The shipper's pacing and deadline reserve: the relay sends the same `_bulk` requests. */
export const RELAY_LIMITS = BULK_SHIPPING_LIMITS;
export type RelayLimits = typeof RELAY_LIMITS;
export const RELAY_TIMEOUT_SECONDS = 120;
export const RELAY_DEAD_LETTER_PREFIX = "log-relay";

export interface RelayDeps extends BulkShipperRuntime {
    /** Log group name → the log type its events are (LOG_GROUP_KINDS). */
    logGroupKinds: Record<string, RelayKind>;
    /** VPC flow log field list of the flow logs' custom format (VPC_FLOW_FIELDS). */
    flowFields?: string[];
    indexPeriod?: IndexPeriod;
    send: BulkSend;
    /** Absent without DEAD_LETTER_BUCKET: anything that would go there fails the invocation instead. */
    deadLetter?: DeadLetterSink;
    geo?: () => Promise<GeoLookup | undefined>;
    configProblems?: string[];
    limits?: Partial<RelayLimits>;
}

export type RelayResult =
    | { status: "skipped"; reason: string }
    | { status: "corrupt"; stage: string; deadLettered: number }
    | { status: "relayed"; kind: RelayKind; source: string; events: number; indexed: number; dropped: number; malformed: number; rejected: number; deadLettered: number; requests: number };

interface LambdaContext { getRemainingTimeInMillis?: () => number }

const MAX_DETAIL_LINES = 20;

export function makeLogRelayHandler(deps: RelayDeps) {
    const limits: RelayLimits = { ...RELAY_LIMITS, ...deps.limits };
    const log = deps.log ?? jsonLog;
    const now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const period: IndexPeriod = deps.indexPeriod ?? "month";
    const problems = deps.configProblems ?? [];
    const flowParser = deps.flowFields ? makeFlowParser(deps.flowFields) : undefined;

    async function keep(letters: DeadLetter[]): Promise<number> {
        if (letters.length === 0) return 0;
        if (!deps.deadLetter) {
            throw new Error(`log-relay: ${letters.length} record(s) cannot be indexed and DEAD_LETTER_BUCKET is not set; failing so the on-failure destination keeps the batch. First: ${letters[0].error.reason}`);
        }
        await deps.deadLetter.put(letters);
        return letters.length;
    }

    /** Bulk-indexes the batch's items; rejected ones become dead letters, unfinished ones fail the invocation. */
    async function ship(kind: RelayKind, source: string, outcomes: RelayOutcome[], raw: (i: number) => unknown, context: LambdaContext | undefined, started: number): Promise<RelayResult> {
        const remaining = context?.getRemainingTimeInMillis?.() ?? limits.defaultBudgetMs;
        const deadline = started + Math.max(0, remaining - limits.reserveMs);
        const letters: DeadLetter[] = [];
        const items: BulkItem[] = [];
        const docs = new Map<BulkItem, unknown>();
        let dropped = 0;
        let malformed = 0;
        outcomes.forEach((o, i) => {
            if (o.result === "Ok") {
                items.push(o.item);
                docs.set(o.item, o.doc);
            } else if (o.result === "Dropped") {
                dropped++;
            } else {
                malformed++;
                if (malformed <= MAX_DETAIL_LINES) log("warn", "record cannot be made a document; dead-lettering it", { kind, source, id: o.id, reason: o.reason });
                letters.push({ kind: "malformed", index: o.index, id: o.id || sha256Hex(JSON.stringify(raw(i)) ?? ""), error: { reason: o.reason }, document: raw(i), source: { kind, source } });
            }
        });
        const outcome = await bulkIndex(items, {
            send: deps.send, maxBatchBytes: limits.maxBatchBytes, maxAttempts: limits.maxAttempts, baseDelayMs: limits.baseDelayMs,
            maxDelayMs: limits.maxDelayMs, requestTimeoutMs: limits.requestTimeoutMs, deadline, now, sleep, random: deps.random,
        });
        outcome.rejected.forEach((f, i) => {
            if (i < MAX_DETAIL_LINES) log("warn", "document rejected by OpenSearch; dead-lettering it", { kind, index: f.item.index, id: f.item.id, status: f.status, type: f.type, reason: f.reason });
            letters.push({ kind: "rejected", index: f.item.index, id: f.item.id, error: { status: f.status, type: f.type, reason: f.reason },
                document: docs.get(f.item) ?? JSON.parse(f.item.source), source: { kind, source } });
        });
        const deadLettered = await keep(letters);
        if (outcome.unfinished.length > 0) {
            const first = outcome.unfinished[0];
            log("error", "documents still failing after retries; failing the invocation so Lambda redelivers", { kind, source, unfinished: outcome.unfinished.length, status: first.status, reason: first.reason });
            throw new Error(`log-relay: ${outcome.unfinished.length} of ${items.length} ${kind} documents not indexed (last: HTTP ${first.status} ${first.reason})`);
        }
        const result: RelayResult = { status: "relayed", kind, source, events: outcomes.length, indexed: outcome.indexed, dropped, malformed,
            rejected: outcome.rejected.length, deadLettered, requests: outcome.requests };
        log("info", "batch relayed", { ...result, ms: now() - started });
        return result;
    }

    return async function logRelay(event: any, context?: LambdaContext): Promise<RelayResult> {
        if (problems.length > 0) throw new Error(`log-relay is misconfigured: ${problems.join("; ")}`);
        const started = now();
        if (isSecurityHubEvent(event)) {
            return ship("securityhub", String(event["detail-type"]), [relaySecurityHubEvent(event, { period, nowMs: started })], () => event, context, started);
        }
        const data = event?.awslogs?.data;
        if (data === undefined) {
            log("warn", "neither a CloudWatch Logs subscription event nor a Security Hub event; nothing to relay", { keys: Object.keys(event ?? {}).slice(0, 10) });
            return { status: "skipped", reason: "no awslogs.data" };
        }
        const decoded = decodeAwslogsData(data);
        if (!decoded.ok) {
            log("error", `corrupt CloudWatch Logs payload: ${decoded.stage} step failed`, { stage: decoded.stage, reason: decoded.reason });
            const raw = typeof data === "string" ? data : JSON.stringify(data);
            const n = await keep([{ kind: "corrupt-payload", id: sha256Hex(raw), error: { reason: `${decoded.stage}: ${decoded.reason}` }, document: raw }]);
            return { status: "corrupt", stage: decoded.stage, deadLettered: n };
        }
        const payload = decoded.payload;
        if (payload.messageType !== "DATA_MESSAGE") {
            log("info", "skipped non-data message", { messageType: payload.messageType, logGroup: payload.logGroup });
            return { status: "skipped", reason: payload.messageType };
        }
        const kind = deps.logGroupKinds[payload.logGroup];
        // A log group the relay was not configured for: no parser can be chosen safely, and no retry will change
        // that — failing keeps the batch in the on-failure queue for `npm run replay` once the config is fixed.
        if (!kind) throw new Error(`log-relay: log group '${payload.logGroup}' is not one of ${Object.keys(deps.logGroupKinds).join(", ") || "(none)"} (LOG_GROUP_KINDS)`);
        const geo = kind === "waf" && deps.geo ? await deps.geo() : undefined;
        const events = Array.isArray(payload.logEvents) ? payload.logEvents : [];
        const outcomes = events.map((e) => relayLogEvent(kind, e, { period, flowParser, geo, nowMs: started }));
        return ship(kind, payload.logGroup, outcomes, (i) => events[i]?.message, context, started);
    };
}

const failingSend: BulkSend = async () => {
    throw new Error("OpenSearch is not configured");
};

/**
 * Zero-argument factory for `callbackFactory`; runs once per container. Environment contract: OPENSEARCH_ENDPOINT,
 * OPENSEARCH_REGION (the domain's region: the SigV4 scope), INDEX_PERIOD, LOG_GROUP_KINDS, VPC_FLOW_FIELDS,
 * GEOIP_DATABASE / GEOIP_ASN_DATABASE (optional), DEAD_LETTER_BUCKET, and AWS_REGION (set by Lambda). Credentials
 * are the execution role's, read from the environment for every request (signedBulk.ts).
 */
export function createLogRelayHandler() {
    const env = process.env;
    const problems: string[] = [];
    const raw = (env.OPENSEARCH_ENDPOINT ?? "").trim().replace(/\/+$/, "");
    const endpoint = raw === "" ? "" : /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
    const region = signingRegion(env, endpoint).region;
    const indexPeriod = env.INDEX_PERIOD || "month";
    const kinds = parseLogGroupKinds(env.LOG_GROUP_KINDS);
    const fields = parseFieldList(env.VPC_FLOW_FIELDS);
    if (!endpoint) problems.push("OPENSEARCH_ENDPOINT is not set");
    if (!region) problems.push("OPENSEARCH_REGION (or AWS_REGION) is not set");
    if (!isIndexPeriod(indexPeriod)) problems.push(`INDEX_PERIOD '${indexPeriod}' is not month or day`);
    // LOG_GROUP_KINDS is always set by LogPipeline (`{}` when only Security Hub is relayed).
    problems.push(...kinds.problems, ...fields.problems);

    let deadLetter: DeadLetterSink | undefined;
    const bucket = env.DEAD_LETTER_BUCKET;
    if (bucket) {
        let sink: DeadLetterSink | undefined;
        // The runtime's SDK, loaded on the first dead letter only.
        deadLetter = {
            put(letters) {
                if (!sink) {
                    const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");
                    sink = s3DeadLetterSink(new S3Client({}), PutObjectCommand, bucket, { prefix: RELAY_DEAD_LETTER_PREFIX });
                }
                return sink.put(letters);
            },
        };
    }
    const { geo, configured: geoConfigured } = lazyGeoLookupFromEnv(env, "relaying without geo");
    return makeLogRelayHandler({
        logGroupKinds: kinds.kinds,
        flowFields: fields.fields,
        indexPeriod: isIndexPeriod(indexPeriod) ? indexPeriod : undefined,
        send: endpoint && region ? signedBulkSend(endpoint, region) : failingSend,
        deadLetter,
        geo: geoConfigured ? geo : undefined,
        configProblems: problems,
    });
}
