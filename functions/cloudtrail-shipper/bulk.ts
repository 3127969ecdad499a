/**
 * Bulk indexing with per-item outcomes. A `_bulk` answer of 200 can still hold failed items, so each item
 * is judged on its own: 2xx indexed; 429, 5xx and 403 (disk or cluster blocks) retried with backoff
 * inside the invocation; anything else (400 mapping errors, 404, 409) rejected for good, for the
 * dead-letter bucket. Items still failing when the attempts or the time run out are `unfinished`: the
 * caller throws so Lambda redelivers the batch, and `_id` makes the redelivery overwrite, not duplicate.
 */

export interface BulkItem {
    index: string;
    id: string;
    /** `JSON.stringify` of the document, serialized once. */
    source: string;
}

export interface BulkResponse {
    status: number;
    body: unknown;
    contentType?: string;
}

/** One HTTP `_bulk` request. Resolves with any HTTP status; rejects only on network errors and timeouts. */
export type BulkSend = (ndjson: string, timeoutMs: number) => Promise<BulkResponse>;

export interface ItemFailure {
    item: BulkItem;
    status: number;
    type?: string;
    reason: string;
}

export interface BulkOutcome {
    indexed: number;
    rejected: ItemFailure[];
    unfinished: ItemFailure[];
    requests: number;
}

export interface BulkOptions {
    send: BulkSend;
    /** Bytes of NDJSON per request; AWS caps HTTP bodies at 10 MiB on the smallest instance types. */
    maxBatchBytes: number;
    /** Tries per item, the first included. */
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    requestTimeoutMs: number;
    /** Epoch ms after which no request starts and no backoff sleeps. */
    deadline: number;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    random?: () => number;
}

/** A refusal that retrying inside the invocation cannot fix: the role is not allowed to write at all. */
export function accessDeniedError(status: number, body: unknown, contentType?: string): Error {
    const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
    const snippet = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
    const kind = isJsonish(body, contentType) ? "" : ` with a non-JSON body (${contentType ?? "no content-type"})`;
    const err = new Error(
        `OpenSearch refused the bulk request: HTTP ${status}${kind}: "${snippet}". ` +
        "Check that the domain access policy allows this role and that FGAC maps it to guardpost_log_writer.",
    );
    err.name = "OpenSearchAccessDenied";
    return err;
}

function isJsonish(body: unknown, contentType?: string): boolean {
    return typeof body === "object" || (contentType ?? "").includes("json");
}

function parseBody(body: unknown): any {
    if (typeof body !== "string") return body;
    try { return JSON.parse(body); } catch { return undefined; }
}

/** NDJSON lines for one item: the action with `_index`/`_id`, then the document. */
export function actionLines(item: BulkItem): string {
    return `{"index":{"_index":${JSON.stringify(item.index)},"_id":${JSON.stringify(item.id)}}}\n${item.source}\n`;
}

/** Greedy packing by bytes; an item larger than the limit travels alone rather than being refused here. */
export function packBatches(items: BulkItem[], maxBytes: number): Array<{ items: BulkItem[]; body: string }> {
    const out: Array<{ items: BulkItem[]; body: string }> = [];
    let cur: BulkItem[] = [];
    let parts: string[] = [];
    let bytes = 0;
    // A batch holds a handful of daily indices: their action-line heads are built once each.
    const heads = new Map<string, string>();
    for (const item of items) {
        let head = heads.get(item.index);
        if (head === undefined) {
            head = `{"index":{"_index":${JSON.stringify(item.index)},"_id":`;
            heads.set(item.index, head);
        }
        const lines = `${head}${JSON.stringify(item.id)}}}\n${item.source}\n`;
        const size = Buffer.byteLength(lines, "utf8");
        if (cur.length > 0 && bytes + size > maxBytes) {
            out.push({ items: cur, body: parts.join("") });
            cur = [];
            parts = [];
            bytes = 0;
        }
        cur.push(item);
        parts.push(lines);
        bytes += size;
    }
    if (cur.length > 0) out.push({ items: cur, body: parts.join("") });
    return out;
}

function retryableStatus(status: number): boolean {
    return status === 408 || status === 429 || status >= 500 || status === 403 || status === 0;
}

/**
 * A whole request refused with 4xx (other than auth, size or throttling) is no single document's fault —
 * a proxy, a wrong endpoint path, a broken client: failing the invocation keeps the event for replay once
 * that is fixed, where dead-lettering would bury every document of the batch in S3.
 */
export function requestRejectedError(status: number, body: unknown): Error {
    const parsed = parseBody(body);
    const text = String(parsed?.error?.reason ?? parsed?.error ?? parsed?.message ?? (typeof body === "string" ? body : JSON.stringify(body ?? "")));
    const err = new Error(`OpenSearch rejected the whole bulk request: HTTP ${status}: "${text.replace(/\s+/g, " ").slice(0, 200)}". Check OPENSEARCH_ENDPOINT.`);
    err.name = "OpenSearchRequestRejected";
    return err;
}

/** Exponential backoff with equal jitter, capped. */
export function backoffMs(attempt: number, base: number, cap: number, random: () => number): number {
    const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

interface Pending { item: BulkItem; status: number; type?: string; reason: string }

/** Sends one batch and sorts its items; throws only for a refusal that no retry can fix. */
async function sendBatch(
    batch: { items: BulkItem[]; body: string },
    o: BulkOptions,
    out: { indexed: number; rejected: ItemFailure[]; retry: Pending[]; requests: number },
): Promise<void> {
    const timeout = Math.min(o.requestTimeoutMs, o.deadline - o.now());
    if (timeout < 1) {
        // Reached by the 413 halving: its extra requests must not run past the deadline either.
        for (const item of batch.items) out.retry.push({ item, status: 0, reason: "not sent: out of time" });
        return;
    }
    let res: BulkResponse;
    out.requests++;
    try {
        res = await o.send(batch.body, timeout);
    } catch (err: any) {
        const reason = `request failed: ${err?.name ?? "Error"}: ${String(err?.message ?? err).slice(0, 200)}`;
        for (const item of batch.items) out.retry.push({ item, status: 0, reason });
        return;
    }
    const parsed = parseBody(res.body);
    if (res.status === 401 || res.status === 403) {
        const type = parsed?.error?.type;
        if (type === "cluster_block_exception") {
            for (const item of batch.items) out.retry.push({ item, status: res.status, type, reason: String(parsed?.error?.reason ?? type) });
            return;
        }
        throw accessDeniedError(res.status, res.body, res.contentType);
    }
    if (res.status === 413 && batch.items.length > 1) {
        // The domain's HTTP limit is below our batch size: halve and go again within this attempt.
        const half = Math.ceil(batch.items.length / 2);
        for (const part of [batch.items.slice(0, half), batch.items.slice(half)]) {
            await sendBatch({ items: part, body: part.map(actionLines).join("") }, o, out);
        }
        return;
    }
    if (res.status === 413) {
        // One document larger than the domain accepts: that document's own fault.
        out.rejected.push({ item: batch.items[0], status: 413, reason: "document is larger than the domain's HTTP payload limit" });
        return;
    }
    if (res.status < 200 || res.status >= 300) {
        if (!retryableStatus(res.status)) throw requestRejectedError(res.status, res.body);
        const reason = `HTTP ${res.status}: ${String(parsed?.error?.reason ?? parsed?.message ?? (typeof res.body === "string" ? res.body : "")).slice(0, 200)}`;
        for (const item of batch.items) out.retry.push({ item, status: res.status, type: parsed?.error?.type, reason });
        return;
    }
    const items: any[] | undefined = Array.isArray(parsed?.items) ? parsed.items : undefined;
    if (!items || items.length !== batch.items.length) {
        const reason = `unreadable bulk response (HTTP ${res.status}, ${items ? items.length : "no"} items for ${batch.items.length})`;
        for (const item of batch.items) out.retry.push({ item, status: 0, reason });
        return;
    }
    items.forEach((entry, i) => {
        const result = entry?.index ?? entry?.create ?? (entry && typeof entry === "object" ? Object.values(entry)[0] : undefined) as any;
        const status = Number(result?.status);
        if (status >= 200 && status < 300) {
            out.indexed++;
            return;
        }
        const f: Pending = {
            item: batch.items[i],
            status: Number.isFinite(status) ? status : 0,
            type: result?.error?.type,
            reason: String(result?.error?.reason ?? result?.error ?? "no status in bulk item").slice(0, 500),
        };
        (retryableStatus(f.status) ? out.retry : out.rejected).push(f);
    });
}

export async function bulkIndex(items: BulkItem[], o: BulkOptions): Promise<BulkOutcome> {
    const random = o.random ?? Math.random;
    const state = { indexed: 0, rejected: [] as ItemFailure[], retry: [] as Pending[], requests: 0 };
    let pending: Pending[] = items.map((item) => ({ item, status: 0, reason: "not sent: out of time" }));
    // Leave time for at least a short request; starting one that the deadline would cut is pointless.
    const minRequestMs = Math.min(1_000, o.requestTimeoutMs);
    for (let attempt = 1; attempt <= o.maxAttempts && pending.length > 0; attempt++) {
        if (attempt > 1) {
            const delay = backoffMs(attempt - 1, o.baseDelayMs, o.maxDelayMs, random);
            if (o.now() + delay + minRequestMs > o.deadline) break;
            await o.sleep(delay);
        }
        state.retry = [];
        const batches = packBatches(pending.map((p) => p.item), o.maxBatchBytes);
        const carried: Pending[] = [];
        const lastFailure = new Map(pending.map((p) => [p.item, p]));
        for (const batch of batches) {
            if (o.deadline - o.now() < minRequestMs) {
                // Out of time: keep each item's last known failure, so the error says why it never got in.
                for (const item of batch.items) carried.push(lastFailure.get(item)!);
                continue;
            }
            await sendBatch(batch, o, state);
        }
        pending = [...state.retry, ...carried];
    }
    return { indexed: state.indexed, rejected: state.rejected, unfinished: pending, requests: state.requests };
}
