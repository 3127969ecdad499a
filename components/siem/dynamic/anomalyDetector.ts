import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, OpenSearchApiError, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const ANOMALY_DETECTOR_PROVIDER_VERSION = "2";

export interface AnomalyDetectorArgs extends ConnectionArgs {
    /**
     * The detector definition as the AD plugin takes it: name, description, time_field, indices,
     * feature_attributes, category_field, detection_interval, window_delay.
     */
    detector: pulumi.Input<{ name: string; [k: string]: any }>;
    /** Start the real-time job after create/update. */
    start: pulumi.Input<boolean>;
}

const AD = "/_plugins/_anomaly_detection/detectors";

/** The detector's id by name, or undefined. The detectors' system index only exists after the first one. */
async function findByName(client: any, conn: any, name: string): Promise<string | undefined> {
    const res = await send(client, conn, { method: "POST", path: `${AD}/_search`, body: { query: { term: { "name.keyword": name } } } }, [404]);
    if (res.statusCode === 404) return undefined;
    return res.body?.hits?.hits?.[0]?._id;
}

async function isRunning(client: any, conn: any, id: string): Promise<boolean | undefined> {
    const res = await send(client, conn, { method: "GET", path: `${AD}/${encodeURIComponent(id)}`, querystring: { job: true } }, [404]);
    if (res.statusCode === 404) return undefined;
    return res.body?.anomaly_detector_job?.enabled === true;
}

function explain(e: unknown): never {
    const err = e as OpenSearchApiError;
    if (err.statusCode === 400 && /no document is found/.test(err.message)) {
        err.message += " — the AD plugin needs at least one document in the detector's indices; guardpost's IndexBootstrap writes one before the detector is created.";
    }
    throw err;
}

/**
 * Idempotent apply: find the detector by id or name, stop it if running (AD refuses to change a running
 * detector), create or update it, and start it when asked. Returns the detector id.
 */
async function applyDetector(props: any, knownId?: string): Promise<string> {
    const conn = connectionOf(props);
    return withRetry(conn, `anomaly detector ${props.detector.name}`, async client => {
        let id = knownId;
        let running = id ? await isRunning(client, conn, id) : undefined;
        if (running === undefined) {
            id = await findByName(client, conn, props.detector.name);
            running = id ? await isRunning(client, conn, id) : undefined;
        }
        if (running) await send(client, conn, { method: "POST", path: `${AD}/${encodeURIComponent(id!)}/_stop` });
        try {
            if (id && running !== undefined) {
                await send(client, conn, { method: "PUT", path: `${AD}/${encodeURIComponent(id)}`, body: props.detector });
            } else {
                const created = await send(client, conn, { method: "POST", path: AD, body: props.detector });
                id = created.body._id as string;
            }
        } catch (e) {
            explain(e);
        }
        // Starting a running job answers 200 with an "already running" error body, which is the state we want.
        if (props.start) await send(client, conn, { method: "POST", path: `${AD}/${encodeURIComponent(id!)}/_start` });
        return id!;
    });
}

function outputs(props: any, detectorId: string): any {
    const { __provider, ...rest } = props;
    return { ...rest, detectorId };
}

export const anomalyDetectorProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const d = news.detector ?? {};
        const failures = [];
        for (const k of ["name", "time_field", "indices", "feature_attributes"]) {
            if (d[k] === undefined) failures.push({ property: "detector", reason: `detector.${k} is required` });
        }
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, [], ["detectorId"]);
    },
    async create(inputs: any) {
        const detectorId = await applyDetector(inputs);
        return { id: inputs.detector.name, outs: outputs(inputs, detectorId) };
    },
    async update(_id: string, olds: any, news: any) {
        const detectorId = await applyDetector(news, olds.detectorId);
        return { outs: outputs(news, detectorId) };
    },
    /** The live definition (cut to what guardpost sets) and whether its job runs — a stopped job is drift. */
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        return withRetry(conn, `anomaly detector ${props.detector?.name}`, async client => {
            let detectorId: string | undefined = props.detectorId;
            let got = detectorId ? await send(client, conn, { method: "GET", path: `${AD}/${encodeURIComponent(detectorId)}`, querystring: { job: true } }, [404]) : undefined;
            if (!got || got.statusCode === 404) {
                detectorId = await findByName(client, conn, props.detector.name);
                got = detectorId ? await send(client, conn, { method: "GET", path: `${AD}/${encodeURIComponent(detectorId)}`, querystring: { job: true } }, [404]) : undefined;
            }
            if (!got || got.statusCode === 404) return {};
            const running = got.body?.anomaly_detector_job?.enabled === true;
            return { id, props: { ...props, detectorId, detector: projectLike(got.body?.anomaly_detector, props.detector), start: props.start ? running : props.start } };
        });
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `anomaly detector ${props.detector?.name}`, async client => {
            let id: string | undefined = props.detectorId;
            let running = id ? await isRunning(client, conn, id) : undefined;
            if (running === undefined) {
                id = await findByName(client, conn, props.detector.name);
                running = id ? await isRunning(client, conn, id) : undefined;
            }
            if (running === undefined) return;
            if (running) await send(client, conn, { method: "POST", path: `${AD}/${encodeURIComponent(id!)}/_stop` });
            await send(client, conn, { method: "DELETE", path: `${AD}/${encodeURIComponent(id!)}` }, [404]);
        });
    },
});

/**
 * An anomaly detector, found by name so a lost state or a re-run adopts it instead of failing on the
 * duplicate name. Its Pulumi id is the name; `detectorId` is the plugin's id.
 */
export class AnomalyDetector extends pulumi.dynamic.Resource {
    declare readonly detectorId: pulumi.Output<string>;

    constructor(name: string, args: AnomalyDetectorArgs, opts?: pulumi.CustomResourceOptions) {
        super(anomalyDetectorProvider, name, { ...args, detectorId: undefined, version: ANOMALY_DETECTOR_PROVIDER_VERSION }, opts, "opensearch", "AnomalyDetector");
    }
}
