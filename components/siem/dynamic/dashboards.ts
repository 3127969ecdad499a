import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, send, withRetry } from "./opensearchClient";

export const DASHBOARDS_PROVIDER_VERSION = "1";

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

async function putObject(props: any): Promise<void> {
    const conn = connectionOf(props);
    await withRetry(conn, `Dashboards ${props.objectType}/${props.objectId}`, client => send(client, conn, {
        method: "POST", path: objectPath(props), querystring: { overwrite: true }, headers: headers(props),
        body: { attributes: props.attributes, references: props.references ?? [] },
    }, [], true));
}

function outputs(props: any): any {
    const { __provider, ...rest } = props;
    return rest;
}

export const dashboardsProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, ["objectType", "objectId", "tenant"]);
    },
    async create(inputs: any) {
        await putObject(inputs);
        return { id: `${inputs.objectType}/${inputs.objectId}`, outs: outputs(inputs) };
    },
    async update(_id: string, _olds: any, news: any) {
        await putObject(news);
        return { outs: outputs(news) };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetry(conn, `Dashboards ${props.objectType}/${props.objectId}`, client =>
            send(client, conn, { method: "DELETE", path: objectPath(props), headers: headers(props) }, [404], true));
    },
};

/** A Dashboards saved object written with `?overwrite=true`, owned completely. */
export class DashboardsObject extends pulumi.dynamic.Resource {
    declare readonly objectId: pulumi.Output<string>;

    constructor(name: string, args: DashboardsObjectArgs, opts?: pulumi.CustomResourceOptions) {
        super(dashboardsProvider, name, { ...args, version: DASHBOARDS_PROVIDER_VERSION }, opts, "opensearch", "DashboardsObject");
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
