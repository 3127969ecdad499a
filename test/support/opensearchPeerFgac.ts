import type { PeerRequest, Reply } from "./opensearchPeerIndices";
import { matchesAny } from "./opensearchPeerMapping";
import type { PluginState, SecurityEntry } from "./opensearchPeerPlugins";

/**
 * Fine-grained access control in the peer: every signed request is authorized as the security plugin does —
 * the caller's IAM role ARN is its backend role, role mappings turn backend roles into roles, and a role allows
 * an action when one of its cluster permissions (cluster-level actions) or index permissions on every target
 * index (index-level actions) matches it after action groups are expanded
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html,
 * https://docs.opensearch.org/latest/security/access-control/permissions/). Action groups: the plugin's
 * defaults (https://docs.opensearch.org/latest/security/access-control/default-action-groups/). The security
 * REST API needs `restapi:admin/*`, which AWS grants through `security_manager` (and `all_access`).
 */

export const ACTION_GROUPS: Record<string, string[]> = {
    unlimited: ["*"],
    cluster_all: ["cluster:*"],
    cluster_monitor: ["cluster:monitor/*"],
    cluster_composite_ops_ro: ["indices:data/read/mget", "indices:data/read/msearch", "indices:data/read/mtv", "indices:admin/aliases/exists*", "indices:admin/aliases/get*", "indices:data/read/scroll", "indices:admin/resolve/index"],
    cluster_composite_ops: ["indices:data/write/bulk", "indices:admin/aliases*", "indices:data/write/reindex", "cluster_composite_ops_ro"],
    cluster_manage_index_templates: ["indices:admin/template/*", "indices:admin/index_template/*", "cluster:admin/component_template/*"],
    indices_all: ["indices:*"],
    get: ["indices:data/read/get*", "indices:data/read/mget*"],
    read: ["indices:data/read*", "indices:admin/mappings/fields/get*", "indices:admin/resolve/index"],
    write: ["indices:data/write*", "indices:admin/mapping/put"],
    delete: ["indices:data/write/delete*"],
    crud: ["read", "write"],
    search: ["indices:data/read/search*", "indices:data/read/msearch*", "indices:admin/resolve/index", "indices:data/read/suggest*"],
    create_index: ["indices:admin/create", "indices:admin/mapping/put"],
    indices_monitor: ["indices:monitor/*"],
    index: ["indices:data/write/index*", "indices:data/write/update*", "indices:admin/mapping/put", "indices:data/write/bulk*"],
    data_access: ["indices:data/*", "crud"],
    manage: ["indices:monitor/*", "indices:admin/*"],
};

export function expand(perms: string[]): string[] {
    return perms.flatMap(p => (ACTION_GROUPS[p] ? expand(ACTION_GROUPS[p]) : [p]));
}

/** What a request asks for: a cluster-level action, or an index-level action on some indices. */
export type Wanted = { cluster: string } | { index: string; indices: string[] } | undefined;

/** The action the security plugin checks for each route the peer serves (OpenSearch's REST → transport action names). */
export function actionOf(req: PeerRequest, exists: (index: string) => boolean): Wanted {
    const [first, second, third, fourth] = req.segments;
    const m = req.method;
    if (first === undefined) return { cluster: "cluster:monitor/main" };
    if (first === "_bulk") return { cluster: "indices:data/write/bulk" };
    if (first === "_cluster") return { cluster: "cluster:monitor/health" };
    if (first === "_cat") return { cluster: "cluster:monitor/state" };
    if (first === "_index_template") return { cluster: `indices:admin/index_template/${m === "GET" || m === "HEAD" ? "get" : m === "DELETE" ? "delete" : "put"}` };
    if (first === "_component_template") return { cluster: `cluster:admin/component_template/${m === "GET" || m === "HEAD" ? "get" : m === "DELETE" ? "delete" : "put"}` };
    if (first === "_plugins" && second === "_security") return { cluster: `restapi:admin/${fourth ?? "info"}` };
    if (first === "_plugins" && second === "_ism") return { cluster: `cluster:admin/opendistro/ism/${third}/${m === "GET" ? "get" : "write"}` };
    if (first === "_plugins" && second === "_anomaly_detection") return { cluster: `cluster:admin/opendistro/ad/detector/${m === "GET" ? "info" : fourth === "_search" ? "search" : "write"}` };
    if (first === "_plugins" && second === "_security_analytics") {
        return { cluster: `cluster:admin/opensearch/securityanalytics/${(third ?? "").replace(/s$/, "")}/${fourth === "_search" ? "search" : m === "GET" ? "get" : "write"}` };
    }
    if (first === "_plugins" && second === "_alerting") return { cluster: `cluster:admin/opendistro/alerting/monitor/${fourth === "_search" ? "search" : m === "GET" ? "get" : "write"}` };
    if (first === "_plugins") return { cluster: `cluster:admin/opensearch/${second.replace(/^_/, "")}/${third ?? ""}/${m === "GET" ? "get" : "write"}` };
    // Dashboards keeps saved objects in its own index, which the signed-in user reads and writes.
    if (first === "_dashboards") return { index: m === "GET" ? "indices:data/read/get" : "indices:data/write/index", indices: [".kibana"] };
    const index = first;
    const sub = second;
    const indices = [index];
    if (sub === undefined) {
        if (m === "PUT") return { index: "indices:admin/create", indices };
        if (m === "DELETE") return { index: "indices:admin/delete", indices };
        return { index: "indices:admin/get", indices };
    }
    if (sub === "_search" || sub === "_count") return { index: "indices:data/read/search", indices };
    if (sub === "_settings") return { index: m === "PUT" ? "indices:admin/settings/update" : "indices:monitor/settings/get", indices };
    if (sub === "_mapping") return { index: m === "PUT" ? "indices:admin/mapping/put" : "indices:admin/mappings/get", indices };
    if (sub === "_bulk") return { cluster: "indices:data/write/bulk" };
    if (sub === "_refresh") return { index: "indices:admin/refresh", indices };
    if (sub === "_doc" || sub === "_create") {
        if (m === "GET" || m === "HEAD") return { index: "indices:data/read/get", indices };
        if (m === "DELETE") return { index: "indices:data/write/delete", indices };
        return { index: exists(index) ? "indices:data/write/index" : "indices:admin/create", indices };
    }
    return undefined;
}

/** Roles a backend role is mapped to. */
export function rolesOf(p: PluginState, backendRole: string): string[] {
    return [...p.rolesMapping].filter(([, m]) => (m.backend_roles as string[] | undefined ?? []).includes(backendRole)).map(([r]) => r);
}

function roleAllows(role: SecurityEntry | undefined, w: NonNullable<Wanted>): boolean {
    if (!role) return false;
    if ("cluster" in w) return matchesAny(expand((role.cluster_permissions as string[]) ?? []), w.cluster);
    return w.indices.every(ix => ((role.index_permissions as any[]) ?? []).some(ip =>
        matchesAny(ip.index_patterns ?? [], ix) && matchesAny(expand(ip.allowed_actions ?? []), w.index)));
}

export function allowed(p: PluginState, backendRole: string, w: NonNullable<Wanted>): boolean {
    return rolesOf(p, backendRole).some(r => roleAllows(p.roles.get(r), w));
}

/** The security plugin's refusal: 403 `security_exception` naming the action and the user. */
export function forbidden(p: PluginState, backendRole: string, w: NonNullable<Wanted>): Reply {
    const action = "cluster" in w ? w.cluster : w.index;
    const reason = `no permissions for [${action}] and User [name=${backendRole}, backend_roles=[${backendRole}], requestedTenant=null]`;
    if ("cluster" in w && w.cluster.startsWith("restapi:")) {
        return { status: 403, body: { status: "FORBIDDEN", message: `No permission to access REST API: User ${backendRole} with Security roles [${rolesOf(p, backendRole).join(", ")}] does not have any access to endpoint ${w.cluster.slice("restapi:admin/".length).toUpperCase()}` } };
    }
    return { status: 403, body: { error: { root_cause: [{ type: "security_exception", reason }], type: "security_exception", reason }, status: 403 } };
}

/** Item-level check inside `_bulk`: each item's index needs a write (and, for a new index, create) permission. */
export function bulkItemAllowed(p: PluginState, backendRole: string, index: string, exists: boolean): string | undefined {
    const write = { index: "indices:data/write/index", indices: [index] };
    if (!allowed(p, backendRole, write)) return `no permissions for [indices:data/write/bulk[s]] and User [name=${backendRole}, backend_roles=[${backendRole}], requestedTenant=null]`;
    if (!exists && !allowed(p, backendRole, { index: "indices:admin/create", indices: [index] })) return `no permissions for [indices:admin/create] and User [name=${backendRole}, backend_roles=[${backendRole}], requestedTenant=null]`;
    return undefined;
}
