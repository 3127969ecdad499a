import type { BulkItem } from "../cloudtrail-shipper/bulk";
import { firstValidDate, IndexPeriod, periodIndex } from "../cloudtrail-shipper/indexName";
import type { CwlLogEvent } from "../shared/cwlogs";
import type { GeoLookup } from "../shared/geoip";
import { transformWafMessage } from "../waf-transform/wafTransform";
import type { FlowParser } from "../vpcflow-transform/vpcflowTransform";

/**
 * What the log relay makes of one log event, per log type — the same document the Firehose path delivers for
 * that type in the SIEM's home region, so one index template, dashboard and detector serves both paths:
 * - `vpcflow`: the flow log line parsed by the field list the flow log is configured with (vpcflow-transform's
 *   parser), `@timestamp` from `start`;
 * - `waf`: the WAF log as WAF wrote it, with `@timestamp` and GeoIP (waf-transform's function);
 * - `dns`: the Route 53 Resolver query log as Resolver wrote it (Firehose delivers it untransformed);
 * - `securityhub`: the whole EventBridge event (as EventBridge → Firehose delivers it).
 *
 * Index names follow the SIEM's contract (README "Index naming and the shard budget"): `<kind>-YYYY-MM` per month
 * (`<kind>-YYYY-MM-DD` with `indexPeriod: day`, the form Firehose's `OneDay` rotation gives), cut by the record's
 * own time — unlike Firehose, which cuts by arrival time, so a redelivered record lands where it landed before.
 * `_id` is the CloudWatch Logs event id (unique per log event, and the same in every redelivery of the batch) or
 * the EventBridge event id: a redelivery or a replay overwrites instead of adding a copy.
 */

export const RELAY_KINDS = ["vpcflow", "waf", "dns", "securityhub"] as const;
export type RelayKind = (typeof RELAY_KINDS)[number];
export const RELAY_LOG_GROUP_KINDS: readonly RelayKind[] = ["vpcflow", "waf", "dns"];

export function isRelayKind(v: unknown): v is RelayKind {
    return (RELAY_KINDS as readonly unknown[]).includes(v);
}

/** The relay's index for a record of `kind` at `when` (UTC): Firehose's rotation formats, by the record's time. */
export function relayIndex(kind: RelayKind, period: IndexPeriod, when: Date): string {
    return periodIndex(kind, period, when).replace(/\./g, "-");
}

export type RelayOutcome =
    | { result: "Ok"; item: BulkItem; doc?: unknown }
    | { result: "Dropped"; reason: string }
    | { result: "Failed"; reason: string; index: string; id: string };

export interface RelayDocContext {
    period: IndexPeriod;
    /** Parser for the configured flow log format (vpcflow only). */
    flowParser?: FlowParser;
    /** GeoIP for WAF's client addresses; undefined = no enrichment. */
    geo?: GeoLookup;
    /** Fallback time for a record without a usable one of its own (the invocation's start). */
    nowMs: number;
}

const TIMESTAMP_AT_END = /"@timestamp":"([^"]+)"\}$/;

/** One CloudWatch Logs event of a relayed log group → one bulk item, or why not. */
export function relayLogEvent(kind: RelayKind, logEvent: CwlLogEvent, ctx: RelayDocContext): RelayOutcome {
    const id = String(logEvent?.id ?? "");
    const fallbackIndex = () => relayIndex(kind, ctx.period, firstValidDate(logEvent?.timestamp, ctx.nowMs)!);
    if (id === "") return { result: "Failed", reason: "log event has no id", index: fallbackIndex(), id };
    if (typeof logEvent?.message !== "string") return { result: "Failed", reason: "log event has no message", index: fallbackIndex(), id };
    const message = logEvent.message;
    switch (kind) {
        case "vpcflow": {
            if (!ctx.flowParser) return { result: "Failed", reason: "no VPC flow log field list configured", index: fallbackIndex(), id };
            const o = ctx.flowParser(message, logEvent.timestamp);
            if (o.result === "Dropped") return o;
            if (o.result !== "Ok" || !("json" in o)) return { result: "Failed", reason: o.result === "ProcessingFailed" ? o.reason : "unexpected parser output", index: fallbackIndex(), id };
            const when = firstValidDate(TIMESTAMP_AT_END.exec(o.json)?.[1], logEvent.timestamp, ctx.nowMs)!;
            return { result: "Ok", item: { index: relayIndex(kind, ctx.period, when), id, source: o.json } };
        }
        case "waf": {
            const o = transformWafMessage(message, logEvent.timestamp, ctx.geo);
            if (o.result === "Dropped") return o;
            if (o.result !== "Ok" || !("doc" in o)) return { result: "Failed", reason: o.result === "ProcessingFailed" ? o.reason : "unexpected transform output", index: fallbackIndex(), id };
            const when = firstValidDate(o.doc["@timestamp"], logEvent.timestamp, ctx.nowMs)!;
            return { result: "Ok", item: { index: relayIndex(kind, ctx.period, when), id, source: JSON.stringify(o.doc) }, doc: o.doc };
        }
        case "dns": {
            let doc: any;
            try {
                doc = JSON.parse(message);
            } catch (err: any) {
                return { result: "Failed", reason: `not JSON: ${String(err?.message ?? err).slice(0, 100)}`, index: fallbackIndex(), id };
            }
            if (!doc || typeof doc !== "object" || Array.isArray(doc)) return { result: "Failed", reason: "not a JSON object", index: fallbackIndex(), id };
            const when = firstValidDate(doc.query_timestamp, logEvent.timestamp, ctx.nowMs)!;
            return { result: "Ok", item: { index: relayIndex(kind, ctx.period, when), id, source: message }, doc };
        }
        default:
            return { result: "Failed", reason: `log type '${kind}' does not arrive through CloudWatch Logs`, index: fallbackIndex(), id };
    }
}

/** Security Hub "Findings - Imported" events, which EventBridge hands to the relay directly. */
export function isSecurityHubEvent(event: any): boolean {
    return event?.source === "aws.securityhub" && typeof event?.["detail-type"] === "string" && event?.detail !== undefined;
}

export function relaySecurityHubEvent(event: any, ctx: Pick<RelayDocContext, "period" | "nowMs">): RelayOutcome {
    const id = typeof event?.id === "string" ? event.id : "";
    const when = firstValidDate(event?.time, ctx.nowMs)!;
    const index = relayIndex("securityhub", ctx.period, when);
    if (id === "") return { result: "Failed", reason: "EventBridge event has no id", index, id };
    return { result: "Ok", item: { index, id, source: JSON.stringify(event) }, doc: event };
}

/**
 * LOG_GROUP_KINDS: `{"<log group name>": "vpcflow" | "waf" | "dns"}` — which parser each subscribed log group
 * needs. The relay refuses a payload from any other log group rather than guessing.
 */
export function parseLogGroupKinds(text: string | undefined): { kinds: Record<string, RelayKind>; problems: string[] } {
    if (!text) return { kinds: {}, problems: ["LOG_GROUP_KINDS is not set"] };
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { return { kinds: {}, problems: ["LOG_GROUP_KINDS is not JSON"] }; }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { kinds: {}, problems: ["LOG_GROUP_KINDS must map log group names to log types"] };
    const kinds: Record<string, RelayKind> = {};
    const problems: string[] = [];
    for (const [group, kind] of Object.entries(parsed as Record<string, unknown>)) {
        if (isRelayKind(kind) && (RELAY_LOG_GROUP_KINDS as readonly string[]).includes(kind)) kinds[group] = kind;
        else problems.push(`LOG_GROUP_KINDS: '${group}' maps to '${String(kind)}', not vpcflow, waf or dns`);
    }
    return { kinds, problems };
}
