import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const ALERTING_MONITOR_PROVIDER_VERSION = "1";

export interface AlertingMonitorArgs extends ConnectionArgs {
    /** The monitor as the Alerting API takes it (`name`, `monitor_type`, `schedule`, `inputs`, `triggers`). */
    monitor: pulumi.Input<{ name: string; [k: string]: any }>;
}

const MONITORS = "/_plugins/_alerting/monitors";

async function findByName(client: any, conn: any, name: string): Promise<string | undefined> {
    // The monitors' system index only exists after the first monitor: 404 means none.
    const res = await send(client, conn, { method: "POST", path: `${MONITORS}/_search`, body: { query: { match_phrase: { "monitor.name": name } } } }, [404]);
    return (res.body?.hits?.hits ?? []).find((h: any) => h._source?.name === name)?._id;
}

/** Create or update by name (https://docs.opensearch.org/latest/observing-your-data/alerting/api/). */
async function applyMonitor(props: any, knownId?: string): Promise<string> {
    const conn = connectionOf(props);
    return withRetry(conn, `monitor ${props.monitor.name}`, async client => {
        let id = knownId;
        if (id && (await send(client, conn, { method: "GET", path: `${MONITORS}/${encodeURIComponent(id)}` }, [404])).statusCode === 404) id = undefined;
        id ??= await findByName(client, conn, props.monitor.name);
        const body = { type: "monitor", enabled: true, ...props.monitor };
        if (id) {
            await send(client, conn, { method: "PUT", path: `${MONITORS}/${encodeURIComponent(id)}`, body }, [], true);
            return id;
        }
        return (await send(client, conn, { method: "POST", path: MONITORS, body }, [], true)).body?._id as string;
    });
}

function outputs(props: any, monitorId: string): any {
    const { __provider, ...rest } = props;
    return { ...rest, monitorId };
}

export const alertingMonitorProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const m = news.monitor ?? {};
        const failures = [];
        for (const k of ["name", "monitor_type", "inputs", "triggers"]) if (m[k] === undefined) failures.push({ property: "monitor", reason: `monitor.${k} is required` });
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, [], ["monitorId"]);
    },
    async create(inputs: any) {
        return { id: inputs.monitor.name, outs: outputs(inputs, await applyMonitor(inputs)) };
    },
    async update(_id: string, olds: any, news: any) {
        return { outs: outputs(news, await applyMonitor(news, olds.monitorId)) };
    },
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `monitor ${props.monitor?.name}`, client =>
            send(client, conn, { method: "GET", path: `${MONITORS}/${encodeURIComponent(props.monitorId ?? "none")}` }, [404]));
        if (got.statusCode === 404 || !got.body?.monitor) return {};
        return { id, props: { ...props, monitor: projectLike(got.body.monitor, props.monitor) } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `monitor ${props.monitor?.name}`, client =>
            send(client, conn, { method: "DELETE", path: `${MONITORS}/${encodeURIComponent(props.monitorId)}` }, [404], true));
    },
});

/** An Alerting monitor (query- or bucket-level), found by name so a re-run adopts it. */
export class AlertingMonitor extends pulumi.dynamic.Resource {
    declare readonly monitorId: pulumi.Output<string>;

    constructor(name: string, args: AlertingMonitorArgs, opts?: pulumi.CustomResourceOptions) {
        super(alertingMonitorProvider, name, { ...args, monitorId: undefined, version: ALERTING_MONITOR_PROVIDER_VERSION }, opts, "opensearch", "AlertingMonitor");
    }
}
