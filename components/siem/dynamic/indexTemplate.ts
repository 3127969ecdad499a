import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const INDEX_TEMPLATE_PROVIDER_VERSION = "2";

export interface IndexTemplateArgs extends ConnectionArgs {
    /** Template name, e.g. `guardpost-cloudtrail`. */
    name: pulumi.Input<string>;
    /**
     * The composable template body: `index_patterns`, `priority`, `template` {settings, mappings}, `_meta`, and
     * optionally guardpost's own `composed_of`. Security Analytics' alias component templates, which the plugin adds
     * to `composed_of` on the domain, are kept on every write and ignored on read (see `SA_ALIAS_COMPONENT_PREFIX`).
     */
    body: pulumi.Input<{ index_patterns: string[]; priority?: number; template?: any; _meta?: any; composed_of?: string[] }>;
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

/**
 * Security Analytics' field-mappings API, called for an index pattern (guardpost's detectors call it for `dns-*` and
 * `cloudtrail-*`), stores the alias mappings as the component template `.opensearch-sap-alias-mappings-component-<pattern
 * without *>` and appends it to the `composed_of` of the best-matching composable template — ours — together with the
 * pattern appended to `index_patterns` (opensearch-project/security-analytics,
 * src/main/java/org/opensearch/securityanalytics/mapper/IndexTemplateManager.java `upsertIndexTemplateWithAliasMappings`;
 * https://github.com/opensearch-project/security-analytics/issues/1102). A component applies only when an index is
 * created (https://docs.opensearch.org/latest/api-reference/index-apis/component-template/), so a PUT of our body
 * without it would leave every later monthly index without the aliases the detection rules read — silently.
 */
export const SA_ALIAS_COMPONENT_PREFIX = ".opensearch-sap-alias-mappings-component-";

/** The live template's Security Analytics alias components, in their order. */
function saComponents(live: any): string[] {
    return ((live?.composed_of ?? []) as string[]).filter(c => typeof c === "string" && c.startsWith(SA_ALIAS_COMPONENT_PREFIX));
}

/** The body to PUT: ours, with the SA components the live template composes appended after our own `composed_of`. */
export function bodyKeepingSaComponents(body: any, live: any): any {
    const ours: string[] = body.composed_of ?? [];
    const kept = saComponents(live).filter(c => !ours.includes(c));
    return kept.length === 0 ? body : { ...body, composed_of: [...ours, ...kept] };
}

/**
 * The live template as guardpost wrote it: without the SA components in `composed_of` and without the patterns SA
 * appended for them (`<component suffix>*`, a duplicate of ours for guardpost's own patterns), so refresh shows no drift.
 */
export function withoutSaEntries(live: any, desired: any): any {
    const sa = saComponents(live);
    const added = sa.map(c => `${c.slice(SA_ALIAS_COMPONENT_PREFIX.length)}*`);
    const wanted: string[] = desired?.index_patterns ?? [];
    const patterns = ((live.index_patterns ?? []) as string[])
        .filter((p, i, all) => all.indexOf(p) === i && (wanted.includes(p) || !added.includes(p)));
    const own = ((live.composed_of ?? []) as string[]).filter(c => !sa.includes(c));
    const { composed_of: _composed, ...rest } = live;
    return { ...rest, index_patterns: patterns, ...(own.length > 0 || desired?.composed_of !== undefined ? { composed_of: own } : {}) };
}

async function getTemplate(client: any, conn: any, name: string): Promise<any> {
    const got = await send(client, conn, { method: "GET", path: templatePath(name) }, [404]);
    return got.statusCode === 404 ? undefined : got.body?.index_templates?.find((t: any) => t.name === name)?.index_template;
}

async function putTemplate(props: any): Promise<void> {
    const conn = connectionOf(props);
    // PUT creates or replaces; a template only shapes indices created after it, so order it before any write.
    // Read-modify-write in one attempt: a retry re-reads what Security Analytics may have added meanwhile.
    await withRetry(conn, `index template ${props.name}`, async client => {
        const live = await getTemplate(client, conn, props.name);
        return send(client, conn, { method: "PUT", path: templatePath(props.name), body: bodyKeepingSaComponents(props.body, live) }, [], true);
    });
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

export const indexTemplateProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
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
        const live = await withRetry(conn, `index template ${props.name}`, client => getTemplate(client, conn, props.name ?? id));
        if (!live) return {};
        const own = withoutSaEntries(live, props.body);
        const body = projectLike(own, props.body);
        // A component someone else composed into our template is drift (the template is ours); SA's are not.
        return { id, props: { ...props, body: own.composed_of && body && body.composed_of === undefined ? { ...body, composed_of: own.composed_of } : body } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `index template ${props.name}`, client => send(client, conn, { method: "DELETE", path: templatePath(props.name) }, [404], true));
    },
});

/** A composable index template (`_index_template`), owned completely — but for Security Analytics' alias components. */
export class IndexTemplate extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: IndexTemplateArgs, opts?: pulumi.CustomResourceOptions) {
        super(indexTemplateProvider, name, { ...args, version: INDEX_TEMPLATE_PROVIDER_VERSION }, opts, "opensearch", "IndexTemplate");
    }
}
