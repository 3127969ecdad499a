/**
 * `npm run replay`: re-ship what the log pipeline parked when the SIEM refused or could not take it, with the
 * same `_id` it would have had, and leave what still fails where it was.
 *
 * Parking places (LogPipeline's `parking` output, per account × region):
 * - the dead-letter bucket: `cloudtrail-shipper/rejected/<index>/<id>.json` (shipper documents the SIEM
 *   refused; `malformed/` and `corrupt-payload/` are not documents and stay), and `firehose/<kind>/…` —
 *   Firehose's failed documents, gzip JSON lines of `{esIndexName, esDocumentId, rawData, …}`
 *   (https://docs.aws.amazon.com/firehose/latest/dev/retry.html, "Amazon OpenSearch Service"), beside failed
 *   transformations (no `esIndexName`: raw records a replay cannot index, which stay);
 * - the shipper's on-failure queue: Lambda's destination records, whose `requestPayload` is the original
 *   CloudWatch Logs event (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
 * - the Security Hub dead-letter queue: the EventBridge events themselves;
 * - outside the SIEM's home region, the log relay's dead letters (`log-relay/rejected/<index>/<id>.json`, the
 *   shipper's format) and its on-failure queue, whose `requestPayload` is a CloudWatch Logs batch of one relayed log
 *   group (`relayLogGroups` says which log type) or a Security Hub event.
 *
 * Idempotence: a shipper document goes to the index of its own time under its eventID, a Firehose document to
 * the index and id Firehose recorded, a Security Hub event to its period's index under its event id, a relayed
 * record where the relay puts it (its own time, the log event id) — so
 * replaying twice, or replaying something that did reach the SIEM, overwrites instead of duplicating.
 */
import * as zlib from "zlib";
import { BulkItem, BulkSend, bulkIndex } from "../functions/cloudtrail-shipper/bulk";
import { toCloudTrailDoc } from "../functions/cloudtrail-shipper/cloudtrailDoc";
import { DEAD_LETTER_PREFIX } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { IndexPeriod, periodIndex } from "../functions/cloudtrail-shipper/indexName";
import { decodeAwslogsData } from "../functions/shared/cwlogs";
import { RELAY_DEAD_LETTER_PREFIX } from "../functions/log-relay/logRelay";
import { isRelayKind, isSecurityHubEvent, relayLogEvent, relaySecurityHubEvent, RelayKind, RelayOutcome } from "../functions/log-relay/relayDocs";
import { DEFAULT_VPC_FLOW_FIELDS, FlowParser, makeFlowParser } from "../functions/vpcflow-transform/vpcflowTransform";

export const REPLAY_SOURCES = ["cloudtrail", "vpcflow", "waf", "dns", "securityhub"] as const;
export type ReplaySource = (typeof REPLAY_SOURCES)[number];

export interface ReplayArgs { stack: string; sources: ReplaySource[]; since?: Date; outputsFile?: string }

export function parseReplayArgs(argv: string[]): ReplayArgs | { error: string } {
    const get = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
    const stack = get("--stack");
    if (!stack) return { error: "--stack is required: npm run replay -- --stack S [--source cloudtrail|vpcflow|waf|dns|securityhub] [--since 2025-01-31T00:00:00Z] [--outputs outputs.json]" };
    const source = get("--source");
    if (source !== undefined && !(REPLAY_SOURCES as readonly string[]).includes(source)) return { error: `--source '${source}' is not one of ${REPLAY_SOURCES.join(", ")}` };
    const sinceText = get("--since");
    const since = sinceText === undefined ? undefined : new Date(sinceText);
    if (since && Number.isNaN(since.getTime())) return { error: `--since '${sinceText}' is not a date (use ISO 8601, e.g. 2025-01-31T00:00:00Z)` };
    return { stack, sources: source ? [source as ReplaySource] : [...REPLAY_SOURCES], since, outputsFile: get("--outputs") };
}

export interface ParkingPlace {
    account: string; region: string; bucket: string; shipperFailureQueueUrl?: string; securityHubDlqUrl?: string;
    /** The log relay's on-failure queue, and which log type each relayed log group carries (outside the home region). */
    relayFailureQueueUrl?: string; relayLogGroups?: Record<string, string>;
}

export interface ObjectStore {
    list(bucket: string, prefix: string): Promise<Array<{ key: string; lastModified: Date }>>;
    get(bucket: string, key: string): Promise<Buffer>;
    put(bucket: string, key: string, body: Buffer): Promise<void>;
    delete(bucket: string, key: string): Promise<void>;
}

export interface MessageQueue {
    /** One receive (at most 10 messages); the ones returned stay invisible until deleted or their visibility ends. */
    receive(url: string): Promise<Array<{ receipt: string; body: string; sentAt: Date }>>;
    delete(url: string, receipt: string): Promise<void>;
}

export interface ReplayProgress { done: number; total: number; shipped: number; stillFailing: number }

export interface ReplayDeps {
    store: (place: ParkingPlace) => ObjectStore;
    queue: (place: ParkingPlace) => MessageQueue;
    send: BulkSend;
    /** The SIEM's index period (config `siem.indexPeriod`). */
    period: IndexPeriod;
    progress?: (p: ReplayProgress) => void;
    now?: () => number;
}

export interface SourceSummary { shipped: number; stillFailing: number; notReplayable: number }
export type ReplaySummary = Record<ReplaySource, SourceSummary>;

/** A unit of work: documents that are done together, and what to do with the parking place afterwards. */
interface Unit {
    source: ReplaySource;
    items: BulkItem[];
    notReplayable: number;
    /** Called with the items that still failed; removes or rewrites the parked copy. */
    settle(failed: BulkItem[]): Promise<void>;
}

function jsonLines(buf: Buffer): any[] {
    const text = (buf[0] === 0x1f && buf[1] === 0x8b ? zlib.gunzipSync(buf) : buf).toString("utf8");
    // Firehose concatenates records; each failed-document record is one JSON object per line.
    return text.split("\n").filter(l => l.trim()).map(l => JSON.parse(l));
}

function itemOf(index: string, id: string, doc: unknown): BulkItem {
    return { index, id, source: typeof doc === "string" ? doc : JSON.stringify(doc) };
}

async function cloudTrailDeadLetters(place: ParkingPlace, store: ObjectStore, since: Date | undefined, period: IndexPeriod): Promise<Unit[]> {
    const units: Unit[] = [];
    for (const o of await store.list(place.bucket, `${DEAD_LETTER_PREFIX}/`)) {
        if (since && o.lastModified < since) continue;
        const kind = o.key.split("/")[1];
        if (kind !== "rejected") { units.push({ source: "cloudtrail", items: [], notReplayable: 1, settle: async () => undefined }); continue; }
        const letter = JSON.parse((await store.get(place.bucket, o.key)).toString("utf8"));
        const when = new Date(letter.document?.["@timestamp"] ?? letter.document?.eventTime ?? NaN);
        // The index the shipper writes for this event now (its own time), so replay and redelivery meet.
        const index = Number.isNaN(when.getTime()) ? letter.index : periodIndex("cloudtrail", period, when);
        units.push({ source: "cloudtrail", items: [itemOf(index, letter.id, letter.document)], notReplayable: 0,
            settle: async failed => { if (failed.length === 0) await store.delete(place.bucket, o.key); } });
    }
    return units;
}

async function firehoseFailures(place: ParkingPlace, store: ObjectStore, kind: ReplaySource, since: Date | undefined): Promise<Unit[]> {
    const units: Unit[] = [];
    for (const o of await store.list(place.bucket, `firehose/${kind}/`)) {
        if (since && o.lastModified < since) continue;
        const records = jsonLines(await store.get(place.bucket, o.key));
        const replayable = records.filter(r => typeof r.esIndexName === "string" && typeof r.rawData === "string");
        const others = records.filter(r => !replayable.includes(r));
        const items = replayable.map(r => itemOf(r.esIndexName, String(r.esDocumentId ?? ""), Buffer.from(r.rawData, "base64").toString("utf8")));
        units.push({
            source: kind, items, notReplayable: others.length,
            settle: async failed => {
                const keep = [...others, ...replayable.filter((_, i) => failed.includes(items[i]))];
                if (keep.length === records.length) return;
                if (keep.length === 0) await store.delete(place.bucket, o.key);
                else await store.put(place.bucket, o.key, zlib.gzipSync(Buffer.from(keep.map(r => JSON.stringify(r)).join("\n") + "\n")));
            },
        });
    }
    return units;
}

/** Drains a queue once: every message received is replayed or, if it still fails, left to reappear. */
async function queued(url: string, queue: MessageQueue, since: Date | undefined, parse: (body: string) => { items: BulkItem[]; notReplayable: number }, source: ReplaySource): Promise<Unit[]> {
    const units: Unit[] = [];
    for (let batch = await queue.receive(url); batch.length > 0; batch = await queue.receive(url)) {
        for (const m of batch) {
            if (since && m.sentAt < since) continue;
            let parsed: { items: BulkItem[]; notReplayable: number };
            try { parsed = parse(m.body); } catch { parsed = { items: [], notReplayable: 1 }; }
            units.push({ source, ...parsed, settle: async failed => { if (failed.length === 0 && parsed.notReplayable === 0) await queue.delete(url, m.receipt); } });
        }
    }
    return units;
}

function shipperRecord(period: IndexPeriod, now: number) {
    return (body: string) => {
        const record = JSON.parse(body);
        const decoded = decodeAwslogsData(record.requestPayload?.awslogs?.data);
        if (!decoded.ok) return { items: [], notReplayable: 1 };
        const payload = decoded.payload;
        const items: BulkItem[] = [];
        let bad = 0;
        for (const e of payload.logEvents ?? []) {
            const r = toCloudTrailDoc(e, payload, "cloudtrail", undefined, now, period);
            if (r.ok) items.push(itemOf(r.value.index, r.value.id, r.value.doc)); else bad++;
        }
        return { items, notReplayable: bad };
    };
}

function securityHubEvent(period: IndexPeriod) {
    return (body: string) => {
        const event = JSON.parse(body);
        if (typeof event.id !== "string" || Number.isNaN(Date.parse(event.time))) return { items: [], notReplayable: 1 };
        return { items: [itemOf(periodIndex("securityhub", period, new Date(event.time)).replace(/\./g, "-"), event.id, event)], notReplayable: 0 };
    };
}

/** The relay's dead letters: `rejected/` are documents (replayed to the index they name); the rest stays. */
async function relayDeadLetters(place: ParkingPlace, store: ObjectStore, sources: ReplaySource[], since: Date | undefined): Promise<Unit[]> {
    const units: Unit[] = [];
    for (const o of await store.list(place.bucket, `${RELAY_DEAD_LETTER_PREFIX}/`)) {
        if (since && o.lastModified < since) continue;
        const [, letterKind, index = ""] = o.key.split("/");
        const source = index.split("-")[0];
        // A payload that could not even be decoded names no index, and so no log type: it is left alone.
        if (!isRelayKind(source) || !sources.includes(source)) continue;
        if (letterKind !== "rejected") { units.push({ source, items: [], notReplayable: 1, settle: async () => undefined }); continue; }
        const letter = JSON.parse((await store.get(place.bucket, o.key)).toString("utf8"));
        units.push({ source, items: [itemOf(letter.index, letter.id, letter.document)], notReplayable: 0,
            settle: async failed => { if (failed.length === 0) await store.delete(place.bucket, o.key); } });
    }
    return units;
}

/** What the relay made of one invocation's payload: a Security Hub event, or a batch of a relayed log group. */
function relayRecord(payload: any, groups: Record<string, string>, period: IndexPeriod, flowParser: FlowParser, now: number): { kind: RelayKind; outcomes: RelayOutcome[] } | undefined {
    if (isSecurityHubEvent(payload)) return { kind: "securityhub", outcomes: [relaySecurityHubEvent(payload, { period, nowMs: now })] };
    const decoded = decodeAwslogsData(payload?.awslogs?.data);
    if (!decoded.ok) return undefined;
    const kind = groups[decoded.payload.logGroup];
    if (!isRelayKind(kind)) return undefined;
    return { kind, outcomes: (decoded.payload.logEvents ?? []).map(e => relayLogEvent(kind, e, { period, flowParser, nowMs: now })) };
}

/**
 * The relay's on-failure queue, message by message: each holds one batch of one log type, made into documents as
 * the relay makes them (without GeoIP for WAF). A message of a log type not being replayed stays in the queue.
 */
async function relayQueued(place: ParkingPlace, queue: MessageQueue, sources: ReplaySource[], since: Date | undefined, period: IndexPeriod, now: number): Promise<Unit[]> {
    const units: Unit[] = [];
    const url = place.relayFailureQueueUrl!;
    const flowParser = makeFlowParser(DEFAULT_VPC_FLOW_FIELDS);
    for (let batch = await queue.receive(url); batch.length > 0; batch = await queue.receive(url)) {
        for (const m of batch) {
            if (since && m.sentAt < since) continue;
            let parsed: { kind: RelayKind; outcomes: RelayOutcome[] } | undefined;
            try { parsed = relayRecord(JSON.parse(m.body).requestPayload, place.relayLogGroups ?? {}, period, flowParser, now); } catch { parsed = undefined; }
            const kind = parsed?.kind;
            const items = (parsed?.outcomes ?? []).flatMap(o => (o.result === "Ok" ? [o.item] : []));
            const bad = (parsed?.outcomes ?? []).filter(o => o.result === "Failed").length;
            // Undecodable, or from a log group the outputs do not name: not replayable here; it stays in the queue.
            if (!kind || !sources.includes(kind)) continue;
            units.push({ source: kind, items, notReplayable: bad, settle: async failed => { if (failed.length === 0 && bad === 0) await queue.delete(url, m.receipt); } });
        }
    }
    return units;
}

export async function replay(places: ParkingPlace[], args: Pick<ReplayArgs, "sources" | "since">, deps: ReplayDeps): Promise<ReplaySummary> {
    const now = deps.now ?? Date.now;
    const units: Unit[] = [];
    for (const place of places) {
        const store = deps.store(place);
        const queue = deps.queue(place);
        if (args.sources.includes("cloudtrail")) {
            units.push(...await cloudTrailDeadLetters(place, store, args.since, deps.period));
            if (place.shipperFailureQueueUrl) units.push(...await queued(place.shipperFailureQueueUrl, queue, args.since, shipperRecord(deps.period, now()), "cloudtrail"));
        }
        for (const kind of ["vpcflow", "waf", "dns", "securityhub"] as const) {
            if (args.sources.includes(kind)) units.push(...await firehoseFailures(place, store, kind, args.since));
        }
        if (args.sources.includes("securityhub") && place.securityHubDlqUrl) {
            units.push(...await queued(place.securityHubDlqUrl, queue, args.since, securityHubEvent(deps.period), "securityhub"));
        }
        units.push(...await relayDeadLetters(place, store, args.sources, args.since));
        if (place.relayFailureQueueUrl) units.push(...await relayQueued(place, queue, args.sources, args.since, deps.period, now()));
    }
    const summary = Object.fromEntries(REPLAY_SOURCES.map(s => [s, { shipped: 0, stillFailing: 0, notReplayable: 0 }])) as ReplaySummary;
    const total = units.reduce((n, u) => n + u.items.length, 0);
    const progress: ReplayProgress = { done: 0, total, shipped: 0, stillFailing: 0 };
    deps.progress?.(progress);
    // A few hundred documents per round, so progress moves and one bad batch does not hold back the rest.
    for (let i = 0; i < units.length;) {
        const round: Unit[] = [];
        let size = 0;
        while (i < units.length && (round.length === 0 || size + units[i].items.length <= 500)) { size += units[i].items.length; round.push(units[i++]); }
        const items = round.flatMap(u => u.items);
        const outcome = await bulkIndex(items, {
            send: deps.send, maxBatchBytes: 5 * 1024 * 1024, maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2_000, requestTimeoutMs: 30_000,
            deadline: now() + 120_000, now, sleep: ms => new Promise(r => setTimeout(r, ms)),
        });
        const failed = new Set([...outcome.rejected, ...outcome.unfinished].map(f => f.item));
        for (const u of round) {
            const still = u.items.filter(it => failed.has(it));
            await u.settle(still);
            summary[u.source].shipped += u.items.length - still.length;
            summary[u.source].stillFailing += still.length;
            summary[u.source].notReplayable += u.notReplayable;
            progress.shipped += u.items.length - still.length;
            progress.stillFailing += still.length;
            progress.done += u.items.length;
        }
        deps.progress?.(progress);
    }
    return summary;
}

/** `[##########----------] 120/240 shipped 118, still failing 2`, redrawn in place on a terminal. */
export function progressBar(p: ReplayProgress, width = 30): string {
    const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
    return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total} shipped ${p.shipped}, still failing ${p.stillFailing}`;
}

export function formatSummary(s: ReplaySummary): string[] {
    const rows = REPLAY_SOURCES.map(src => `${src.padEnd(12)} shipped ${String(s[src].shipped).padStart(6)}   still failing ${String(s[src].stillFailing).padStart(5)}   not replayable (left) ${s[src].notReplayable}`);
    const failing = REPLAY_SOURCES.reduce((n, src) => n + s[src].stillFailing, 0);
    return [...rows, failing > 0 ? `${failing} document(s) still fail and stay parked; see their error in the object or message and fix the mapping or the domain first.` : "Everything replayable was shipped."];
}
