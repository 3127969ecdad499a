import { decodeCompressedPayload, isCompressed, strictBase64 } from "./cwlogs";
import { errorText, LogFn } from "./logLine";

/**
 * The Firehose data-transformation contract, shared by the transforms: every input `recordId` comes back
 * exactly once, in order, with `result` Ok / Dropped / ProcessingFailed and base64 `data`; the response
 * stays under Lambda's 6 MB synchronous limit; a bad record never throws. ProcessingFailed records keep
 * their original data, and Firehose writes them to the backup bucket's `processing-failed/` prefix.
 *
 * With an OpenSearch destination each record becomes one document. A record holding several messages (a
 * CloudWatch Logs gzip payload with many events, or several lines) cannot, so it is ProcessingFailed
 * with that reason rather than half-indexed: the raw record still reaches S3.
 */

export interface FirehoseRecord {
    recordId: string;
    data: string;
    approximateArrivalTimestamp?: number;
}

export interface FirehoseEvent {
    invocationId?: string;
    deliveryStreamArn?: string;
    region?: string;
    records?: FirehoseRecord[];
}

export type FirehoseResult = "Ok" | "Dropped" | "ProcessingFailed";

export interface FirehoseResponseRecord {
    recordId: string;
    result: FirehoseResult;
    data: string;
}

export interface FirehoseResponse {
    records: FirehoseResponseRecord[];
}

/**
 * What a transform makes of one message (a line, or one CloudWatch Logs event). An Ok outcome carries the
 * document, or — when the transform writes its JSON text directly, which is much cheaper than building
 * an object to stringify — the document's JSON text (`JSON.stringify` of an object). `ascii: true`
 * vouches that the text is plain ASCII, which spares the encoder scanning it again.
 */
export type MessageOutcome =
    | { result: "Ok"; doc: Record<string, unknown> }
    | { result: "Ok"; json: string; ascii?: boolean }
    | { result: "Dropped"; reason: string }
    | { result: "ProcessingFailed"; reason: string };

export type MessageTransform = (message: string, record: FirehoseRecord) => MessageOutcome;

/**
 * Lambda allows 6 MB (6,291,456 bytes) of synchronous response; keep a margin below it for the runtime's
 * own framing. JSON of ASCII (ids, base64) is one byte per character, so string length is byte length.
 */
export const MAX_RESPONSE_BYTES = 6_000_000;

/**
 * Processor buffer size (MB) the pipeline configures for a transform. Enrichment roughly quadruples a
 * VPC flow line once base64-encoded, so 1 MB in stays under the 6 MB out; at Firehose's 3 MB maximum the
 * tail of a batch would come back ProcessingFailed.
 */
export const PROCESSOR_BUFFER_MB = 1;
const ENVELOPE_BYTES = '{"records":[]}'.length;

export type SplitResult = { ok: true; messages: string[]; cwl: boolean } | { ok: false; reason: string };

/** Base64 → plain text lines, or the messages of a CloudWatch Logs gzip payload (CONTROL → none). */
export function splitRecordData(data: unknown): SplitResult {
    if (typeof data !== "string") return { ok: false, reason: "record has no data string" };
    const bytes = strictBase64(data);
    if (!bytes) return { ok: false, reason: "data is not valid base64" };
    if (isCompressed(bytes)) {
        const decoded = decodeCompressedPayload(bytes);
        if (!decoded.ok) return { ok: false, reason: `CloudWatch Logs payload: ${decoded.stage} step failed: ${decoded.reason}` };
        if (decoded.payload.messageType !== "DATA_MESSAGE") return { ok: true, messages: [], cwl: true };
        return { ok: true, messages: decoded.payload.logEvents.map((e) => String(e?.message ?? "")).filter((m) => m.trim() !== ""), cwl: true };
    }
    const text = bytes.toString("utf8");
    // The usual record is one line: no split, no filter.
    if (!text.includes("\n")) return { ok: true, messages: text.trim() === "" ? [] : [text], cwl: false };
    return { ok: true, messages: text.split(/\r?\n/).filter((l) => l.trim() !== ""), cwl: false };
}

/** One record → one result: exactly one Ok message makes Ok; none makes Dropped (or failed); more fails. */
export function transformRecord(record: FirehoseRecord, transform: MessageTransform): { result: FirehoseResult; doc?: Record<string, unknown>; json?: string; ascii?: boolean; reason?: string; undecodable?: boolean } {
    const split = splitRecordData(record?.data);
    if (!split.ok) return { result: "ProcessingFailed", reason: split.reason, undecodable: split.reason === "data is not valid base64" };
    if (split.messages.length === 0) return { result: "Dropped", reason: split.cwl ? "CloudWatch Logs control message" : "empty record" };
    if (split.messages.length === 1) {
        // The usual record: one message, whose outcome is the record's.
        let o: MessageOutcome;
        try {
            o = transform(split.messages[0], record);
        } catch (err) {
            o = { result: "ProcessingFailed", reason: `transform threw: ${errorText(err)}` };
        }
        return o.result === "Ok" ? o : o.result === "Dropped" ? { result: "Dropped", reason: o.reason } : { result: "ProcessingFailed", reason: o.reason };
    }
    const oks: Array<{ doc: Record<string, unknown> } | { json: string }> = [];
    const failures: string[] = [];
    const drops: string[] = [];
    for (const m of split.messages) {
        let o: MessageOutcome;
        try {
            o = transform(m, record);
        } catch (err) {
            o = { result: "ProcessingFailed", reason: `transform threw: ${errorText(err)}` };
        }
        if (o.result === "Ok") oks.push(o);
        else if (o.result === "Dropped") drops.push(o.reason);
        else failures.push(o.reason);
    }
    if (failures.length > 0) return { result: "ProcessingFailed", reason: failures[0] };
    if (oks.length === 1) return { result: "Ok", ...oks[0] };
    if (oks.length === 0) return { result: "Dropped", reason: drops[0] ?? "nothing to index" };
    return { result: "ProcessingFailed", reason: `record holds ${oks.length} messages; an OpenSearch destination indexes one document per record` };
}

/** Bytes of one response entry, given `JSON.stringify(recordId).length`. */
const ASCII = /^[\x00-\x7f]*$/;

function entrySize(quotedIdLength: number, result: FirehoseResult, data: string): number {
    // {"recordId":<json>,"result":"<r>","data":"<b64>"} plus a separating comma.
    return quotedIdLength + result.length + data.length + 35 + 1;
}

/** `JSON.stringify(s).length`, without building the string for the usual plain-ASCII id. */
function quotedLength(s: string): number {
    return /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(s) ? s.length + 2 : JSON.stringify(s).length;
}

/**
 * Base64 of the UTF-8 bytes of `text`: `btoa` for plain ASCII (the usual document, where UTF-8 and
 * Latin-1 bytes are the same), else through one scratch buffer instead of a Buffer per record.
 */
function makeBase64Encoder(): (text: string) => string {
    let scratch = Buffer.allocUnsafe(64 * 1024);
    return (text) => {
        if (ASCII.test(text)) return btoa(text);
        if (text.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(text.length * 3);
        return scratch.toString("base64", 0, scratch.write(text, 0, "utf8"));
    };
}

/**
 * Runs the transform over every record and assembles the response. Greedy in input order, with room
 * always reserved for the rest to come back as ProcessingFailed with their original data: an Ok record
 * whose enriched data would push the response past the limit becomes ProcessingFailed instead.
 */
export function runFirehoseTransform(
    event: FirehoseEvent,
    transform: MessageTransform,
    opts: { log: LogFn; kind: string; maxResponseBytes?: number },
): FirehoseResponse {
    const limit = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    const records = Array.isArray(event?.records) ? event.records : [];
    const idLength = records.map((r) => quotedLength(String(r?.recordId ?? "")));
    const failedSize = records.map((r, i) => entrySize(idLength[i], "ProcessingFailed", typeof r?.data === "string" ? r.data : ""));
    const reserve = new Array<number>(records.length + 1).fill(0);
    for (let i = records.length - 1; i >= 0; i--) reserve[i] = reserve[i + 1] + failedSize[i];

    const out: FirehoseResponseRecord[] = [];
    // Each entry is counted with a separating comma; the first has none.
    let used = ENVELOPE_BYTES - 1;
    const counts: Record<string, number> = { Ok: 0, Dropped: 0, ProcessingFailed: 0, overflow: 0 };
    const reasons: string[] = [];
    const base64 = makeBase64Encoder();
    records.forEach((rec, i) => {
        const recordId = String(rec?.recordId ?? "");
        const original = typeof rec?.data === "string" ? rec.data : "";
        const t = transformRecord(rec, transform);
        let entry: FirehoseResponseRecord;
        if (t.result === "Ok") {
            entry = { recordId, result: "Ok", data: t.ascii && t.json !== undefined ? btoa(t.json) : base64(t.json ?? JSON.stringify(t.doc)) };
            if (used + entrySize(idLength[i], "Ok", entry.data) + reserve[i + 1] > limit) {
                counts.overflow++;
                entry = { recordId, result: "ProcessingFailed", data: original };
                t.reason = "enriched record would push the response past the Lambda 6 MB limit";
            }
        } else {
            // Dropped data is never delivered; failed data goes back as it came (unless it was not base64).
            entry = { recordId, result: t.result, data: t.result === "Dropped" || t.undecodable ? "" : original };
        }
        // A pathological batch whose originals alone exceed the limit still must not breach it.
        if (used + entrySize(idLength[i], entry.result, entry.data) + reserve[i + 1] > limit && entry.result !== "Ok") {
            entry = { ...entry, data: "" };
        }
        used += entrySize(idLength[i], entry.result, entry.data);
        counts[entry.result]++;
        if (entry.result === "ProcessingFailed" && reasons.length < 10) reasons.push(`${recordId}: ${t.reason}`);
        out.push(entry);
    });
    if (counts.ProcessingFailed > 0) {
        opts.log("warn", `${opts.kind}: records failed processing; Firehose backs them up under processing-failed/`, { ...counts, sample: reasons });
    } else {
        opts.log("info", `${opts.kind}: batch transformed`, counts);
    }
    return { records: out };
}
