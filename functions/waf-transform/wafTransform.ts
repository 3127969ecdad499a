import { FirehoseEvent, FirehoseRecord, FirehoseResponse, MessageOutcome, runFirehoseTransform } from "../shared/firehose";
import { GeoLookup, openGeoLookup } from "../shared/geoip";
import { errorText, jsonLog, LogFn } from "../shared/logLine";

/**
 * waf-transform: Firehose transformation for AWS WAF web ACL logs (one JSON object per record, from the
 * `aws-waf-logs-…` stream). Adds the ISO `@timestamp` from the epoch-millisecond `timestamp` (the arrival
 * time when it is missing) and, when a GeoIP database is configured, `geo.*` for `httpRequest.clientIp`.
 * The log is otherwise left as WAF wrote it.
 */

export function transformWafMessage(message: string, arrivalMs: number | undefined, geo: GeoLookup | undefined): MessageOutcome {
    let log: any;
    try {
        log = JSON.parse(message);
    } catch (err: any) {
        return { result: "ProcessingFailed", reason: `not JSON: ${String(err?.message ?? err).slice(0, 100)}` };
    }
    if (!log || typeof log !== "object" || Array.isArray(log)) return { result: "ProcessingFailed", reason: "not a JSON object" };
    const raw = log.timestamp;
    const ms = typeof raw === "number" ? raw : typeof raw === "string" && /^\d{1,16}$/.test(raw) ? Number(raw) : undefined;
    if (raw !== undefined && ms === undefined) {
        return { result: "ProcessingFailed", reason: `timestamp is not epoch milliseconds: ${JSON.stringify(raw).slice(0, 40)}` };
    }
    const when = new Date(ms ?? arrivalMs ?? NaN);
    if (Number.isNaN(when.getTime())) return { result: "ProcessingFailed", reason: "no timestamp and no arrival time" };
    log["@timestamp"] = when.toISOString();
    const g = geo?.(log.httpRequest?.clientIp);
    if (g) log.geo = g;
    return { result: "Ok", doc: log };
}

export interface WafTransformDeps {
    /** Resolves the GeoIP lookup (opened once per container); undefined = no enrichment. */
    geo?: () => Promise<GeoLookup | undefined>;
    maxResponseBytes?: number;
    log?: LogFn;
}

export function makeWafTransformHandler(deps: WafTransformDeps) {
    const log = deps.log ?? jsonLog;
    return async function wafTransform(event: FirehoseEvent): Promise<FirehoseResponse> {
        const geo = deps.geo ? await deps.geo() : undefined;
        return runFirehoseTransform(
            event,
            (message: string, record: FirehoseRecord) => transformWafMessage(message, record?.approximateArrivalTimestamp, geo),
            { log, kind: "waf-transform", maxResponseBytes: deps.maxResponseBytes },
        );
    };
}

/** Zero-argument factory for `callbackFactory`: GEOIP_DATABASE / GEOIP_ASN_DATABASE are optional. */
export function createWafTransformHandler() {
    const cityPath = process.env.GEOIP_DATABASE || undefined;
    const asnPath = process.env.GEOIP_ASN_DATABASE || undefined;
    let geoPromise: Promise<GeoLookup | undefined> | undefined;
    const geo = () => {
        if (!geoPromise) {
            const maxmind = require("maxmind");
            geoPromise = openGeoLookup(maxmind, cityPath, asnPath).catch((err) => {
                jsonLog("error", "GeoIP database could not be opened; transforming without geo", { cityPath, asnPath, error: errorText(err) });
                return undefined;
            });
        }
        return geoPromise;
    };
    return makeWafTransformHandler({ geo: cityPath || asnPath ? geo : undefined });
}
