import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, OpenSearchApiError, send, stableStringify, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const ROLE_MAPPING_PROVIDER_VERSION = "2";

/**
 * How a mapping is managed — `PUT rolesmapping/<role>` replaces the whole mapping, so this is a choice:
 * - `own`: guardpost owns the mapping completely (its own roles, e.g. `guardpost_log_writer`). PUT sets
 *   exactly `backendRoles`; delete removes the mapping. Anything added by hand is overwritten.
 * - `merge`: the mapping is shared (`all_access`, `security_manager`, which AWS seeds with the master
 *   user). guardpost reads it, adds only its backend roles with a test-guarded JSON patch, and remembers
 *   which ones it added (`added`). Update and delete remove only those — never an entry that was there
 *   before, such as the master user, nor anyone else's.
 */
export type MappingMode = "own" | "merge";

export interface OpenSearchRoleMappingArgs extends ConnectionArgs {
    /** The security-plugin role being mapped. */
    role: pulumi.Input<string>;
    /** IAM role ARNs (FGAC backend roles). */
    backendRoles: pulumi.Input<pulumi.Input<string>[]>;
    /** Whether guardpost owns the whole mapping or merges its backend roles into a shared one (see `MappingMode`). */
    mode: MappingMode;
    /** Shown in Dashboards' security pages (owned mappings only). */
    description?: pulumi.Input<string>;
}

/** Mappings AWS creates for the master user; owning them would clobber it. */
const SHARED_MAPPINGS = ["all_access", "security_manager"];

function mappingPath(role: string): string {
    return `/_plugins/_security/api/rolesmapping/${encodeURIComponent(role)}`;
}

function unique(xs: string[]): string[] {
    return [...new Set(xs)];
}

/**
 * The merge: from what the mapping holds now, what we added before and what we want, compute the new
 * backend roles and which of them are ours. Pure, so the semantics are testable without a server.
 */
export function mergeBackendRoles(current: string[], previouslyAdded: string[], desired: string[]): { next: string[]; added: string[] } {
    const want = unique(desired);
    const drop = new Set(previouslyAdded.filter(r => !want.includes(r)));
    const missing = want.filter(r => !current.includes(r));
    const next = [...current.filter(r => !drop.has(r)), ...missing];
    // Ours: what we add now, plus what we added before and still want (and that is still there or re-added).
    const added = want.filter(r => missing.includes(r) || previouslyAdded.includes(r));
    return { next, added };
}

/** Read-modify-write of a shared mapping; a concurrent edit fails the patch's `test` and is retried. */
async function mergeMapping(props: any, previouslyAdded: string[], desired: string[]): Promise<string[]> {
    const conn = connectionOf(props);
    return withRetry(conn, `role mapping ${props.role}`, client => mergeOnce(client, conn, props, previouslyAdded, desired));
}

async function mergeOnce(client: any, conn: any, props: any, previouslyAdded: string[], desired: string[]): Promise<string[]> {
    {
        const got = await send(client, conn, { method: "GET", path: mappingPath(props.role) }, [404]);
        const exists = got.statusCode !== 404;
        const entry = exists ? got.body?.[props.role] ?? {} : undefined;
        const current: string[] = entry?.backend_roles ?? [];
        const { next, added } = mergeBackendRoles(current, previouslyAdded, desired);
        if (!exists) {
            if (next.length > 0) await send(client, conn, { method: "PUT", path: mappingPath(props.role), body: { backend_roles: next } }, [], true);
            return added;
        }
        if (stableStringify(next) === stableStringify(current)) return added;
        const patch = entry.backend_roles === undefined
            ? [{ op: "add", path: "/backend_roles", value: next }]
            : [{ op: "test", path: "/backend_roles", value: current }, { op: "replace", path: "/backend_roles", value: next }];
        try {
            await send(client, conn, { method: "PATCH", path: mappingPath(props.role), body: patch }, [], true);
        } catch (e) {
            const err = e as OpenSearchApiError;
            // The security plugin answers a failed `test` op with 400: someone changed the mapping in between.
            if (err.statusCode === 400 && /test/i.test(JSON.stringify(err.body ?? ""))) err.retryable = true;
            throw err;
        }
        return added;
    }
}

async function putOwned(props: any): Promise<void> {
    const conn = connectionOf(props);
    await withRetry(conn, `role mapping ${props.role}`, client => send(client, conn, {
        method: "PUT", path: mappingPath(props.role),
        body: { backend_roles: unique(props.backendRoles ?? []), hosts: [], users: [], description: props.description ?? "Managed by guardpost" },
    }, [], true));
}

function outputs(props: any, added: string[]): any {
    const { __provider, ...rest } = props;
    return { ...rest, added };
}

export const roleMappingProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const failures = [];
        if (!news.role) failures.push({ property: "role", reason: "the role to map is required" });
        if (news.mode !== "own" && news.mode !== "merge") failures.push({ property: "mode", reason: "mode must be 'own' or 'merge'" });
        if (news.mode === "own" && SHARED_MAPPINGS.includes(news.role)) {
            failures.push({ property: "mode", reason: `the '${news.role}' mapping holds the domain's master user; use mode 'merge'` });
        }
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, ["role", "mode"], ["added"]);
    },
    async create(inputs: any) {
        if (inputs.mode === "own") {
            await putOwned(inputs);
            return { id: inputs.role, outs: outputs(inputs, unique(inputs.backendRoles ?? [])) };
        }
        const added = await mergeMapping(inputs, [], inputs.backendRoles ?? []);
        return { id: inputs.role, outs: outputs(inputs, added) };
    },
    async update(_id: string, olds: any, news: any) {
        if (news.mode === "own") {
            await putOwned(news);
            return { outs: outputs(news, unique(news.backendRoles ?? [])) };
        }
        const added = await mergeMapping(news, olds.added ?? [], news.backendRoles ?? []);
        return { outs: outputs(news, added) };
    },
    /**
     * Owned: the mapping's backend roles as they are. Merged: only ours — those we added that are still
     * there (someone removing one shows as drift and the next `pulumi up` adds it back); others' entries
     * are not guardpost's business.
     */
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `role mapping ${props.role}`, client => send(client, conn, { method: "GET", path: mappingPath(props.role ?? id) }, [404]));
        const entry = got.statusCode === 404 ? undefined : got.body?.[props.role ?? id];
        const current: string[] = entry?.backend_roles ?? [];
        if (props.mode === "own") {
            if (!entry) return {};
            return { id, props: { ...props, backendRoles: current, description: props.description === undefined ? undefined : entry.description, added: current } };
        }
        const ours = (props.added ?? []).filter((r: string) => current.includes(r));
        const present = (props.backendRoles ?? []).filter((r: string) => current.includes(r));
        return { id, props: { ...props, backendRoles: present, added: ours } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        if (props.mode === "own") {
            await withRetryUnlessGone(conn, `role mapping ${props.role}`, client => send(client, conn, { method: "DELETE", path: mappingPath(props.role) }, [404], true));
            return;
        }
        await withRetryUnlessGone(conn, `role mapping ${props.role}`, client => mergeOnce(client, conn, props, props.added ?? [], []));
    },
});

/** Maps IAM role ARNs (backend roles) to a security-plugin role; see `MappingMode` for ownership. */
export class OpenSearchRoleMapping extends pulumi.dynamic.Resource {
    declare readonly role: pulumi.Output<string>;
    /** Backend roles this resource put into the mapping (and will take out again). */
    declare readonly added: pulumi.Output<string[]>;

    constructor(name: string, args: OpenSearchRoleMappingArgs, opts?: pulumi.CustomResourceOptions) {
        super(roleMappingProvider, name, { ...args, added: undefined, version: ROLE_MAPPING_PROVIDER_VERSION }, opts, "opensearch", "RoleMapping");
    }
}
