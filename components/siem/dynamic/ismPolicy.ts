import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const ISM_POLICY_PROVIDER_VERSION = "2";

export interface IsmPolicyArgs extends ConnectionArgs {
    /** Policy id under `_plugins/_ism/policies/`, e.g. `guardpost-log-retention`. */
    policyId: pulumi.Input<string>;
    /** The `policy` object: description, default_state, states, ism_template. */
    policy: pulumi.Input<any>;
}

function policyPath(id: string): string {
    return `/_plugins/_ism/policies/${encodeURIComponent(id)}`;
}

/**
 * Create or update. ISM refuses a blind PUT over an existing policy (409), so read its `_seq_no` and
 * `_primary_term` first; a concurrent writer makes the conditional PUT 409 and the whole read-write is retried.
 */
async function upsertPolicy(props: any): Promise<{ seqNo: number; primaryTerm: number }> {
    const conn = connectionOf(props);
    return withRetry(conn, `ISM policy ${props.policyId}`, async client => {
        const got = await send(client, conn, { method: "GET", path: policyPath(props.policyId) }, [404]);
        const querystring = got.statusCode === 404 ? undefined : { if_seq_no: got.body._seq_no, if_primary_term: got.body._primary_term };
        const put = await send(client, conn, { method: "PUT", path: policyPath(props.policyId), querystring, body: { policy: props.policy } }, [], true);
        return { seqNo: put.body?._seq_no, primaryTerm: put.body?._primary_term };
    });
}

/** The index patterns of the policy's `ism_template`: the indices it manages. */
export function managedPatterns(policy: any): string[] {
    return [...new Set([policy?.ism_template ?? []].flat().flatMap((t: any) => t?.index_patterns ?? []))] as string[];
}

/**
 * Indices already managed keep running the policy version they started with (ISM caches it per index) until
 * `change_policy` moves them: "Updates the managed index policy to a new policy (or to a new version of the
 * policy)… If the policy you are changing to has only some small configuration changes, then the change takes
 * place immediately" (https://docs.opensearch.org/latest/im-plugin/ism/api/#update-managed-index-policy). A
 * retention change alters only `min_index_age`, so it reaches every existing index on ISM's next run. One call
 * per pattern: AWS takes a trailing wildcard but not a list (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ism.html).
 */
async function moveManagedIndices(props: any): Promise<number> {
    const conn = connectionOf(props);
    let moved = 0;
    for (const pattern of managedPatterns(props.policy)) {
        const res = await withRetry(conn, `change_policy ${pattern}`, client => send(client, conn, {
            method: "POST", path: `/_plugins/_ism/change_policy/${encodeURIComponent(pattern).replace(/%2A/g, "*")}`, body: { policy_id: props.policyId },
        }, [404], true));
        // An index the pattern matches but ISM does not manage has no policy to move: not an error for retention.
        const failed = (res.body?.failed_indices ?? []).filter((f: any) => !/not being managed/i.test(String(f.reason)));
        if (failed.length > 0) {
            throw Object.assign(new Error(`ISM change_policy on ${pattern} failed for some indices: ${failed.map((f: any) => `${f.index_name}: ${f.reason}`).join("; ")}`), { retryable: false });
        }
        moved += res.body?.updated_indices ?? 0;
    }
    return moved;
}

/** Managed indices (of the policy's patterns) still running an older version of the policy. */
async function outdatedIndices(props: any, seqNo: number): Promise<string[]> {
    const conn = connectionOf(props);
    const out: string[] = [];
    for (const pattern of managedPatterns(props.policy)) {
        const res = await withRetry(conn, `explain ${pattern}`, client => send(client, conn, {
            method: "GET", path: `/_plugins/_ism/explain/${encodeURIComponent(pattern).replace(/%2A/g, "*")}`,
        }, [404]));
        for (const [index, e] of Object.entries<any>(res.body ?? {})) {
            if (index === "total_managed_indices" || e?.policy_id !== props.policyId) continue;
            if (e.policy_seq_no !== undefined && e.policy_seq_no !== seqNo) out.push(index);
        }
    }
    return out.sort();
}

function outputs(props: any, state: { seqNo?: number; outdated?: string[] } = {}): any {
    const { __provider, ...rest } = props;
    return { ...rest, policySeqNo: state.seqNo, outdatedIndices: state.outdated ?? [] };
}

export const ismPolicyProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const states = news.policy?.states;
        const failures = [];
        if (!news.policyId) failures.push({ property: "policyId", reason: "policyId is required" });
        if (!Array.isArray(states) || !states.some((s: any) => s.name === news.policy?.default_state)) {
            failures.push({ property: "policy", reason: "policy.default_state must name one of policy.states" });
        }
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        // Delete first: ISM refuses a second policy whose ism_template overlaps at the same priority.
        // Indices left on an older version (seen by `read`) are drift: the next update moves them.
        const d = diffInputs(olds, news, ["policyId"], ["policySeqNo", "outdatedIndices"], true);
        if (!d.changes && (olds?.outdatedIndices ?? []).length > 0) return { ...d, changes: true };
        return d;
    },
    async create(inputs: any) {
        const v = await upsertPolicy(inputs);
        await moveManagedIndices(inputs);
        return { id: inputs.policyId, outs: outputs(inputs, { seqNo: v.seqNo }) };
    },
    async update(_id: string, _olds: any, news: any) {
        const v = await upsertPolicy(news);
        await moveManagedIndices(news);
        return { outs: outputs(news, { seqNo: v.seqNo }) };
    },
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `ISM policy ${props.policyId}`, client => send(client, conn, { method: "GET", path: policyPath(props.policyId ?? id) }, [404]));
        if (got.statusCode === 404) return {};
        const policy = projectLike(got.body?.policy, props.policy);
        return { id, props: { ...props, policy, policySeqNo: got.body?._seq_no, outdatedIndices: await outdatedIndices({ ...props, policy }, got.body?._seq_no) } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `ISM policy ${props.policyId}`, client => send(client, conn, { method: "DELETE", path: policyPath(props.policyId) }, [404], true));
    },
});

/** An Index State Management policy (`_plugins/_ism/policies/<id>`), owned completely. */
export class IsmPolicy extends pulumi.dynamic.Resource {
    declare readonly policyId: pulumi.Output<string>;

    constructor(name: string, args: IsmPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        super(ismPolicyProvider, name, { ...args, policySeqNo: undefined, outdatedIndices: undefined, version: ISM_POLICY_PROVIDER_VERSION }, opts, "opensearch", "IsmPolicy");
    }
}
