import type { InlineKeyboardMarkup, MessageEntity } from "node-telegram-bot-api";
import { cutUtf16, formatTime, TELEGRAM_TEXT_LIMIT, TelegramBuilders } from "./findingMessage";

/**
 * SIEM detections arrive as Amazon SNS notifications: the OpenSearch domain's notification channel publishes
 * to the SIEM detections topic, which invokes this function. Lambda hands over the SNS notification in
 * `Records[0].Sns` — `Type`, `MessageId`, `TopicArn`, `Subject` (may be null), `Message`, `Timestamp`, … —
 * with `EventSource: "aws:sns"` (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html; the field list as
 * AWS's Powertools schema gives it: https://docs.aws.amazon.com/powertools/typescript/2.14.0/api/types/_aws-lambda-powertools_parser.types.SnsEvent.html).
 * OpenSearch puts the rendered action subject in `Subject` and the rendered message in `Message`, and sets no
 * message attributes (opensearch-project/notifications DestinationSnsClient.kt). guardpost's templates
 * (components/siem/siemNotifications.ts) write `Rule: … (level …)`, `Severity: N` and `Dashboards: https://…`
 * lines; any other OpenSearch notification still renders, with its subject and text.
 */

export interface SiemNotification {
    /** SNS's id of the message: the same for every delivery of one publish. */
    messageId: string;
    topicArn: string;
    subject?: string;
    message: string;
    timestamp?: string;
    account: string;
    region: string;
}

export type ParsedSnsEvent =
    | { kind: "none" }
    | { kind: "siem"; notification: SiemNotification }
    | { kind: "skip"; reason: string }
    | { kind: "unexpected"; reason: string };

function str(v: unknown): string | undefined {
    return typeof v === "string" && v.length > 0 ? v : undefined;
}

/**
 * `none` for anything that is not a Lambda event with `Records` (GuardDuty's EventBridge events, health
 * checks). One SNS record per invocation is what SNS delivers; more is `unexpected` and the handler throws,
 * so Lambda keeps the event in the on-failure queue instead of half-sending it.
 */
export function parseSnsEvent(event: unknown): ParsedSnsEvent {
    if (!event || typeof event !== "object" || !Array.isArray((event as any).Records)) return { kind: "none" };
    const records = (event as any).Records as any[];
    if (records.length !== 1) return { kind: "unexpected", reason: `expected one SNS record per invocation, got ${records.length}` };
    const r = records[0];
    if (r?.EventSource !== "aws:sns") return { kind: "skip", reason: `record source is ${JSON.stringify(r?.EventSource)}` };
    const sns = r.Sns ?? {};
    if (sns.Type !== "Notification") return { kind: "skip", reason: `SNS message type is ${JSON.stringify(sns.Type)}` };
    const messageId = str(sns.MessageId);
    const topicArn = str(sns.TopicArn);
    const message = typeof sns.Message === "string" ? sns.Message : undefined;
    if (!messageId || !topicArn || message === undefined || message.trim() === "") {
        return { kind: "skip", reason: "SNS notification lacks MessageId, TopicArn or Message" };
    }
    const [, , , region = "unknown", account = "unknown"] = topicArn.split(":");
    return { kind: "siem", notification: { messageId, topicArn, subject: str(sns.Subject), message, timestamp: str(sns.Timestamp), account, region } };
}

export interface SiemSeverity { label: string; emoji: string }

const RULE_LEVELS: ReadonlyArray<{ level: string; label: string; emoji: string }> = [
    { level: "critical", label: "Critical", emoji: "🔴" },
    { level: "high", label: "High", emoji: "🟠" },
    { level: "medium", label: "Medium", emoji: "🟡" },
    { level: "low", label: "Low", emoji: "🔵" },
    { level: "informational", label: "Informational", emoji: "⚪" },
];

/** Alerting trigger severities run from 1 (highest) to 5 (lowest) (https://docs.opensearch.org/latest/observing-your-data/alerting/triggers/). */
const TRIGGER_SEVERITIES = ["1 of 5 (highest)", "2 of 5 (high)", "3 of 5 (medium)", "4 of 5 (low)", "5 of 5 (lowest)"];
const TRIGGER_EMOJI = ["🔴", "🟠", "🟡", "🔵", "⚪"];

/**
 * The highest Sigma level among the `Rule: … (level x)` lines (Security Analytics findings), else the
 * trigger's `Severity: N`; undefined when the message has neither.
 */
export function siemSeverity(message: string): SiemSeverity | undefined {
    const levels = [...message.matchAll(/^Rule: .*\(level ([a-z]+)\)\s*$/gm)].map((m) => m[1]);
    const rule = RULE_LEVELS.find((l) => levels.includes(l.level));
    if (rule) return { label: `${rule.label} (rule level)`, emoji: rule.emoji };
    const n = /^Severity: ([1-5])\s*$/m.exec(message)?.[1];
    if (n) return { label: TRIGGER_SEVERITIES[Number(n) - 1], emoji: TRIGGER_EMOJI[Number(n) - 1] };
    return undefined;
}

/** The `Dashboards:` line's URL, else the first https URL in the text; only well-formed https URLs. */
export function dashboardsLink(message: string): string | undefined {
    const candidate = /^Dashboards: (\S+)\s*$/m.exec(message)?.[1] ?? /https:\/\/[^\s"'<>]+/.exec(message)?.[0];
    if (!candidate) return undefined;
    try {
        const url = new URL(candidate);
        return url.protocol === "https:" ? url.toString() : undefined;
    } catch {
        return undefined;
    }
}

const TITLE_CAP = 256;
const FIELD_CAP = 256;
const TRUNCATION_SUFFIX = "… [truncated]";

function cap(s: string, max: number): string {
    return s.length <= max ? s : cutUtf16(s, max - 1) + "…";
}

export interface SiemMessage {
    text: string;
    entities: MessageEntity[];
    replyMarkup?: InlineKeyboardMarkup;
    buttonUrl?: string;
    truncated: boolean;
}

/**
 * Entities, not a parse mode, as for GuardDuty findings: the notification text goes out verbatim, so nothing a
 * log field puts into it (Markdown, HTML, brackets) can break the message. The header is short and capped; the
 * text takes what is left of Telegram's 4096 UTF-16 units.
 */
export function buildSiemMessage(n: SiemNotification, opts: { stage: string; limit?: number }, tg: TelegramBuilders): SiemMessage {
    const limit = opts.limit ?? TELEGRAM_TEXT_LIMIT;
    const severity = siemSeverity(n.message);
    const b = new tg.EntityBuilder();
    b.plain(`${severity?.emoji ?? "🛡️"} `).bold(cap(n.subject ?? "OpenSearch notification", TITLE_CAP)).plain("\n\n");
    b.plain("Stage: ").code(cap(opts.stage, FIELD_CAP)).plain("\n");
    b.plain("Source: OpenSearch SIEM\n");
    if (severity) b.plain("Severity: ").bold(severity.label).plain("\n");
    b.plain("Account: ").code(cap(n.account, FIELD_CAP)).plain("\n");
    b.plain("Region: ").code(cap(n.region, FIELD_CAP)).plain("\n");
    b.plain(`Time: ${formatTime(n.timestamp)}`);

    const headerLength = b.build().text.length;
    const body = n.message.trim();
    let truncated = false;
    const budget = limit - headerLength - 2;
    let shown = body;
    if (shown.length > budget) {
        shown = cutUtf16(shown, Math.max(0, budget - TRUNCATION_SUFFIX.length)) + TRUNCATION_SUFFIX;
        truncated = true;
    }
    if (budget > TRUNCATION_SUFFIX.length) b.plain("\n\n").plain(shown);
    const { text, entities } = b.build();
    const buttonUrl = dashboardsLink(body);
    const replyMarkup = buttonUrl ? new tg.InlineKeyboardBuilder().url("Open OpenSearch Dashboards", buttonUrl).build() : undefined;
    return { text, entities: entities.map((e) => ({ ...e })), replyMarkup, buttonUrl, truncated };
}
