import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, send, withRetry } from "./opensearchClient";

export const ISM_POLICY_PROVIDER_VERSION = "1";

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
 * Indices already managed keep the policy version they started with; new indices pick up the new one.
 */
async function upsertPolicy(props: any): Promise<void> {
    const conn = connectionOf(props);
    await withRetry(conn, `ISM policy ${props.policyId}`, async client => {
        const got = await send(client, conn, { method: "GET", path: policyPath(props.policyId) }, [404]);
        const querystring = got.statusCode === 404 ? undefined : { if_seq_no: got.body._seq_no, if_primary_term: got.body._primary_term };
        await send(client, conn, { method: "PUT", path: policyPath(props.policyId), querystring, body: { policy: props.policy } }, [], true);
    });
}

function outputs(props: any): any {
    const { __provider, ...rest } = props;
    return rest;
}

export const ismPolicyProvider: pulumi.dynamic.ResourceProvider = {
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
        return diffInputs(olds, news, ["policyId"], [], true);
    },
    async create(inputs: any) {
        await upsertPolicy(inputs);
        return { id: inputs.policyId, outs: outputs(inputs) };
    },
    async update(_id: string, _olds: any, news: any) {
        await upsertPolicy(news);
        return { outs: outputs(news) };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetry(conn, `ISM policy ${props.policyId}`, client => send(client, conn, { method: "DELETE", path: policyPath(props.policyId) }, [404], true));
    },
};

/** An Index State Management policy (`_plugins/_ism/policies/<id>`), owned completely. */
export class IsmPolicy extends pulumi.dynamic.Resource {
    declare readonly policyId: pulumi.Output<string>;

    constructor(name: string, args: IsmPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        super(ismPolicyProvider, name, { ...args, version: ISM_POLICY_PROVIDER_VERSION }, opts, "opensearch", "IsmPolicy");
    }
}
