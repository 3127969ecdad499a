import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, reasonOf, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";
import { periodIndex } from "../../../functions/cloudtrail-shipper/indexName";

export const INDEX_BOOTSTRAP_PROVIDER_VERSION = "2";

/** Id of the marker document, so re-running never writes a second one. */
export const BOOTSTRAP_DOC_ID = "guardpost-bootstrap";

export interface IndexBootstrapArgs extends ConnectionArgs {
    /** Index prefix, e.g. `cloudtrail`; the current index is the one the shipper writes now (`<prefix>-YYYY-MM` per month). */
    indexPrefix: pulumi.Input<string>;
    /** `month` (default) or `day`, as the writers cut indices. */
    indexPeriod?: pulumi.Input<"month" | "day">;
    /** Written once when no `<prefix>-*` index holds any document; the time field is set at write time. Absent: only the index is created. */
    document?: pulumi.Input<Record<string, any>>;
    /** Date field of the marker document (the log type's time field), set to the time of writing. */
    timeField?: pulumi.Input<string>;
}

export function dailyIndex(prefix: string, at: Date): string {
    const p = (n: number) => String(n).padStart(2, "0");
    return `${prefix}${at.getUTCFullYear()}.${p(at.getUTCMonth() + 1)}.${p(at.getUTCDate())}`;
}

/**
 * Creates today's index from its template (so its mappings exist before the first log arrives) and, if
 * the log type has no document yet, one marker document: the anomaly-detection plugin refuses to create
 * a detector over indices without documents, and a fresh domain has none.
 */
async function bootstrap(props: any): Promise<{ index: string; seeded: boolean }> {
    const conn = connectionOf(props);
    const index = periodIndex(props.indexPrefix, props.indexPeriod ?? "month", new Date());
    return withRetry(conn, `bootstrap ${index}`, async client => {
        // 400 resource_already_exists_exception: a writer or an earlier run got there first — fine.
        const created = await send(client, conn, { method: "PUT", path: `/${encodeURIComponent(index)}`, body: {} }, [400]);
        if (created.statusCode === 400 && created.body?.error?.type !== "resource_already_exists_exception") {
            throw Object.assign(new Error(`creating ${index}: ${reasonOf(created.body)}`), { retryable: false });
        }
        // Without a marker document this only makes sure the index exists (Security Analytics maps fields of an existing index).
        if (!props.document) return { index, seeded: false };
        const count = await send(client, conn, { method: "GET", path: `/${encodeURIComponent(props.indexPrefix)}-*/_count` });
        if ((count.body?.count ?? 0) > 0) return { index, seeded: false };
        const doc = { ...props.document, [props.timeField]: new Date().toISOString() };
        await send(client, conn, { method: "PUT", path: `/${encodeURIComponent(index)}/_create/${BOOTSTRAP_DOC_ID}`, body: doc, querystring: { refresh: "true" } }, [409]);
        return { index, seeded: true };
    });
}

function outputs(props: any, state: { index: string; seeded: boolean }): any {
    const { __provider, ...rest } = props;
    return { ...rest, ...state };
}

export const indexBootstrapProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, ["indexPrefix"], ["index", "seeded"]);
    },
    async create(inputs: any) {
        return { id: inputs.indexPrefix, outs: outputs(inputs, await bootstrap(inputs)) };
    },
    async update(_id: string, olds: any, news: any) {
        const state = await bootstrap(news);
        return { outs: outputs(news, { index: state.seeded ? state.index : olds.index, seeded: state.seeded || olds.seeded }) };
    },
    /** Still there: the index (ISM deletes it at its age) and, if we wrote it, the marker document. */
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        if (!props.index) return { id, props };
        const got = await withRetry(conn, `bootstrap ${props.index}`, client => send(client, conn, { method: "HEAD", path: `/${encodeURIComponent(props.index)}` }, [404]));
        if (got.statusCode === 404) return { id, props: { ...props, seeded: false } };
        if (!props.seeded) return { id, props };
        const doc = await withRetry(conn, `bootstrap ${props.index}`, client => send(client, conn, { method: "HEAD", path: `/${encodeURIComponent(props.index)}/_doc/${BOOTSTRAP_DOC_ID}` }, [404]));
        return { id, props: { ...props, seeded: doc.statusCode !== 404 } };
    },
    async delete(_id: string, props: any) {
        // Log indices belong to ISM retention, not to Pulumi; only the marker document is ours.
        if (!props.seeded) return;
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `bootstrap ${props.index}`, client =>
            send(client, conn, { method: "DELETE", path: `/${encodeURIComponent(props.index)}/_doc/${BOOTSTRAP_DOC_ID}` }, [404]));
    },
});

/** Today's index for a log type plus, on an empty domain, one marker document (see `bootstrap`). */
export class IndexBootstrap extends pulumi.dynamic.Resource {
    declare readonly index: pulumi.Output<string>;
    declare readonly seeded: pulumi.Output<boolean>;

    constructor(name: string, args: IndexBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(indexBootstrapProvider, name, { ...args, index: undefined, seeded: undefined, version: INDEX_BOOTSTRAP_PROVIDER_VERSION }, opts, "opensearch", "IndexBootstrap");
    }
}
