import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

/** Bump when the provider's behaviour changes, so existing resources get an update. */
export const ROLE_PROVIDER_VERSION = "2";

/** One `index_permissions` entry of a security-plugin role, in the plugin's own field names. */
export interface IndexPermission {
    /** Index name patterns the entry applies to, e.g. `cloudtrail-*`. */
    index_patterns: string[];
    /** Actions or action groups allowed on those indices. */
    allowed_actions: string[];
    /** Field-level security: fields to include (or `~field` to exclude). */
    fls?: string[];
    /** Fields returned masked (hashed). */
    masked_fields?: string[];
    /** Document-level security query (JSON string). */
    dls?: string;
}

export interface OpenSearchRoleArgs extends ConnectionArgs {
    /** Role name in the security plugin, e.g. `guardpost_log_writer`. */
    name: pulumi.Input<string>;
    /** Cluster-level actions or action groups, e.g. `cluster_monitor`. */
    clusterPermissions: pulumi.Input<pulumi.Input<string>[]>;
    /** Index-level permissions per index pattern. */
    indexPermissions: pulumi.Input<pulumi.Input<IndexPermission>[]>;
    /** Shown in Dashboards' security pages. */
    description?: pulumi.Input<string>;
}

/** Roles AWS and the security plugin ship; guardpost never owns (overwrites or deletes) them. */
export const BUILT_IN_ROLES = ["all_access", "security_manager", "readall", "kibana_user", "kibana_server", "alerting_full_access",
    "anomaly_full_access", "ism_full_access", "security_rest_api_access"];

function rolePath(name: string): string {
    return `/_plugins/_security/api/roles/${encodeURIComponent(name)}`;
}

async function putRole(props: any): Promise<void> {
    const conn = connectionOf(props);
    // PUT replaces the role: guardpost owns custom roles completely.
    await withRetry(conn, `role ${props.name}`, client => send(client, conn, {
        method: "PUT", path: rolePath(props.name),
        body: {
            description: props.description ?? "Managed by guardpost",
            cluster_permissions: props.clusterPermissions ?? [],
            index_permissions: props.indexPermissions ?? [],
            tenant_permissions: [],
        },
    }, [], true));
}

function outputs(props: any): any {
    const { __provider, ...rest } = props;
    return rest;
}

export const roleProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const failures = [];
        if (!news.name) failures.push({ property: "name", reason: "a role name is required" });
        if (BUILT_IN_ROLES.includes(news.name)) failures.push({ property: "name", reason: `'${news.name}' is a built-in role; map to it with OpenSearchRoleMapping (mode 'merge') instead of owning it` });
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, ["name"]);
    },
    async create(inputs: any) {
        await putRole(inputs);
        return { id: inputs.name, outs: outputs(inputs) };
    },
    async update(_id: string, _olds: any, news: any) {
        await putRole(news);
        return { outs: outputs(news) };
    },
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `role ${props.name}`, client => send(client, conn, { method: "GET", path: rolePath(props.name ?? id) }, [404]));
        const role = got.statusCode === 404 ? undefined : got.body?.[props.name ?? id];
        if (!role) return {};
        return { id, props: { ...props, description: props.description === undefined ? undefined : role.description, clusterPermissions: role.cluster_permissions ?? [],
            indexPermissions: projectLike(role.index_permissions ?? [], props.indexPermissions ?? []) } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `role ${props.name}`, client => send(client, conn, { method: "DELETE", path: rolePath(props.name) }, [404], true));
    },
});

/** A custom security-plugin role, owned completely by this resource (PUT replaces it, delete removes it). */
export class OpenSearchRole extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: OpenSearchRoleArgs, opts?: pulumi.CustomResourceOptions) {
        super(roleProvider, name, { ...args, version: ROLE_PROVIDER_VERSION }, opts, "opensearch", "Role");
    }
}
