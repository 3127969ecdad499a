import { randomBytes, randomUUID } from "crypto";
import { applyDocument, flattenSettings, MappingError, Mappings, matchesAny, mergeMappings } from "./opensearchPeerMapping";

/**
 * Index, document, `_bulk` and `_index_template` behaviour of the OpenSearch peer, with the status
 * codes and bodies of OpenSearch 2.x. Pure request → reply functions over a shared state, so the
 * plugin APIs (ISM, security, Dashboards, anomaly detection) can live in their own file.
 */

export interface Reply { status: number; body?: unknown; contentType?: string }

export interface PeerRequest {
    method: string;
    path: string;
    segments: string[];
    query: URLSearchParams;
    headers: Record<string, string | string[] | undefined>;
    body: string;
}

export interface StoredDoc { source: any; version: number; seqNo: number }

export interface IndexState {
    name: string;
    uuid: string;
    createdAt: number;
    mappings: Mappings;
    settings: Record<string, string>;
    docs: Map<string, StoredDoc>;
    /** The composable index template whose mappings and settings the index was created from. */
    template?: string;
    seqNo: number;
}

export interface ItemRejection { status: number; type: string; reason: string }
export type ItemPredicate = (action: { index: string; id?: string; doc: any }) => ItemRejection | undefined;

export interface PeerState {
    version: string;
    /** The peer's clock (epoch ms): index creation times and ISM ages read it, so a test can run a year in a second. */
    now: () => number;
    /** Data nodes, for shard allocation and cluster health (dedicated masters hold no shards). */
    dataNodes: number;
    /** `cluster.max_shards_per_node` (OpenSearch and AWS default 1,000). */
    maxShardsPerNode: number;
    indices: Map<string, IndexState>;
    templates: Map<string, any>;
    /** Component templates (`_component_template`), composed into an index template through its `composed_of`. */
    componentTemplates: Map<string, any>;
    /** Called for every new index (ISM attaches policies by `ism_template` here). */
    onIndexCreated: Array<(index: IndexState) => void>;
    rejectItem?: ItemPredicate;
    /** FGAC for the request being served: a refusal reason for writing to `index`, or undefined (see opensearchPeerFgac.ts). */
    authorizeItem?: (index: string, exists: boolean) => string | undefined;
}

/** The error envelope OpenSearch uses for exceptions. */
export function osError(status: number, type: string, reason: string, extra: Record<string, unknown> = {}): Reply {
    const cause = { type, reason, ...extra };
    return { status, body: { error: { root_cause: [cause], ...cause }, status } };
}

export function parseJson(req: PeerRequest): { value?: any; error?: Reply } {
    if (!req.body.trim()) return { value: undefined };
    try {
        return { value: JSON.parse(req.body) };
    } catch (e) {
        return { error: osError(400, "json_parse_exception", `Unexpected character: ${(e as Error).message}`) };
    }
}

function indexNotFound(name: string): Reply {
    return osError(404, "index_not_found_exception", `no such index [${name}]`,
        { "resource.type": "index_or_alias", "resource.id": name, index_uuid: "_na_", index: name });
}

function invalidIndexName(name: string): string | undefined {
    if (name !== name.toLowerCase()) return `Invalid index name [${name}], must be lowercase`;
    if (/^[_\-+]/.test(name)) return `Invalid index name [${name}], must not start with '_', '-', or '+'`;
    if (/[\\/*?"<>| ,#:]/.test(name)) return `Invalid index name [${name}], must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]`;
    if (name === "." || name === "..") return `Invalid index name [${name}], must not be '.' or '..'`;
    if (Buffer.byteLength(name) > 255) return `Invalid index name [${name}], index name is too long`;
    return undefined;
}

/** The composable template index creation would use: highest priority among those whose patterns match. */
export function matchingTemplate(state: PeerState, index: string): { name: string; body: any } | undefined {
    let best: { name: string; body: any } | undefined;
    for (const [name, body] of state.templates) {
        if (!matchesAny(body.index_patterns, index)) continue;
        if (!best || (body.priority ?? 0) > (best.body.priority ?? 0)) best = { name, body };
    }
    return best;
}

/** Thrown by `createIndex` when the shard limit refuses the new index (see `shardLimitRefusal`). */
export class ShardLimitError extends Error {
    constructor(readonly reason: string) { super(reason); }
}

/** Shards an index occupies: its primaries and their replicas (OpenSearch 2.x defaults: 1 and 1). */
export function indexShards(ix: { settings: Record<string, string> }): { primaries: number; replicas: number } {
    return { primaries: Number(ix.settings["index.number_of_shards"] ?? 1), replicas: Number(ix.settings["index.number_of_replicas"] ?? 1) };
}

/**
 * OpenSearch refuses to create an index that would take the open shards past `data nodes ×
 * cluster.max_shards_per_node` — "OpenSearch/Elasticsearch throw an error if a request, such as creating a new
 * index, would cause you to exceed this limit" (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/handling-errors.html,
 * 1,000 shards per node) — with ShardLimitValidator's `validation_exception`. Replicas that cannot be assigned
 * count too: the limit is on shards, assigned or not.
 */
export function shardLimitRefusal(state: PeerState, settings: Record<string, string>): string | undefined {
    const open = [...state.indices.values()].reduce((n, ix) => { const s = indexShards(ix); return n + s.primaries * (1 + s.replicas); }, 0);
    const s = indexShards({ settings });
    const adding = s.primaries * (1 + s.replicas);
    const max = state.dataNodes * state.maxShardsPerNode;
    if (open + adding <= max) return undefined;
    return `Validation Failed: 1: this action would add [${adding}] total shards, but this cluster currently has [${open}]/[${max}] maximum shards open;`;
}

export function createIndex(state: PeerState, name: string, body: any = {}): IndexState {
    const t = matchingTemplate(state, name);
    // The template's component templates in `composed_of` order, then its own `template`, then the request, each
    // later one winning — resolved now, once: "Component templates are used solely during the process of index
    // creation … Modifications made to component templates will not affect existing indexes"
    // (https://docs.opensearch.org/latest/api-reference/index-apis/component-template/).
    const layers = [...(t?.body.composed_of ?? []).map((c: string) => state.componentTemplates.get(c)?.template), t?.body.template, body];
    const settings: Record<string, string> = Object.assign({}, ...layers.map(l => flattenSettings(l?.settings)));
    const refused = shardLimitRefusal(state, settings);
    if (refused) throw new ShardLimitError(refused);
    const index: IndexState = {
        name,
        uuid: randomUUID().replace(/-/g, "").slice(0, 22),
        createdAt: state.now(),
        mappings: layers.reduce((m: Mappings, l) => mergeMappings(m, l?.mappings), {}),
        settings,
        docs: new Map(),
        template: t?.name,
        seqNo: 0,
    };
    state.indices.set(name, index);
    for (const hook of state.onIndexCreated) hook(index);
    return index;
}

function autoId(): string {
    return randomBytes(15).toString("base64url").slice(0, 20);
}

function fieldLimit(index: IndexState): number {
    return Number(index.settings["index.mapping.total_fields.limit"] ?? 1000);
}

type WriteOutcome = { status: number; result?: string; doc?: StoredDoc; error?: { type: string; reason: string } };

/** One document write (index/create), as a shard applies it; mappings change only on success. */
function writeDoc(index: IndexState, id: string, source: any, opType: "index" | "create"): WriteOutcome {
    const existing = index.docs.get(id);
    if (opType === "create" && existing) {
        return { status: 409, error: { type: "version_conflict_engine_exception",
            reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])` } };
    }
    if (!source || typeof source !== "object" || Array.isArray(source)) {
        return { status: 400, error: { type: "mapper_parsing_exception", reason: "failed to parse, document is empty" } };
    }
    const before = structuredClone(index.mappings);
    try {
        applyDocument(index.mappings, source, id, fieldLimit(index));
    } catch (e) {
        index.mappings = before;
        if (e instanceof MappingError) return { status: 400, error: { type: e.type, reason: e.reason } };
        throw e;
    }
    const doc: StoredDoc = { source, version: (existing?.version ?? 0) + 1, seqNo: index.seqNo++ };
    index.docs.set(id, doc);
    return { status: existing ? 200 : 201, result: existing ? "updated" : "created", doc };
}

function ensureIndex(state: PeerState, name: string): { index?: IndexState; error?: { status: number; type: string; reason: string } } {
    const existing = state.indices.get(name);
    if (existing) return { index: existing };
    const invalid = invalidIndexName(name);
    if (invalid) return { error: { status: 400, type: "invalid_index_name_exception", reason: invalid } };
    try {
        return { index: createIndex(state, name) };
    } catch (e) {
        if (e instanceof ShardLimitError) return { error: { status: 400, type: "validation_exception", reason: e.reason } };
        throw e;
    }
}

const SHARDS = { total: 2, successful: 1, failed: 0 };

export function bulk(state: PeerState, req: PeerRequest, pathIndex?: string): Reply {
    const started = Date.now();
    if (!req.body.trim()) return osError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;");
    if (!req.body.endsWith("\n")) return osError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]");
    const lines = req.body.split("\n");
    lines.pop();
    const items: any[] = [];
    for (let i = 0; i < lines.length; i++) {
        if (!lines[i].trim()) continue;
        let action: any;
        try { action = JSON.parse(lines[i]); } catch {
            return osError(400, "x_content_parse_exception", `[1:1] Malformed action/metadata line [${i + 1}], expected START_OBJECT`);
        }
        const op = Object.keys(action ?? {})[0];
        if (!["index", "create", "delete", "update"].includes(op)) {
            return osError(400, "illegal_argument_exception", `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${op}]`);
        }
        const meta = action[op] ?? {};
        const indexName: string | undefined = meta._index ?? pathIndex;
        if (!indexName) return osError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;");
        let source: any;
        if (op !== "delete") {
            i++;
            if (i >= lines.length) return osError(400, "illegal_argument_exception", `The bulk request must be terminated by a newline [\\n]`);
            try { source = JSON.parse(lines[i]); } catch {
                items.push(itemError(op, indexName, meta._id, 400, { type: "mapper_parsing_exception", reason: "failed to parse" }));
                continue;
            }
        }
        items.push(bulkItem(state, op, indexName, meta._id === undefined ? undefined : String(meta._id), source));
    }
    return {
        status: 200,
        body: { took: Date.now() - started, errors: items.some(it => Object.values(it as object)[0].error), items },
    };
}

function itemError(op: string, index: string, id: string | undefined, status: number, error: { type: string; reason: string }, uuid = "_na_"): any {
    return { [op]: { _index: index, _id: id ?? null, status, error: { ...error, index, shard: "0", index_uuid: uuid } } };
}

function bulkItem(state: PeerState, op: string, indexName: string, id: string | undefined, source: any): any {
    const refused = state.authorizeItem?.(indexName, state.indices.has(indexName));
    if (refused) return itemError(op, indexName, id, 403, { type: "security_exception", reason: refused });
    if (op !== "delete" && op !== "update") {
        const rejected = state.rejectItem?.({ index: indexName, id, doc: source });
        if (rejected) return itemError(op, indexName, id, rejected.status, { type: rejected.type, reason: rejected.reason });
    }
    if ((op === "delete" || op === "update") && id === undefined) {
        return itemError(op, indexName, id, 400, { type: "action_request_validation_exception", reason: "Validation Failed: 1: id is missing;" });
    }
    if (op === "delete") {
        const index = state.indices.get(indexName);
        const doc = index?.docs.get(id!);
        if (doc) index!.docs.delete(id!);
        return { delete: { _index: indexName, _id: id, _version: (doc?.version ?? 0) + 1, result: doc ? "deleted" : "not_found",
            _shards: SHARDS, _seq_no: index ? index.seqNo++ : 0, _primary_term: 1, status: doc ? 200 : 404 } };
    }
    const ensured = ensureIndex(state, indexName);
    if (ensured.error) return itemError(op, indexName, id, ensured.error.status, ensured.error);
    const index = ensured.index!;
    const docId = id ?? autoId();
    let opType: "index" | "create" = op === "create" ? "create" : "index";
    if (op === "update") {
        const existing = index.docs.get(docId);
        if (!existing) {
            return itemError(op, indexName, docId, 404, { type: "document_missing_exception", reason: `[${docId}]: document missing` }, index.uuid);
        }
        source = { ...existing.source, ...(source?.doc ?? {}) };
        opType = "index";
    }
    const out = writeDoc(index, docId, source, opType);
    if (out.error) return itemError(op, indexName, docId, out.status, out.error, index.uuid);
    return { [op]: { _index: indexName, _id: docId, _version: out.doc!.version, result: out.result, _shards: SHARDS,
        _seq_no: out.doc!.seqNo, _primary_term: 1, status: out.status } };
}

function describeIndex(ix: IndexState): any {
    return { aliases: {}, mappings: ix.mappings, settings: { index: {
        ...Object.fromEntries(Object.entries(ix.settings).map(([k, v]) => [k.replace(/^index\./, ""), v])),
        creation_date: String(ix.createdAt), uuid: ix.uuid, provided_name: ix.name,
        number_of_shards: ix.settings["index.number_of_shards"] ?? "1", number_of_replicas: ix.settings["index.number_of_replicas"] ?? "1",
    } } };
}

/** `/<index>`, `/<index>/_doc[/<id>]`, `/<index>/_bulk`, `/<index>/_count`, `/<index>/_refresh`. */
export function indexApi(state: PeerState, req: PeerRequest): Reply | undefined {
    const [name, sub, id] = req.segments;
    if (name.startsWith("_")) return undefined;
    const index = state.indices.get(name);
    if (sub === undefined) {
        switch (req.method) {
            case "HEAD": return { status: index ? 200 : 404 };
            case "GET": return index ? { status: 200, body: { [name]: describeIndex(index) } } : indexNotFound(name);
            case "DELETE":
                if (!index) return indexNotFound(name);
                state.indices.delete(name);
                return { status: 200, body: { acknowledged: true } };
            case "PUT": {
                if (index) return osError(400, "resource_already_exists_exception", `index [${name}/${index.uuid}] already exists`, { index_uuid: index.uuid, index: name });
                const invalid = invalidIndexName(name);
                if (invalid) return osError(400, "invalid_index_name_exception", invalid, { index_uuid: "_na_", index: name });
                const parsed = parseJson(req);
                if (parsed.error) return parsed.error;
                try {
                    createIndex(state, name, parsed.value ?? {});
                } catch (e) {
                    if (e instanceof ShardLimitError) return osError(400, "validation_exception", e.reason);
                    throw e;
                }
                return { status: 200, body: { acknowledged: true, shards_acknowledged: true, index: name } };
            }
        }
        return undefined;
    }
    if (sub === "_bulk" && (req.method === "POST" || req.method === "PUT")) return bulk(state, req, name);
    if (sub === "_settings" && req.method === "PUT") return updateSettings(state, req, name);
    if (sub === "_refresh") return index ? { status: 200, body: { _shards: { total: 2, successful: 1, failed: 0 } } } : indexNotFound(name);
    if (sub === "_count") {
        // Wildcards match zero or more indices (allow_no_indices); a concrete missing name is a 404.
        const matched = name.includes("*") ? [...state.indices.values()].filter(ix => matchesAny(name.split(","), ix.name)) : index ? [index] : undefined;
        if (!matched) return indexNotFound(name);
        const count = matched.reduce((n, ix) => n + ix.docs.size, 0);
        return { status: 200, body: { count, _shards: { total: matched.length, successful: matched.length, skipped: 0, failed: 0 } } };
    }
    if (sub !== "_doc" && sub !== "_create") return undefined;
    if (req.method === "GET" || req.method === "HEAD") {
        if (!index) return indexNotFound(name);
        const doc = id === undefined ? undefined : index.docs.get(id);
        if (!doc) return { status: 404, body: req.method === "HEAD" ? undefined : { _index: name, _id: id, found: false } };
        return { status: 200, body: req.method === "HEAD" ? undefined : { _index: name, _id: id, _version: doc.version, _seq_no: doc.seqNo, _primary_term: 1, found: true, _source: doc.source } };
    }
    if (req.method === "DELETE" && id !== undefined) {
        if (!index) return indexNotFound(name);
        const doc = index.docs.get(id);
        index.docs.delete(id);
        return { status: doc ? 200 : 404, body: { _index: name, _id: id, _version: (doc?.version ?? 0) + 1, result: doc ? "deleted" : "not_found", _shards: SHARDS, _seq_no: index.seqNo++, _primary_term: 1 } };
    }
    if (req.method === "PUT" || req.method === "POST") {
        const parsed = parseJson(req);
        if (parsed.error) return parsed.error;
        const ensured = ensureIndex(state, name);
        if (ensured.error) return osError(ensured.error.status, ensured.error.type, ensured.error.reason);
        const opType = sub === "_create" || req.query.get("op_type") === "create" ? "create" : "index";
        const docId = id ?? autoId();
        const out = writeDoc(ensured.index!, docId, parsed.value, opType);
        if (out.error) return osError(out.status, out.error.type, out.error.reason, { index_uuid: ensured.index!.uuid, shard: "0", index: name });
        return { status: out.status, body: { _index: name, _id: docId, _version: out.doc!.version, result: out.result, _shards: SHARDS, _seq_no: out.doc!.seqNo, _primary_term: 1 } };
    }
    return undefined;
}

/** Indices a name or a `*` pattern (comma-separated) names, in name order. */
export function resolveIndices(state: PeerState, expr: string): IndexState[] {
    return [...state.indices.values()].filter(ix => matchesAny(expr.split(","), ix.name)).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `PUT /<indices>/_settings`: only dynamic settings may change on an open index; `number_of_shards` is fixed
 * at creation (https://docs.opensearch.org/latest/api-reference/index-apis/update-settings/). A pattern that
 * matches nothing is fine with `allow_no_indices` (the default for wildcards); a missing concrete index is 404.
 */
function updateSettings(state: PeerState, req: PeerRequest, expr: string): Reply {
    const parsed = parseJson(req);
    if (parsed.error) return parsed.error;
    const next = flattenSettings(parsed.value ?? {});
    if ("index.number_of_shards" in next) {
        return osError(400, "illegal_argument_exception", "Can't update non dynamic settings [[index.number_of_shards]] for open indices");
    }
    const targets = resolveIndices(state, expr);
    if (targets.length === 0 && !expr.includes("*")) return osError(404, "index_not_found_exception", `no such index [${expr}]`);
    for (const ix of targets) Object.assign(ix.settings, next);
    return { status: 200, body: { acknowledged: true } };
}

export function catIndices(state: PeerState, req: PeerRequest): Reply {
    const rows = [...state.indices.values()].sort((a, b) => a.name.localeCompare(b.name)).map(ix => {
        const size = `${Math.max(208, ix.docs.size * 500) / 1000}kb`;
        const s = indexShards(ix);
        return { health: s.replicas > state.dataNodes - 1 ? "yellow" : "green", status: "open", index: ix.name, uuid: ix.uuid, pri: String(s.primaries), rep: String(s.replicas),
            "docs.count": String(ix.docs.size), "docs.deleted": "0", "store.size": size, "pri.store.size": size };
    });
    if (req.query.get("format") === "json") return { status: 200, body: rows };
    const text = rows.map(r => Object.values(r).join(" ")).join("\n") + (rows.length ? "\n" : "");
    return { status: 200, body: text, contentType: "text/plain; charset=UTF-8" };
}

