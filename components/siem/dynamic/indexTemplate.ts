import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone } from "./opensearchClient";

export const INDEX_TEMPLATE_PROVIDER_VERSION = "2";

export interface IndexTemplateArgs extends ConnectionArgs {
    /** Template name, e.g. `guardpost-cloudtrail`. */
    name: pulumi.Input<string>;
    /** The composable template body: `index_patterns`, `priority`, `template` {settings, mappings}, `_meta`. */
    body: pulumi.Input<{ index_patterns: string[]; priority?: number; template?: any; _meta?: any }>;
    /**
     * Settings also applied to the indices that already match (a template only shapes indices created after
     * it). guardpost sets `number_of_replicas` here, so changing the replica count — or a one-node domain from
     * before replicas followed the node count — reaches every existing log index.
     */
    existingIndexSettings?: pulumi.Input<Record<string, any>>;
}

function templatePath(name: string): string {
    return `/_index_template/${encodeURIComponent(name)}`;
}

async function putTemplate(props: any): Promise<void> {
    const conn = connectionOf(props);
    // PUT creates or replaces; a template only shapes indices created after it, so order it before any write.
    await withRetry(conn, `index template ${props.name}`, client =>
        send(client, conn, { method: "PUT", path: templatePath(props.name), body: props.body }, [], true));
    if (!props.existingIndexSettings || Object.keys(props.existingIndexSettings).length === 0) return;
    for (const pattern of props.body.index_patterns as string[]) {
        // allow_no_indices: a pattern with no index yet is fine (https://docs.opensearch.org/latest/api-reference/index-apis/update-settings/).
        await withRetry(conn, `settings of ${pattern}`, client => send(client, conn, {
            method: "PUT", path: `/${encodeURIComponent(pattern).replace(/%2A/g, "*")}/_settings`,
            querystring: { allow_no_indices: true, expand_wildcards: "open" }, body: { index: props.existingIndexSettings },
        }, [], true));
    }
}

function outputs(props: any): any {
    const { __provider, ...rest } = props;
    return rest;
}

export const indexTemplateProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: any, news: any) {
        const patterns = news.body?.index_patterns;
        const failures = Array.isArray(patterns) && patterns.length > 0 ? [] : [{ property: "body", reason: "body.index_patterns must be a non-empty list" }];
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        // Delete first: a renamed template with the same patterns and priority would be refused while the old one exists.
        return diffInputs(olds, news, ["name"], [], true);
    },
    async create(inputs: any) {
        await putTemplate(inputs);
        return { id: inputs.name, outs: outputs(inputs) };
    },
    async update(_id: string, _olds: any, news: any) {
        await putTemplate(news);
        return { outs: outputs(news) };
    },
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `index template ${props.name}`, client => send(client, conn, { method: "GET", path: templatePath(props.name ?? id) }, [404]));
        const live = got.statusCode === 404 ? undefined : got.body?.index_templates?.find((t: any) => t.name === (props.name ?? id))?.index_template;
        if (!live) return {};
        return { id, props: { ...props, body: projectLike(live, props.body) } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `index template ${props.name}`, client => send(client, conn, { method: "DELETE", path: templatePath(props.name) }, [404], true));
    },
};

/** A composable index template (`_index_template`), owned completely. */
export class IndexTemplate extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: IndexTemplateArgs, opts?: pulumi.CustomResourceOptions) {
        super(indexTemplateProvider, name, { ...args, version: INDEX_TEMPLATE_PROVIDER_VERSION }, opts, "opensearch", "IndexTemplate");
    }
}
