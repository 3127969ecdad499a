import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, stableStringify, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const DASHBOARDS_PROVIDER_VERSION = "2";

export interface DashboardsObjectArgs extends ConnectionArgs {
    /** Saved object type: `index-pattern`, `visualization`, `dashboard`, `search`. */
    objectType: pulumi.Input<string>;
    /** Stable id, so references between objects survive redeploys. */
    objectId: pulumi.Input<string>;
    /** The saved object's attributes as the Dashboards saved-objects API takes them (title, visState, panelsJSON, …). */
    attributes: pulumi.Input<Record<string, any>>;
    /** Other saved objects this one points at (an index pattern, a dashboard's panels), by name, type and id. */
    references?: pulumi.Input<Array<{ name: string; type: string; id: string }>>;
    /** Security tenant (`global` when omitted); only matters with Dashboards multi-tenancy. */
    tenant?: pulumi.Input<string>;
}

function objectPath(props: any): string {
    return `/_dashboards/api/saved_objects/${encodeURIComponent(props.objectType)}/${encodeURIComponent(props.objectId)}`;
}

function headers(props: any): Record<string, string> {
    // Dashboards refuses writes without osd-xsrf; securitytenant picks the tenant under multi-tenancy.
    return { "osd-xsrf": "true", ...(props.tenant ? { securitytenant: props.tenant } : {}) };
}

/** Id of the copy that keeps someone's edit of a managed object, e.g. `guardpost-cloudtrail-edited-20250131t0915`. */
export function editedCopyId(objectId: string, at: Date): string {
    return `${objectId}-edited-${at.toISOString().replace(/[-:]/g, "").slice(0, 13).toLowerCase()}`;
}

/**
 * Import idempotently without destroying anyone's work. The object is written with `?overwrite=true` under
 * its fixed id, so re-running never duplicates it. But if it was changed in Dashboards since guardpost last
 * wrote it (its version is not the one guardpost recorded, and its content is not guardpost's), that edit is
 * first saved as a copy — same type, id `<id>-edited-<time>`, title "… (edited copy)" — and the copy's id is
 * returned so `pulumi up` shows it in the resource's outputs (`preservedCopies`).
 */
function digest(attributes: unknown): string {
    return require("crypto").createHash("sha256").update(stableStringify(attributes)).digest("hex");
}

async function putObject(props: any, olds?: any): Promise<{ writtenVersion?: string; writtenDigest: string; preserved: string[] }> {
    const conn = connectionOf(props);
    return withRetry(conn, `Dashboards ${props.objectType}/${props.objectId}`, async client => {
        const preserved: string[] = [...(olds?.preservedCopies ?? [])];
        const got = await send(client, conn, { method: "GET", path: objectPath(props), headers: headers(props) }, [404]);
        if (got.statusCode !== 404) {
            const live = got.body ?? {};
            // What guardpost wrote last time and what it writes now are not someone's edit; `pulumi refresh`
            // may have copied the edit into `attributes`, so the digest of what was written is the reference.
            // State from before writtenDigest existed: what guardpost wrote then is in `attributes`.
            const ours = [digest(props.attributes), olds?.writtenDigest ?? (olds?.attributes ? digest(olds.attributes) : undefined)].filter(Boolean);
            const editedByPeople = live.version !== olds?.writtenVersion && !ours.includes(digest(projectLike(live.attributes, props.attributes)));
            if (editedByPeople) {
                const copyId = editedCopyId(props.objectId, new Date());
                const title = `${live.attributes?.title ?? props.objectId} (edited copy)`;
                await send(client, conn, {
                    method: "POST", path: objectPath({ ...props, objectId: copyId }), headers: headers(props),
                    body: { attributes: { ...live.attributes, title }, references: live.references ?? [] },
                }, [409], true);
                preserved.push(copyId);
            }
        }
        const put = await send(client, conn, {
            method: "POST", path: objectPath(props), querystring: { overwrite: true }, headers: headers(props),
            body: { attributes: props.attributes, references: props.references ?? [] },
        }, [], true);
        return { writtenVersion: put.body?.version, writtenDigest: digest(props.attributes), preserved: [...new Set(preserved)] };
    });
}

function outputs(props: any, state: { writtenVersion?: string; writtenDigest: string; preserved: string[] }): any {
    const { __provider, ...rest } = props;
    return { ...rest, writtenVersion: state.writtenVersion, writtenDigest: state.writtenDigest, preservedCopies: state.preserved };
}

export const dashboardsProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, ["objectType", "objectId", "tenant"], ["writtenVersion", "writtenDigest", "preservedCopies"]);
    },
    async create(inputs: any) {
        return { id: `${inputs.objectType}/${inputs.objectId}`, outs: outputs(inputs, await putObject(inputs)) };
    },
    async update(_id: string, olds: any, news: any) {
        return { outs: outputs(news, await putObject(news, olds)) };
    },
    /** The live object cut to what guardpost manages: an edit in Dashboards shows as drift on `pulumi refresh`. */
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `Dashboards ${props.objectType}/${props.objectId}`, client =>
            send(client, conn, { method: "GET", path: objectPath(props), headers: headers(props) }, [404]));
        if (got.statusCode === 404) return {};
        // writtenVersion stays what guardpost wrote: a different live version is how the next update knows a person edited it.
        return { id, props: { ...props, attributes: projectLike(got.body?.attributes ?? {}, props.attributes),
            references: props.references === undefined ? undefined : got.body?.references ?? [] } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `Dashboards ${props.objectType}/${props.objectId}`, client =>
            send(client, conn, { method: "DELETE", path: objectPath(props), headers: headers(props) }, [404], true));
    },
});

/** A Dashboards saved object written with `?overwrite=true`; a person's edit of it is kept as a copy first. */
export class DashboardsObject extends pulumi.dynamic.Resource {
    declare readonly objectId: pulumi.Output<string>;
    /** Copies that keep edits people made to this object before guardpost overwrote it. */
    declare readonly preservedCopies: pulumi.Output<string[]>;

    constructor(name: string, args: DashboardsObjectArgs, opts?: pulumi.CustomResourceOptions) {
        super(dashboardsProvider, name, { ...args, writtenVersion: undefined, writtenDigest: undefined, preservedCopies: undefined, version: DASHBOARDS_PROVIDER_VERSION }, opts, "opensearch", "DashboardsObject");
    }
}

export interface DashboardsIndexPatternArgs extends ConnectionArgs {
    /** Saved object id, e.g. `guardpost-cloudtrail`. */
    objectId: pulumi.Input<string>;
    /** The pattern, e.g. `cloudtrail-*`. */
    title: pulumi.Input<string>;
    /** Date field Discover and visualizations filter time on; it must be mapped as `date` in the indices. */
    timeFieldName: pulumi.Input<string>;
    /** Security tenant (`global` when omitted). */
    tenant?: pulumi.Input<string>;
}

/** An index pattern with its time field — what Discover and visualizations select data by. */
export class DashboardsIndexPattern extends DashboardsObject {
    constructor(name: string, args: DashboardsIndexPatternArgs, opts?: pulumi.CustomResourceOptions) {
        const { title, timeFieldName, ...rest } = args;
        super(name, { ...rest, objectType: "index-pattern", attributes: pulumi.output({ title, timeFieldName }) }, opts);
    }
}
