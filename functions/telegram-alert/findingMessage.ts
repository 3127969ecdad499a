import type {
    EntityBuilder, InlineKeyboardBuilder, InlineKeyboardMarkup, MessageEntity,
} from "node-telegram-bot-api";
import { guardDutyFindingUrl, partitionOfRegion } from "./consoleLink";
import { formatSeverity, severityInfo, SeverityBand } from "./severity";

/** Telegram's `sendMessage.text` limit, in UTF-16 code units after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;

// Header fields are capped so the header can never crowd out the description or exceed the limit
// by itself; real GuardDuty titles and types are far shorter than these caps.
const TITLE_CAP = 512;
const FIELD_CAP = 256;
const TRUNCATION_SUFFIX = "… [truncated]";

/** The fields of a GuardDuty finding that the alert shows, normalised from the EventBridge event. */
export interface Finding {
    id: string;
    arn?: string;
    type: string;
    title: string;
    description: string;
    severity: number;
    band: SeverityBand;
    accountId: string;
    region: string;
    partition: string;
    resource: string;
    count: number;
    firstSeen?: string;
    lastSeen?: string;
    sample: boolean;
    archived: boolean;
}

export type ParsedEvent =
    | { kind: "healthCheck" }
    | { kind: "finding"; finding: Finding }
    | { kind: "skip"; reason: string };

function str(v: unknown): string | undefined {
    return typeof v === "string" && v.length > 0 ? v : undefined;
}

function num(v: unknown): number | undefined {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** One short phrase naming what the finding is about, per GuardDuty resource type. */
export function describeResource(resource: any): string {
    if (!resource || typeof resource !== "object") return "unknown";
    const type = str(resource.resourceType) ?? "unknown";
    const s3 = Array.isArray(resource.s3BucketDetails) ? resource.s3BucketDetails : [];
    const candidates: Array<string | undefined> = [];
    switch (type) {
        case "Instance":
            candidates.push(str(resource.instanceDetails?.instanceId));
            break;
        case "AccessKey":
            candidates.push(joinNonEmpty([
                str(resource.accessKeyDetails?.userName),
                str(resource.accessKeyDetails?.accessKeyId),
            ]));
            break;
        case "S3Bucket":
        case "S3Object":
            candidates.push(joinNonEmpty(s3.map((b: any) => str(b?.name))));
            break;
        case "EKSCluster":
            candidates.push(str(resource.eksClusterDetails?.name));
            break;
        case "RDSDBInstance":
            candidates.push(str(resource.rdsDbInstanceDetails?.dbInstanceIdentifier));
            break;
        case "Container":
            candidates.push(str(resource.containerDetails?.name), str(resource.containerDetails?.id),
                str(resource.instanceDetails?.instanceId));
            break;
        case "Lambda":
            candidates.push(str(resource.lambdaDetails?.functionName));
            break;
        case "ECSCluster":
            candidates.push(str(resource.ecsClusterDetails?.name));
            break;
        default:
            break;
    }
    const name = candidates.find((c) => c !== undefined);
    return name ? `${type} ${name}` : type;
}

function joinNonEmpty(parts: Array<string | undefined>): string | undefined {
    const kept = parts.filter((p): p is string => p !== undefined);
    return kept.length ? kept.join(", ") : undefined;
}

/**
 * Classifies an incoming event. Only complete `GuardDuty Finding` events from `aws.guardduty` become
 * findings; everything else (other GuardDuty detail-types, archived findings, malformed details) is a
 * skip with a reason the handler logs, never an exception: Lambda would only retry it pointlessly.
 */
export function parseFindingEvent(event: unknown): ParsedEvent {
    if (!event || typeof event !== "object") return { kind: "skip", reason: "event is not an object" };
    const e = event as Record<string, any>;
    if (e.healthCheck === true) return { kind: "healthCheck" };
    if (e.source !== "aws.guardduty") return { kind: "skip", reason: `source is ${JSON.stringify(e.source)}` };
    if (e["detail-type"] !== "GuardDuty Finding") {
        return { kind: "skip", reason: `detail-type is ${JSON.stringify(e["detail-type"])}` };
    }
    const d = e.detail;
    if (!d || typeof d !== "object") return { kind: "skip", reason: "finding event has no detail" };
    const id = str(d.id);
    const type = str(d.type);
    const severity = num(d.severity);
    if (!id || !type || severity === undefined) {
        return { kind: "skip", reason: "finding detail lacks id, type or numeric severity" };
    }
    const region = str(d.region) ?? str(e.region) ?? "us-east-1";
    const service = d.service && typeof d.service === "object" ? d.service : {};
    const rawTitle = str(d.title) ?? type;
    const sampleTitle = /^\s*\[SAMPLE\]\s*/i;
    const sample = service.additionalInfo?.sample === true || service.additionalInfo?.sample === "true" ||
        sampleTitle.test(rawTitle);
    const finding: Finding = {
        id,
        arn: str(d.arn),
        type,
        title: rawTitle.replace(sampleTitle, "") || type,
        description: typeof d.description === "string" ? d.description : "",
        severity,
        band: severityInfo(severity).band,
        accountId: str(d.accountId) ?? str(e.account) ?? "unknown",
        region,
        partition: str(d.partition) ?? partitionOfRegion(region),
        resource: describeResource(d.resource),
        count: num(service.count) ?? 1,
        firstSeen: str(service.eventFirstSeen) ?? str(d.createdAt),
        lastSeen: str(service.eventLastSeen) ?? str(d.updatedAt),
        sample,
        archived: service.archived === true,
    };
    if (finding.archived) return { kind: "skip", reason: `finding ${id} is archived` };
    return { kind: "finding", finding };
}

/** "2022-01-12 19:22:44 UTC"; the raw value when it is not a date. */
export function formatTime(value: string | undefined): string {
    if (!value) return "unknown";
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) return value;
    return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cutUtf16(s: string, max: number): string {
    if (s.length <= max) return s;
    let end = Math.max(0, max);
    const code = s.charCodeAt(end - 1);
    if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
    return s.slice(0, end);
}

function capField(s: string, cap: number): string {
    return s.length <= cap ? s : cutUtf16(s, cap - 1) + "…";
}

export interface FindingMessage {
    text: string;
    entities: MessageEntity[];
    replyMarkup: InlineKeyboardMarkup;
    buttonUrl: string;
    truncated: boolean;
}

/** The two builders this module needs; passed in so the module itself has no runtime imports. */
export interface TelegramBuilders {
    EntityBuilder: new () => EntityBuilder;
    InlineKeyboardBuilder: new () => InlineKeyboardBuilder;
}

export interface MessageOptions {
    stage: string;
    /** Reason the deduplicator let this alert through ("new", "escalation", "repeat"); shown if given. */
    reason?: string;
    limit?: number;
}

/**
 * Builds the Telegram message with entities instead of a parse mode: the text goes out verbatim, so
 * no character in a finding (Markdown/HTML metacharacters, ARNs, IPv6, emoji) can break parsing.
 * Offsets are UTF-16 units, which is what both JS strings and Telegram count.
 */
export function buildFindingMessage(f: Finding, opts: MessageOptions, tg: TelegramBuilders): FindingMessage {
    const limit = opts.limit ?? TELEGRAM_TEXT_LIMIT;
    const sev = severityInfo(f.severity);
    const b = new tg.EntityBuilder();
    if (f.sample) b.bold("[SAMPLE] ");
    b.plain(`${sev.emoji} `).bold(capField(f.title, TITLE_CAP)).plain("\n\n");
    if (f.sample) b.italic("Sample finding generated by GuardDuty, not a real threat.").plain("\n");
    b.plain("Stage: ").code(capField(opts.stage, FIELD_CAP)).plain("\n");
    b.plain("Severity: ").bold(`${formatSeverity(f.severity)} ${sev.band}`).plain(` ${sev.emoji}\n`);
    b.plain("Type: ").code(capField(f.type, FIELD_CAP)).plain("\n");
    b.plain("Account: ").code(capField(f.accountId, FIELD_CAP)).plain("\n");
    b.plain("Region: ").code(capField(f.region, FIELD_CAP)).plain("\n");
    b.plain(`Resource: ${capField(f.resource, FIELD_CAP)}\n`);
    b.plain(`Occurrences: ${f.count}`);
    if (opts.reason && opts.reason !== "new") b.plain(` (${opts.reason})`);
    b.plain("\n");
    b.plain(`First seen: ${formatTime(f.firstSeen)}\n`);
    b.plain(`Last seen: ${formatTime(f.lastSeen)}`);

    const headerLength = b.build().text.length;
    const description = f.description.trim();
    let truncated = false;
    if (description) {
        const budget = limit - headerLength - 2;
        let body = description;
        if (body.length > budget) {
            body = cutUtf16(body, Math.max(0, budget - TRUNCATION_SUFFIX.length)) + TRUNCATION_SUFFIX;
            truncated = true;
        }
        if (budget > TRUNCATION_SUFFIX.length) b.plain("\n\n").plain(body);
    }
    const { text, entities } = b.build();
    const buttonUrl = guardDutyFindingUrl(f.partition, f.region, f.id);
    const replyMarkup = new tg.InlineKeyboardBuilder().url("Open in GuardDuty console", buttonUrl).build();
    return { text, entities: entities.map((e) => ({ ...e })), replyMarkup, buttonUrl, truncated };
}
