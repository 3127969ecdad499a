import { osError, parseJson, PeerRequest, PeerState, Reply, resolveIndices } from "./opensearchPeerIndices";
import type { IndexState } from "./opensearchPeerIndices";
import { matchesAny } from "./opensearchPeerMapping";
import type { PluginState, Versioned } from "./opensearchPeerPlugins";
import { clusterHealth } from "./opensearchPeerCluster";

/**
 * Index State Management in the peer, with the behaviour guardpost's retention depends on
 * (https://docs.opensearch.org/latest/im-plugin/ism/index/ and …/ism/api/):
 * - a new index whose name matches a policy's `ism_template` is managed by it (highest priority wins);
 * - each managed index runs the policy version it was attached with — ISM keeps its own copy — so updating
 *   the policy changes nothing for it until `change_policy` moves it ("Updates the managed index policy to a new
 *   policy (or to a new version of the policy)");
 * - a change that only alters a transition condition "takes place immediately in its next execution";
 * - the job evaluates `min_index_age` against the index's creation date and runs a `delete` action;
 * - "ISM doesn't run jobs if the cluster state is red" (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ism.html).
 */

export interface ManagedIndex {
    policyId: string;
    /** `_seq_no` / `_primary_term` of the policy version this index runs (what explain reports). */
    policySeqNo: number;
    policyPrimaryTerm: number;
    /** The cached policy document the job runs. */
    policy: any;
    state: string;
    /** Set by change_policy; applied at the job's next run. */
    pendingChange?: { policyId: string; state?: string };
}

function attach(p: PluginState, index: string, policyId: string): void {
    const v = p.ismPolicies.get(policyId)!;
    p.ismManaged.set(index, { policyId, policySeqNo: v.seqNo, policyPrimaryTerm: v.primaryTerm, policy: structuredClone(v.doc), state: v.doc.default_state });
}

/** The `ism_template` match for a newly created index. */
export function attachByTemplate(p: PluginState, ix: IndexState): void {
    let best: { id: string; priority: number } | undefined;
    for (const [id, v] of p.ismPolicies) {
        for (const t of [v.doc.ism_template ?? []].flat()) {
            if (matchesAny(t.index_patterns ?? [], ix.name) && (!best || (t.priority ?? 0) > best.priority)) best = { id, priority: t.priority ?? 0 };
        }
    }
    if (best) attach(p, ix.name, best.id);
}

/** `1d`, `12h`, `30m`, `45s` → milliseconds (ISM's time values). */
export function timeValueMs(v: string): number {
    const m = /^(\d+)(d|h|m|s|ms)$/.exec(String(v));
    if (!m) throw new Error(`bad time value ${v}`);
    return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as "d"];
}

/**
 * One pass of every ISM job at the peer's clock. Returns the indices it deleted. Real jobs run every 5–8
 * minutes; a test calls this once per simulated day.
 */
export function runIsm(state: PeerState, p: PluginState): string[] {
    if (clusterHealth(state).status === "red") return [];
    const deleted: string[] = [];
    for (const [name, m] of [...p.ismManaged]) {
        const ix = state.indices.get(name);
        if (!ix) { p.ismManaged.delete(name); continue; }
        if (m.pendingChange) {
            const v = p.ismPolicies.get(m.pendingChange.policyId);
            if (v) {
                Object.assign(m, { policyId: m.pendingChange.policyId, policySeqNo: v.seqNo, policyPrimaryTerm: v.primaryTerm, policy: structuredClone(v.doc) });
                if (m.pendingChange.state) m.state = m.pendingChange.state;
            }
            m.pendingChange = undefined;
        }
        const current = (m.policy.states ?? []).find((s: any) => s.name === m.state);
        for (const t of current?.transitions ?? []) {
            const age = t.conditions?.min_index_age;
            if (age === undefined || state.now() - ix.createdAt >= timeValueMs(age)) { m.state = t.state_name; break; }
        }
        const now = (m.policy.states ?? []).find((s: any) => s.name === m.state);
        if ((now?.actions ?? []).some((a: any) => "delete" in a)) {
            state.indices.delete(name);
            p.ismManaged.delete(name);
            deleted.push(name);
        }
    }
    return deleted;
}

function ismValidate(policy: any): string | undefined {
    const states: any[] = policy?.states;
    if (!Array.isArray(states) || states.length === 0) return "Policy must have at least one state";
    const names = new Set(states.map(s => s.name));
    if (!names.has(policy.default_state)) return `Policy default_state [${policy.default_state}] must be a valid state`;
    for (const s of states) for (const t of s.transitions ?? []) {
        if (!names.has(t.state_name)) return `Policy has transition to state [${t.state_name}] that does not exist`;
    }
    return undefined;
}

function explain(state: PeerState, p: PluginState, expr: string, showPolicy: boolean): Reply {
    const out: Record<string, unknown> = {};
    const names = expr.includes("*") ? resolveIndices(state, expr).map(ix => ix.name) : expr.split(",");
    for (const name of names) {
        const m = p.ismManaged.get(name);
        out[name] = m
            ? { "index.plugins.index_state_management.policy_id": m.policyId, "index.opendistro.index_state_management.policy_id": m.policyId, index: name,
                index_uuid: state.indices.get(name)?.uuid, policy_id: m.policyId, policy_seq_no: m.policySeqNo, policy_primary_term: m.policyPrimaryTerm,
                state: { name: m.state }, enabled: true, ...(showPolicy ? { policy: m.policy } : {}) }
            : { "index.plugins.index_state_management.policy_id": null };
    }
    return { status: 200, body: { ...out, total_managed_indices: Object.values(out).filter((v: any) => v.policy_id).length } };
}

/** `POST _plugins/_ism/change_policy/<index|pattern>` {policy_id, state?, include?: [{state}]}. */
function changePolicy(state: PeerState, p: PluginState, expr: string, req: PeerRequest): Reply {
    const body = parseJson(req).value ?? {};
    if (!body.policy_id) return osError(400, "illegal_argument_exception", "Missing policy_id");
    if (!p.ismPolicies.has(body.policy_id)) return osError(404, "resource_not_found_exception", `Could not find policy=${body.policy_id}`);
    const include: string[] = (body.include ?? []).map((i: any) => i.state);
    let updated = 0;
    const failed: any[] = [];
    for (const ix of resolveIndices(state, expr)) {
        const m = p.ismManaged.get(ix.name);
        if (!m) { failed.push({ index_name: ix.name, index_uuid: ix.uuid, reason: "This index is not being managed." }); continue; }
        if (include.length > 0 && !include.includes(m.state)) continue;
        m.pendingChange = { policyId: body.policy_id, state: body.state };
        updated++;
    }
    return { status: 200, body: { updated_indices: updated, failures: failed.length > 0, failed_indices: failed } };
}

export function ismApi(state: PeerState, p: PluginState, req: PeerRequest): Reply | undefined {
    const [, , kind, id] = req.segments;
    if (kind === "explain" && req.method === "GET") return explain(state, p, id ?? "", req.query.get("show_policy") === "true");
    if (kind === "change_policy" && req.method === "POST") return changePolicy(state, p, id ?? "", req);
    if (kind !== "policies" || !id) return undefined;
    const existing = p.ismPolicies.get(id);
    const notFound = () => osError(404, "status_exception", "Policy not found");
    const view = (v: Versioned<any>) => ({ _id: id, _version: v.version, _seq_no: v.seqNo, _primary_term: v.primaryTerm });
    switch (req.method) {
        case "GET": return existing ? { status: 200, body: { ...view(existing), policy: existing.doc } } : notFound();
        case "DELETE":
            if (!existing) return { status: 404, body: { _index: ".opendistro-ism-config", _id: id, _version: 1, result: "not_found", _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: p.seqNo, _primary_term: 1 } };
            p.ismPolicies.delete(id);
            return { status: 200, body: { _index: ".opendistro-ism-config", _id: id, _version: existing.version + 1, result: "deleted", _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: ++p.seqNo, _primary_term: 1 } };
        case "PUT": {
            const parsed = parseJson(req);
            if (parsed.error) return parsed.error;
            const policy = parsed.value?.policy;
            if (!policy) return osError(400, "illegal_argument_exception", "Required [policy] is missing");
            const invalid = ismValidate(policy);
            if (invalid) return osError(400, "illegal_argument_exception", invalid);
            for (const [otherId, other] of p.ismPolicies) {
                if (otherId === id) continue;
                for (const t of [policy.ism_template ?? []].flat()) for (const o of [other.doc.ism_template ?? []].flat()) {
                    if ((t.priority ?? 0) === (o.priority ?? 0) && t.index_patterns?.some((x: string) => o.index_patterns?.some((y: string) => matchesAny([x], y) || matchesAny([y], x)))) {
                        return osError(400, "illegal_argument_exception", `New policy ${id} has an ISM template with index pattern ${JSON.stringify(t.index_patterns)} matching existing policy templates, please use a different priority than ${t.priority ?? 0}`);
                    }
                }
            }
            const ifSeq = req.query.get("if_seq_no");
            const ifTerm = req.query.get("if_primary_term");
            if (existing) {
                if (ifSeq === null || ifTerm === null) {
                    return osError(409, "version_conflict_engine_exception", `[${id}]: version conflict, document already exists (current version [${existing.version}])`, { index: ".opendistro-ism-config", shard: "0" });
                }
                if (Number(ifSeq) !== existing.seqNo || Number(ifTerm) !== existing.primaryTerm) {
                    return osError(409, "version_conflict_engine_exception", `[${id}]: version conflict, required seqNo [${ifSeq}], primary term [${ifTerm}]. current document has seqNo [${existing.seqNo}] and primary term [${existing.primaryTerm}]`, { index: ".opendistro-ism-config", shard: "0" });
                }
            }
            const stored: Versioned<any> = {
                doc: { policy_id: id, description: policy.description ?? "", last_updated_time: state.now(), schema_version: 19,
                    error_notification: policy.error_notification ?? null, default_state: policy.default_state, states: policy.states,
                    ism_template: policy.ism_template ?? null },
                version: (existing?.version ?? 0) + 1, seqNo: ++p.seqNo, primaryTerm: 1,
            };
            p.ismPolicies.set(id, stored);
            return { status: existing ? 200 : 201, body: { ...view(stored), policy: { policy: stored.doc } } };
        }
    }
    return undefined;
}
