/**
 * A CloudTrail document's JSON text written from the message text CloudWatch Logs delivered, rather than by
 * serializing the parsed event again: the message minus its top-level `null` members, with the fields the
 * shipper adds appended before the closing brace. For a compact message (what CloudTrail writes) that is
 * byte for byte what `JSON.stringify` of the shaped document gives — the same members in the same order —
 * at a fifth of the cost; the shipper's largest remaining per-event cost after parsing was that serialization.
 *
 * `undefined` (the caller serializes the document object, as before) for anything this does not reproduce
 * exactly: a message that is not one object starting `{"` and ending `}`, a top-level `null` member whose text
 * `"key":null` is not found exactly once between a `{`/`,` and a `,`/`}`, a session token to drop, an unstable
 * field to wrap, a top-level key the shipper adds itself, or no member left. Values keep the message's own
 * spelling (escapes, number forms); nulls elsewhere stay, as they do in the serialized object.
 */

/** Top-level keys toCloudTrailDoc writes itself; a message that has one takes the serializing path. */
export const ADDED_KEYS = ["@timestamp", "cloud", "log_group", "principal", "geo"];

/** Whether `event` (the parse of `message`) can have its document written from the message text. */
function spliceable(message: string, event: Record<string, unknown>, unstable: readonly string[]): boolean {
    if (message.charCodeAt(0) !== 123 /* { */ || message.charCodeAt(1) !== 34 /* " */ || message.charCodeAt(message.length - 1) !== 125 /* } */) return false;
    for (const k of ADDED_KEYS) if (k in event) return false;
    for (const k of unstable) {
        const v = event[k];
        if (v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v))) return false;
    }
    const creds = (event.responseElements as any)?.credentials;
    return !(creds && typeof creds === "object" && "sessionToken" in creds);
}

/**
 * The document text, or undefined (see the module comment). `added` is the serialized members to append,
 * each written `,"key":value`. Call it before the event is shaped in place: it reads which members are null.
 */
export function splicedDocText(message: string, event: Record<string, unknown>, unstable: readonly string[], added: string): string | undefined {
    if (!spliceable(message, event, unstable)) return undefined;
    let text = message;
    let kept = 0;
    for (const key in event) {
        if (event[key] !== null) {
            kept++;
            continue;
        }
        const member = `${JSON.stringify(key)}:null`;
        const at = text.indexOf(member);
        if (at < 0 || text.indexOf(member, at + 1) >= 0) return undefined;
        const before = text.charCodeAt(at - 1);
        const after = text.charCodeAt(at + member.length);
        if (after !== 44 /* , */ && after !== 125 /* } */) return undefined;
        if (before === 44 /* , */) text = text.slice(0, at - 1) + text.slice(at + member.length);
        else if (before === 123 /* { */) text = text.slice(0, at) + text.slice(at + member.length + (after === 44 ? 1 : 0));
        else return undefined;
    }
    if (kept === 0) return undefined;
    return `${text.slice(0, text.length - 1)}${added}}`;
}
