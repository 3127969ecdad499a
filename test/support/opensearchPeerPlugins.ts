import { randomBytes } from "crypto";
import { IndexState, osError, parseJson, PeerRequest, PeerState, Reply } from "./opensearchPeerIndices";
import { matchesAny } from "./opensearchPeerMapping";
import { attachByTemplate, type ManagedIndex } from "./opensearchPeerIsm";

/**
 * The plugin APIs of the OpenSearch peer — ISM, the security plugin's roles and role mappings,
 * Dashboards saved objects and anomaly detection — with their own (inconsistent, but real) reply shapes:
 * ISM and AD use the OpenSearch error envelope, the security plugin `{status, message}`, and Dashboards
 * the hapi `{statusCode, error, message}`.
 */

export interface Versioned<T> { doc: T; version: number; seqNo: number; primaryTerm: number }

export interface SecurityEntry { reserved?: boolean; hidden?: boolean; static?: boolean; [k: string]: unknown }

export interface PluginState {
    seqNo: number;
    ismPolicies: Map<string, Versioned<any>>;
    /** Index name → the ISM job that manages it (attached through `ism_template` on creation; see opensearchPeerIsm.ts). */
    ismManaged: Map<string, ManagedIndex>;
    roles: Map<string, SecurityEntry>;
    rolesMapping: Map<string, SecurityEntry>;
    savedObjects: Map<string, { type: string; id: string; attributes: any; references: any[]; version: number; updated_at: string }>;
    detectors: Map<string, Versioned<any> & { job?: { enabled: boolean; enabled_time?: number; disabled_time?: number } }>;
    /** `_plugins/_security/api/audit`: the config, and JSON pointers the domain does not let users change. */
    audit: { config: any; readonly: string[] };
}

/** The security plugin's audit defaults, disabled as on a new Amazon OpenSearch Service domain. */
function defaultAudit(): any {
    return {
        enabled: false,
        audit: { enable_rest: true, disabled_rest_categories: ["AUTHENTICATED", "GRANTED_PRIVILEGES"], enable_transport: true,
            disabled_transport_categories: ["AUTHENTICATED", "GRANTED_PRIVILEGES"], resolve_bulk_requests: false, log_request_body: true,
            resolve_indices: true, exclude_sensitive_headers: true, ignore_users: ["kibanaserver"], ignore_requests: [] },
        compliance: { enabled: true, internal_config: true, external_config: false, read_metadata_only: true, read_watched_fields: {},
            read_ignore_users: ["kibanaserver"], write_metadata_only: true, write_log_diffs: false, write_watched_indices: [], write_ignore_users: ["kibanaserver"] },
    };
}

export function newPluginState(state: PeerState, masterBackendRoles: string[], auditReadonly: string[] = []): PluginState {
    const plugins: PluginState = {
        audit: { config: defaultAudit(), readonly: auditReadonly },
        seqNo: 0, ismPolicies: new Map(), ismManaged: new Map(), savedObjects: new Map(), detectors: new Map(),
        roles: new Map<string, SecurityEntry>([
            ["all_access", { reserved: true, hidden: false, static: true, description: "Allow full access to all indices and all cluster APIs", cluster_permissions: ["*"], index_permissions: [{ index_patterns: ["*"], fls: [], masked_fields: [], allowed_actions: ["*"] }], tenant_permissions: [{ tenant_patterns: ["*"], allowed_actions: ["kibana_all_write"] }] }],
            ["security_manager", { reserved: true, hidden: false, static: true, description: "Provide access to the security configuration", cluster_permissions: ["cluster_monitor", "restapi:admin/*"], index_permissions: [], tenant_permissions: [] }],
            ["readall", { reserved: true, hidden: false, static: true, description: "Provide the minimum permissions to read all the data", cluster_permissions: ["cluster_composite_ops_ro"], index_permissions: [{ index_patterns: ["*"], allowed_actions: ["read"] }], tenant_permissions: [] }],
            // Predefined roles (https://docs.opensearch.org/latest/security/access-control/users-roles/#predefined-roles), permissions as the plugin's static roles define them.
            ["opensearch_dashboards_user", { reserved: true, hidden: false, static: true, description: "Provide the minimum permissions for a Dashboards user", cluster_permissions: ["cluster_composite_ops"],
                index_permissions: [{ index_patterns: [".kibana", ".kibana-6", ".kibana_*", ".opensearch_dashboards", ".opensearch_dashboards-6", ".opensearch_dashboards_*"], allowed_actions: ["read", "delete", "manage", "index"] },
                    { index_patterns: [".tasks", ".management-beats*", "*:.tasks", "*:.management-beats*"], allowed_actions: ["indices_all"] }], tenant_permissions: [] }],
            ["alerting_read_access", { reserved: true, hidden: false, static: true, description: "Provide the minimum permissions for read access to the alerting plugin",
                cluster_permissions: ["cluster:admin/opendistro/alerting/alerts/get", "cluster:admin/opendistro/alerting/destination/get", "cluster:admin/opendistro/alerting/monitor/get", "cluster:admin/opendistro/alerting/monitor/search", "cluster:admin/opensearch/alerting/findings/get"], index_permissions: [], tenant_permissions: [] }],
            ["anomaly_read_access", { reserved: true, hidden: false, static: true, description: "Provide the minimum permissions for read access to the anomaly detection plugin",
                cluster_permissions: ["cluster:admin/opendistro/ad/detector/info", "cluster:admin/opendistro/ad/detector/search", "cluster:admin/opendistro/ad/detectors/get", "cluster:admin/opendistro/ad/result/search", "cluster:admin/opendistro/ad/tasks/search"], index_permissions: [], tenant_permissions: [] }],
            ["security_analytics_read_access", { reserved: true, hidden: false, static: true, description: "Provide the minimum permissions for read access to the security analytics plugin",
                cluster_permissions: ["cluster:admin/opensearch/securityanalytics/alerts/get", "cluster:admin/opensearch/securityanalytics/detector/get", "cluster:admin/opensearch/securityanalytics/detector/search",
                    "cluster:admin/opensearch/securityanalytics/findings/get", "cluster:admin/opensearch/securityanalytics/mapping/get", "cluster:admin/opensearch/securityanalytics/mapping/view/get",
                    "cluster:admin/opensearch/securityanalytics/rule/get", "cluster:admin/opensearch/securityanalytics/rule/search"], index_permissions: [], tenant_permissions: [] }],
        ]),
        rolesMapping: new Map<string, SecurityEntry>([
            ["all_access", { reserved: false, hidden: false, backend_roles: [...masterBackendRoles], hosts: [], users: [], and_backend_roles: [] }],
            ["security_manager", { reserved: false, hidden: false, backend_roles: [...masterBackendRoles], hosts: [], users: [], and_backend_roles: [] }],
        ]),
    };
    state.onIndexCreated.push((ix: IndexState) => attachByTemplate(plugins, ix));
    return plugins;
}

// ---- Security plugin -------------------------------------------------------------------------------

const ROLE_KEYS = new Set(["cluster_permissions", "index_permissions", "tenant_permissions", "description"]);
const MAPPING_KEYS = new Set(["backend_roles", "and_backend_roles", "hosts", "users", "description"]);

function sec(status: number, statusText: string, message: string): Reply {
    return { status, body: { status: statusText, message } };
}

function pointer(path: string): string[] {
    return path.split("/").slice(1).map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** RFC 6902 add/remove/replace/test over a plain JSON value; throws a message on failure. */
export function jsonPatch(doc: any, ops: any[]): any {
    const out = structuredClone(doc);
    for (const op of ops) {
        const parts = pointer(op.path ?? "");
        if (parts.length === 0) throw new Error(`invalid path for ${op.op}: ${op.path}`);
        const last = parts.pop()!;
        let parent = out;
        for (const k of parts) {
            if (parent === null || typeof parent !== "object" || !(k in parent)) throw new Error(`Path ${op.path} does not exist`);
            parent = parent[k];
        }
        const isArr = Array.isArray(parent);
        const idx = isArr ? (last === "-" ? parent.length : Number(last)) : -1;
        switch (op.op) {
            case "add":
                if (isArr) parent.splice(idx, 0, structuredClone(op.value)); else parent[last] = structuredClone(op.value);
                break;
            case "replace": case "remove":
                if (isArr ? !(idx >= 0 && idx < parent.length) : !(last in parent)) throw new Error(`Path ${op.path} does not exist`);
                if (op.op === "remove") { if (isArr) parent.splice(idx, 1); else delete parent[last]; }
                else if (isArr) parent[idx] = structuredClone(op.value); else parent[last] = structuredClone(op.value);
                break;
            case "test":
                if (JSON.stringify(isArr ? parent[idx] : parent[last]) !== JSON.stringify(op.value)) throw new Error(`test failed for path ${op.path}`);
                break;
            default: throw new Error(`unsupported op ${op.op}`);
        }
    }
    return out;
}

function at(doc: any, pointerPath: string): unknown {
    return pointer(pointerPath).reduce((o, k) => o?.[k], doc);
}

function auditApi(p: PluginState, req: PeerRequest): Reply | undefined {
    const sub = req.segments[4];
    if (req.method === "GET" && sub === undefined) return { status: 200, body: { _readonly: p.audit.readonly, config: p.audit.config } };
    if (req.method !== "PUT" || sub !== "config") return undefined;
    const parsed = parseJson(req);
    const next = parsed.value;
    if (parsed.error || !next || typeof next !== "object") return sec(400, "BAD_REQUEST", "Request body required for this action.");
    const invalid = Object.keys(next).filter(k => !["enabled", "audit", "compliance"].includes(k));
    if (invalid.length || typeof next.enabled !== "boolean") return { status: 400, body: { status: "error", reason: "Invalid configuration", invalid_keys: { keys: invalid.join(",") || "enabled" } } };
    // Message approximated: the domain refuses changes to its read-only audit settings.
    const changed = p.audit.readonly.filter(ro => JSON.stringify(at({ config: next }, `/config${ro}`) ?? null) !== JSON.stringify(at(p.audit, `/config${ro}`) ?? null));
    if (changed.length) return sec(409, "CONFLICT", `Read-only fields cannot be changed: ${changed.join(", ")}`);
    p.audit.config = structuredClone(next);
    return sec(200, "OK", "'config' updated.");
}

export function securityApi(p: PluginState, req: PeerRequest): Reply | undefined {
    const [, , , kind, name] = req.segments;
    if (kind === "audit") return auditApi(p, req);
    const store = kind === "roles" ? p.roles : kind === "rolesmapping" ? p.rolesMapping : undefined;
    if (!store) return undefined;
    const keys = kind === "roles" ? ROLE_KEYS : MAPPING_KEYS;
    const visible = (n: string) => store.has(n) && !store.get(n)!.hidden;
    const notFound = () => sec(404, "NOT_FOUND", `Resource '${name}' not found.`);
    const readOnly = (n: string) => store.get(n)?.reserved || store.get(n)?.static;
    switch (req.method) {
        case "GET":
            if (!name) return { status: 200, body: Object.fromEntries([...store].filter(([n]) => visible(n))) };
            return visible(name) ? { status: 200, body: { [name]: store.get(name) } } : notFound();
        case "DELETE":
            if (!visible(name)) return notFound();
            if (readOnly(name)) return sec(403, "FORBIDDEN", `Resource '${name}' is read-only.`);
            store.delete(name);
            return sec(200, "OK", `'${name}' deleted.`);
        case "PUT": {
            if (!name) return sec(405, "METHOD_NOT_ALLOWED", "No name given");
            if (store.get(name)?.hidden) return notFound();
            if (readOnly(name)) return sec(403, "FORBIDDEN", `Resource '${name}' is read-only.`);
            const parsed = parseJson(req);
            if (parsed.error || !parsed.value || typeof parsed.value !== "object") return sec(400, "BAD_REQUEST", "Request body required for this action.");
            const invalid = Object.keys(parsed.value).filter(k => !keys.has(k));
            if (invalid.length) return { status: 400, body: { status: "error", reason: "Invalid configuration", invalid_keys: { keys: invalid.join(",") } } };
            if (kind === "rolesmapping" && !p.roles.has(name)) return sec(404, "NOT_FOUND", `role '${name}' not found.`);
            const existed = store.has(name);
            store.set(name, { reserved: false, hidden: false, ...(kind === "roles" ? { static: false } : {}), ...parsed.value });
            return existed ? sec(200, "OK", `'${name}' updated.`) : sec(201, "CREATED", `'${name}' created.`);
        }
        case "PATCH": {
            const parsed = parseJson(req);
            if (parsed.error || !Array.isArray(parsed.value)) return sec(400, "BAD_REQUEST", "Request body required for this action.");
            if (name && !visible(name)) return notFound();
            if (name && readOnly(name)) return sec(403, "FORBIDDEN", `Resource '${name}' is read-only.`);
            try {
                if (name) {
                    const { reserved, hidden, static: st, ...entry } = store.get(name)!;
                    const next = jsonPatch(entry, parsed.value);
                    const invalid = Object.keys(next).filter(k => !keys.has(k));
                    if (invalid.length) return { status: 400, body: { status: "error", reason: "Invalid configuration", invalid_keys: { keys: invalid.join(",") } } };
                    store.set(name, { reserved, hidden, ...(st === undefined ? {} : { static: st }), ...next });
                } else {
                    const next = jsonPatch(Object.fromEntries(store), parsed.value);
                    store.clear();
                    for (const [n, e] of Object.entries(next)) store.set(n, e as SecurityEntry);
                }
            } catch (e) {
                return sec(400, "BAD_REQUEST", (e as Error).message);
            }
            return sec(200, "OK", "Resource updated.");
        }
    }
    return undefined;
}

// ---- Dashboards saved objects ----------------------------------------------------------------------

const SAVED_TYPES = new Set(["index-pattern", "visualization", "dashboard", "search", "config", "query"]);

function hapi(status: number, error: string, message: string): Reply {
    return { status, body: { statusCode: status, error, message } };
}

export function dashboardsApi(p: PluginState, req: PeerRequest): Reply | undefined {
    // segments: _dashboards api saved_objects <type> <id>
    const [, api, so, type, id] = req.segments;
    if (api !== "api" || so !== "saved_objects" || !type) return undefined;
    // POST, PUT and DELETE need `osd-xsrf: true`, else 400 "Request must contain a osd-xsrf header."
    // (https://docs.opensearch.org/latest/dashboards/management/saved-objects-api/, https://docs.opensearch.org/latest/troubleshoot/).
    if (req.method !== "GET" && req.headers["osd-xsrf"] === undefined) return hapi(400, "Bad Request", "Request must contain a osd-xsrf header.");
    if (!SAVED_TYPES.has(type)) return hapi(400, "Bad Request", `Unsupported saved object type: '${type}': Bad Request`);
    const key = `${type}/${id}`;
    const existing = p.savedObjects.get(key);
    const notFound = () => hapi(404, "Not Found", `Saved object [${key}] not found`);
    const view = (o: NonNullable<typeof existing>) => ({ type: o.type, id: o.id, attributes: o.attributes, references: o.references,
        updated_at: o.updated_at, version: Buffer.from(JSON.stringify([o.version, 1])).toString("base64"), namespaces: ["default"] });
    switch (req.method) {
        case "GET": return existing ? { status: 200, body: view(existing) } : notFound();
        case "DELETE":
            if (!existing) return notFound();
            p.savedObjects.delete(key);
            return { status: 200, body: {} };
        case "POST": case "PUT": {
            const parsed = parseJson(req);
            if (parsed.error) return hapi(400, "Bad Request", "Invalid request payload JSON format");
            const attrs = parsed.value?.attributes;
            if (!attrs || typeof attrs !== "object") return hapi(400, "Bad Request", "[request body.attributes]: expected value of type [object] but got [undefined]");
            if (req.method === "PUT" && !existing) return notFound();
            if (req.method === "POST" && existing && req.query.get("overwrite") !== "true") return hapi(409, "Conflict", `Saved object [${key}] conflict`);
            if (type === "index-pattern" && typeof attrs.title !== "string") return hapi(400, "Bad Request", "[request body.attributes.title]: expected value of type [string]");
            const o = { type, id: id ?? randomBytes(16).toString("hex"), attributes: req.method === "PUT" ? { ...existing!.attributes, ...attrs } : attrs,
                references: parsed.value.references ?? [], version: (existing?.version ?? 0) + 1, updated_at: new Date().toISOString() };
            p.savedObjects.set(`${type}/${o.id}`, o);
            return { status: 200, body: view(o) };
        }
    }
    return undefined;
}

// ---- Anomaly detection -----------------------------------------------------------------------------

function adError(status: number, reason: string): Reply {
    return osError(status, "status_exception", reason);
}

function fieldType(indices: IndexState[], path: string): string | undefined {
    for (const ix of indices) {
        let props: any = ix.mappings.properties ?? {};
        const parts = path.split(".");
        let def: any;
        for (const [i, part] of parts.entries()) {
            def = props?.[part];
            if (!def) break;
            if (i < parts.length - 1) props = def.properties;
        }
        if (def) return def.type ?? "object";
    }
    return undefined;
}

function validateDetector(state: PeerState, p: PluginState, d: any, selfId?: string): Reply | undefined {
    for (const k of ["name", "time_field", "indices"]) if (d?.[k] === undefined) return osError(400, "parsing_exception", `Failed to parse detector: missing [${k}]`);
    for (const [id, other] of p.detectors) {
        if (id !== selfId && other.doc.name === d.name) return adError(400, `Cannot create anomaly detector with name [${d.name}] as it's already used by another detector`);
    }
    const indices = [...state.indices.values()].filter(ix => matchesAny(d.indices, ix.name));
    // Create/update validation and the start/stop/delete refusals below follow the Anomaly Detection API
    // (https://docs.opensearch.org/latest/observing-your-data/ad/api/): a detector needs documents and a date
    // time field in its indices, a running job must be stopped before the detector is updated or deleted.
    if (indices.every(ix => ix.docs.size === 0)) return adError(400, `Can't create anomaly detector as no document is found in the indices: ${JSON.stringify(d.indices)}`);
    const tf = fieldType(indices, d.time_field);
    if (!tf) return adError(400, `Can't find time field ${d.time_field}`);
    if (tf !== "date" && tf !== "date_nanos") return adError(400, `${d.time_field} is not type of date`);
    const cats: string[] = d.category_field ?? [];
    if (cats.length > 2) return adError(400, "We can have only 2 categorical fields.");
    for (const c of cats) {
        const t = fieldType(indices, c);
        if (!t) return adError(400, `Can't find the categorical field ${c}`);
        if (t !== "keyword" && t !== "ip") return adError(400, "A categorical field must be of type keyword or ip.");
    }
    return undefined;
}

export function adApi(state: PeerState, p: PluginState, req: PeerRequest): Reply | undefined {
    const [, , kind, id, action] = req.segments;
    if (kind !== "detectors") return undefined;
    const existing = id ? p.detectors.get(id) : undefined;
    const head = (did: string, v: Versioned<any>) => ({ _id: did, _version: v.version, _seq_no: v.seqNo, _primary_term: v.primaryTerm });
    if (id === "_search" && req.method !== "DELETE") {
        if (p.detectors.size === 0) return osError(404, "index_not_found_exception", "no such index [.opendistro-anomaly-detectors]", { index: ".opendistro-anomaly-detectors" });
        const term = parseJson(req).value?.query?.term ?? {};
        const wanted = term["name.keyword"] ?? term.name;
        const hits = [...p.detectors].filter(([, d]) => wanted === undefined || d.doc.name === (wanted?.value ?? wanted))
            .map(([did, d]) => ({ _index: ".opendistro-anomaly-detectors", _id: did, _version: d.version, _seq_no: d.seqNo, _primary_term: d.primaryTerm, _score: 1, _source: d.doc }));
        return { status: 200, body: { took: 1, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
            hits: { total: { value: hits.length, relation: "eq" }, max_score: hits.length ? 1 : null, hits } } };
    }
    if (id && !existing) return adError(404, `Can't find config with id: ${id}`);
    if (action === "_start" && req.method === "POST") {
        if (!existing!.doc.feature_attributes?.length) return adError(400, "Can't start detector job as no features configured");
        if (!existing!.doc.feature_attributes.some((f: any) => f.feature_enabled)) return adError(400, "Can't start detector job as no enabled features configured");
        if (existing!.job?.enabled) return { status: 200, body: { error: { root_cause: [{ type: "status_exception", reason: `Anomaly detector job is already running: ${id}` }], type: "status_exception", reason: `Anomaly detector job is already running: ${id}` }, status: 200 } };
        existing!.job = { enabled: true, enabled_time: Date.now() };
        return { status: 200, body: head(id, existing!) };
    }
    if (action === "_stop" && req.method === "POST") {
        if (!existing!.job?.enabled) return adError(400, `Anomaly detector job is already stopped: ${id}`);
        existing!.job = { ...existing!.job, enabled: false, disabled_time: Date.now() };
        return { status: 200, body: head(id, existing!) };
    }
    if (action !== undefined) return undefined;
    switch (req.method) {
        case "GET": {
            if (!id) return undefined;
            const body: any = { ...head(id, existing!), anomaly_detector: existing!.doc };
            if (req.query.get("job") === "true" && existing!.job) body.anomaly_detector_job = { name: id, enabled: existing!.job.enabled, enabled_time: existing!.job.enabled_time, disabled_time: existing!.job.disabled_time };
            return { status: 200, body };
        }
        case "DELETE":
            if (existing!.job?.enabled) return adError(400, `Detector job is running: ${id}`);
            p.detectors.delete(id);
            return { status: 200, body: { _index: ".opendistro-anomaly-detectors", _id: id, _version: existing!.version + 1, result: "deleted", _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: ++p.seqNo, _primary_term: 1 } };
        case "POST": case "PUT": {
            if (req.method === "PUT" && !id) return undefined;
            if (existing?.job?.enabled) return adError(400, `Detector job is running: ${id}`);
            const parsed = parseJson(req);
            if (parsed.error) return parsed.error;
            const invalid = validateDetector(state, p, parsed.value, id);
            if (invalid) return invalid;
            const did = id ?? randomBytes(15).toString("base64url").slice(0, 20);
            const stored = { doc: { ...parsed.value, last_update_time: Date.now(), schema_version: 0 }, version: (existing?.version ?? 0) + 1, seqNo: ++p.seqNo, primaryTerm: 1, job: existing?.job };
            p.detectors.set(did, stored);
            return { status: id ? 200 : 201, body: { ...head(did, stored), anomaly_detector: stored.doc } };
        }
    }
    return undefined;
}
