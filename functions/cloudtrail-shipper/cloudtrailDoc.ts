import type { CwlLogEvent, CwlPayload } from "../shared/cwlogs";
import type { GeoLookup } from "../shared/geoip";
import { firstValidDate, IndexPeriod, periodIndex } from "./indexName";
import { principalOf } from "./principal";
import { splicedDocText } from "./docText";

/**
 * One CloudTrail event (a CloudWatch Logs message) → one OpenSearch document.
 *
 * Dropped, because they carry no signal (kept deliberately short):
 * - top-level fields whose value is `null` (`responseElements: null` on every read-only call,
 *   `requestParameters: null`, …): OpenSearch indexes nothing for null, they only cost bytes;
 * - `responseElements.credentials.sessionToken`: an STS bearer token (valid for hours after the call),
 *   useless for detection — `accessKeyId` and `expiration` stay for correlation — and a secret that
 *   must not be copied into a search index.
 *
 * Reshaped: `requestParameters`, `responseElements`, `additionalEventData` and `serviceEventDetails` are
 * `flat_object` in the index template, which takes only an object; the rare event that carries a string,
 * number or list there gets it as `{ value: … }` instead of a mapping error.
 *
 * Added: `@timestamp` (from `eventTime`), `cloud.account.id` (the account the event belongs to,
 * `recipientAccountId`, else the log group owner), `cloud.region` (`awsRegion`), `log_group`, and
 * `geo.*` for a routable `sourceIPAddress`, and `principal` (principal.ts: the role behind a session). `_id` is `eventID` (the CloudWatch event id when absent),
 * so a redelivered batch overwrites its own documents.
 *
 * `json` is the document's text, written from the message text when that reproduces it exactly (docText.ts);
 * otherwise the caller serializes `doc`.
 */

export interface ShippableDoc {
    index: string;
    id: string;
    doc: Record<string, unknown>;
    /** `JSON.stringify(doc)`'s members, written from the message text; absent when it must be serialized. */
    json?: string;
}

export type DocResult =
    | { ok: true; value: ShippableDoc }
    | { ok: false; index: string; id: string; reason: string };

export function dropNoSignal(event: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(event)) {
        if (v !== null) out[k] = v;
    }
    const creds = (out.responseElements as any)?.credentials;
    if (creds && typeof creds === "object" && "sessionToken" in creds) {
        const { sessionToken: _dropped, ...rest } = creds;
        out.responseElements = { ...(out.responseElements as object), credentials: rest };
    }
    return out;
}

/** The fields the CloudTrail index template maps as `flat_object` (or a disabled object before OpenSearch 2.7). */
export const UNSTABLE_OBJECT_FIELDS = ["requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"];

/** Wraps a non-object value of an unstable-object field, in place, so it always indexes. */
export function objectifyUnstable(doc: Record<string, unknown>): Record<string, unknown> {
    for (const k of UNSTABLE_OBJECT_FIELDS) {
        const v = doc[k];
        if (v !== undefined && (typeof v !== "object" || v === null || Array.isArray(v))) doc[k] = { value: v };
    }
    return doc;
}

/**
 * `dropNoSignal` + `objectifyUnstable` on the freshly parsed event itself, without copying it: a dropped
 * field is set to `undefined`, which `JSON.stringify` leaves out exactly as if the key were gone (and,
 * unlike `delete`, keeps the object's fast shape). Only for an object this module parsed and owns.
 */
function shapeInPlace(event: Record<string, unknown>): Record<string, unknown> {
    for (const k in event) {
        if (event[k] === null) event[k] = undefined;
    }
    const creds = (event.responseElements as any)?.credentials;
    if (creds && typeof creds === "object" && "sessionToken" in creds) creds.sessionToken = undefined;
    return objectifyUnstable(event);
}

/** Index names by UTC day, so the date formatting runs once per day seen rather than once per event. */
function makeIndexNamer(): (prefix: string, period: IndexPeriod, when: Date) => string {
    let lastDay = NaN;
    let lastPrefix = "";
    let lastPeriod = "";
    let lastName = "";
    return (prefix, period, when) => {
        const day = Math.floor(when.getTime() / 86_400_000);
        if (day !== lastDay || prefix !== lastPrefix || period !== lastPeriod) {
            lastDay = day;
            lastPrefix = prefix;
            lastPeriod = period;
            lastName = periodIndex(prefix, period, when);
        }
        return lastName;
    };
}

const indexFor = makeIndexNamer();

/** For raw messages that could not be parsed: keep them for replay, minus any STS session token. */
export function scrubSessionTokens(raw: string): string {
    return raw.replace(/("sessionToken"\s*:\s*")[^"]*"/g, '$1<dropped>"');
}

export function toCloudTrailDoc(
    logEvent: CwlLogEvent,
    payload: Pick<CwlPayload, "owner" | "logGroup">,
    prefix: string,
    geo: GeoLookup | undefined,
    nowMs: number,
    period: IndexPeriod = "day",
): DocResult {
    const fallbackId = String(logEvent?.id ?? "");
    const fallbackIndex = () => periodIndex(prefix, period, firstValidDate(logEvent?.timestamp, nowMs)!);
    if (typeof logEvent?.message !== "string") {
        return { ok: false, index: fallbackIndex(), id: fallbackId, reason: "log event has no message" };
    }
    let event: any;
    try {
        event = JSON.parse(logEvent.message);
    } catch (err: any) {
        return { ok: false, index: fallbackIndex(), id: fallbackId, reason: `message is not JSON: ${err?.message ?? err}` };
    }
    if (!event || typeof event !== "object" || Array.isArray(event)) {
        return { ok: false, index: fallbackIndex(), id: fallbackId, reason: "message is not a JSON object" };
    }
    const when = firstValidDate(event.eventTime, logEvent.timestamp, nowMs)!;
    const id = typeof event.eventID === "string" && event.eventID !== "" ? event.eventID : fallbackId;
    if (id === "") {
        return { ok: false, index: fallbackIndex(), id: fallbackId, reason: "event has neither eventID nor a log event id" };
    }
    const account = typeof event.recipientAccountId === "string" ? event.recipientAccountId : payload.owner;
    const timestamp = when.toISOString();
    const cloud = { account: { id: account }, region: event.awsRegion ?? undefined };
    const principal = principalOf(event.userIdentity);
    const g = geo?.(event.sourceIPAddress);
    // The added members, in the order they are assigned below (and so serialized).
    let added = `,"@timestamp":${JSON.stringify(timestamp)},"cloud":${JSON.stringify(cloud)}`;
    if (payload.logGroup !== undefined) added += `,"log_group":${JSON.stringify(payload.logGroup)}`;
    if (principal) added += `,"principal":${JSON.stringify(principal)}`;
    if (g) added += `,"geo":${JSON.stringify(g)}`;
    const json = splicedDocText(logEvent.message, event, UNSTABLE_OBJECT_FIELDS, added);
    const doc = shapeInPlace(event);
    doc["@timestamp"] = timestamp;
    doc.cloud = cloud;
    doc.log_group = payload.logGroup;
    if (principal) doc.principal = principal;
    if (g) doc.geo = g;
    return { ok: true, value: { index: indexFor(prefix, period, when), id, doc, json } };
}
