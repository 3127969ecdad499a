import type { SendMessageParams, TransportOptions } from "node-telegram-bot-api";
import { awsJsonClient, commandClient, jsonCommand } from "../shared/awsJson";
import { decide, dedupKey, DedupStore, dynamoDedupStore, nextRecord, parseQuietMinutes } from "./dedup";
import { buildFindingMessage, cutUtf16, Finding, parseFindingEvent, TELEGRAM_TEXT_LIMIT, TelegramBuilders } from "./findingMessage";
import { buildSiemMessage, parseSnsEvent, SiemNotification } from "./siemMessage";

/**
 * Client settings for the real function. Worst case (every attempt hangs to its timeout, or waits the
 * longest honoured `retry_after`) is bounded by `worstCaseClientMs` and stays well inside
 * `TELEGRAM_LAMBDA_TIMEOUT_SECONDS`, so the handler itself throws (and Lambda's async retries and
 * on-failure destination take over) instead of being killed mid-request.
 */
export const TELEGRAM_CLIENT_OPTIONS = {
    timeoutMs: 6_000,
    maxRetries: 2,
    retryBackoffMs: 300,
    // A longer flood-wait is surfaced at once; Lambda's own retry (1 min later) is the better wait.
    maxRetryAfterMs: 4_000,
} as const;

/**
 * A hanging SSM or DynamoDB endpoint must not eat the whole Lambda budget. These bound each call: every
 * attempt within `connectionTimeoutMs + requestTimeoutMs`, `maxAttempts` of them; `worstCaseAwsMs` adds
 * them up for the budget test. On top, each call carries an AbortSignal (`AbortSignal.timeout` of that
 * worst case, joined with the invocation's deadline signal), so the bound holds whatever the client —
 * an AbortSignal, not a client option, is what every AWS client honours.
 */
export const AWS_CLIENT_LIMITS = {
    ssm: { maxAttempts: 2, connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500 },
    dynamodb: { maxAttempts: 2, connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500 },
} as const;

export function worstCaseAwsMs(l: { maxAttempts: number; connectionTimeoutMs: number; requestTimeoutMs: number }): number {
    // Per attempt: connect, then wait for the response; the SDK's retry backoff is at most ~1 s per retry here.
    return l.maxAttempts * (l.connectionTimeoutMs + l.requestTimeoutMs) + (l.maxAttempts - 1) * 1_000;
}

/** The invocation's deadline (if any) and this call's own bound, whichever comes first. */
export function callDeadline(invocation: AbortSignal | undefined, boundMs: number): AbortSignal {
    const own = AbortSignal.timeout(boundMs);
    return invocation ? AbortSignal.any([invocation, own]) : own;
}

/** A client whose every `send` is bounded by `boundMs` on top of the caller's signal. */
function boundedClient<C extends { send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any> }>(client: C, boundMs: number) {
    return { send: (command: any, options?: { abortSignal?: AbortSignal }) => client.send(command, { ...options, abortSignal: callDeadline(options?.abortSignal, boundMs) }) };
}
export const TELEGRAM_LAMBDA_TIMEOUT_SECONDS = 40;
/** Kept free of the Lambda deadline for SSM, DynamoDB and the error path. */
export const DEADLINE_MARGIN_MS = 1_500;

/** Upper bound of one `sendMessage` call including the client's retries (transport.ts semantics). */
export function worstCaseClientMs(o: { timeoutMs: number; maxRetries: number; retryBackoffMs: number; maxRetryAfterMs: number }): number {
    let waits = 0;
    for (let attempt = 1; attempt <= o.maxRetries; attempt++) {
        waits += Math.max(o.maxRetryAfterMs, Math.min(o.retryBackoffMs * 2 ** (attempt - 1), 30_000));
    }
    return (o.maxRetries + 1) * o.timeoutMs + waits;
}

export interface TelegramSender {
    sendMessage(params: SendMessageParams, signal?: AbortSignal): Promise<{ message_id: number }>;
}

export type LogFn = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

export interface TelegramAlertDeps {
    stage: string;
    chatId: string;
    /**
     * Resolves the client; the factory caches it so the token is read once per container. `signal` is
     * the invocation's deadline, for the SSM read.
     */
    getApi: (signal?: AbortSignal) => Promise<TelegramSender>;
    tg: TelegramBuilders;
    /** Absent: every finding is sent (`alerts.repeat = "every"`). */
    dedup?: { store: DedupStore; quietMs: number };
    /** Configuration problems found by the factory; real events fail with them, health checks report them. */
    configProblems?: string[];
    now?: () => number;
    log?: LogFn;
}

export type AlertResult =
    | { status: "healthy" | "unhealthy"; problems: string[] }
    | { status: "skipped"; reason: string }
    | { status: "suppressed"; reason: string; findingId: string }
    | { status: "sent"; findingId: string; messageId: number; reason?: string; truncated: boolean; fallback: boolean }
    /** A SIEM detection (an OpenSearch notification delivered by SNS), by its SNS message id. */
    | { status: "suppressed"; reason: string; notificationId: string }
    | { status: "sent"; notificationId: string; messageId: number; truncated: boolean; fallback: boolean };

/** Dedup-table key of one SNS message: every delivery of one publish carries the same MessageId. */
export function snsDedupKey(n: { topicArn: string; messageId: string }): string {
    return `sns/${n.topicArn}/${n.messageId}`;
}

/**
 * Bot tokens look like `123456:ABC-def…`; scrub anything token-shaped before it reaches a log line — but not
 * the `:<account id>:<name>` of an ARN (a topic or function name is just as token-shaped), so the digits must
 * not follow a colon or another digit. A token in an API URL (`…/bot123456:ABC…`) is still caught.
 */
export function redact(s: string): string {
    return s.replace(/(?<![:\d])\d{3,}:[A-Za-z0-9_-]{20,}/g, "<redacted-token>");
}

export const jsonLog: LogFn = (level, msg, fields) => {
    const line = redact(JSON.stringify({ level, msg, ...fields }));
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
};

function errorFields(err: any): Record<string, unknown> {
    return {
        error: err?.name,
        message: redact(String(err?.message ?? err)),
        errorCode: err?.errorCode,
        retryAfter: err?.parameters?.retry_after,
        // A group upgraded to a supergroup answers 400 with its new id: the operator must update TELEGRAM_CHAT_ID.
        migrateToChatId: err?.parameters?.migrate_to_chat_id,
    };
}

export function makeTelegramAlertHandler(deps: TelegramAlertDeps) {
    const log = deps.log ?? jsonLog;
    const now = deps.now ?? Date.now;
    const problems = deps.configProblems ?? [];

    async function send(api: TelegramSender, params: SendMessageParams, signal?: AbortSignal) {
        try {
            return await api.sendMessage(params, signal);
        } catch (err: any) {
            if (signal?.aborted) {
                throw new Error("Telegram delivery did not finish before the Lambda deadline", { cause: err });
            }
            throw err;
        }
    }

    /**
     * Sends one rendered message. A 400 means Telegram refused this rendering (entities, button, length); the
     * same text as plain text, with the link inline, still gets through. If that fails too, it throws.
     */
    async function deliver(api: TelegramSender, msg: { text: string; entities: any[]; replyMarkup?: any; buttonUrl?: string },
        ids: Record<string, string>, signal?: AbortSignal): Promise<{ messageId: number; fallback: boolean }> {
        try {
            const sent = await send(api, {
                chat_id: deps.chatId,
                text: msg.text,
                entities: msg.entities,
                reply_markup: msg.replyMarkup,
                link_preview_options: { is_disabled: true },
            }, signal);
            return { messageId: sent.message_id, fallback: false };
        } catch (err: any) {
            if (err?.errorCode !== 400) {
                log("error", "telegram delivery failed", { ...ids, ...errorFields(err) });
                throw err;
            }
            log("warn", "telegram rejected the formatted message; sending plain text", { ...ids, ...errorFields(err) });
            try {
                const sent = await send(api, {
                    chat_id: deps.chatId,
                    text: cutUtf16(msg.buttonUrl ? `${msg.buttonUrl}\n\n${msg.text}` : msg.text, TELEGRAM_TEXT_LIMIT),
                    link_preview_options: { is_disabled: true },
                }, signal);
                return { messageId: sent.message_id, fallback: true };
            } catch (err2) {
                log("error", "telegram delivery failed", { ...ids, ...errorFields(err2) });
                throw err2;
            }
        }
    }

    /** The invocation's deadline, less the margin for the error path; undefined outside Lambda. */
    function deadline(context?: { getRemainingTimeInMillis?: () => number }): AbortSignal | undefined {
        const remaining = context?.getRemainingTimeInMillis?.();
        return remaining !== undefined ? AbortSignal.timeout(Math.max(1, remaining - DEADLINE_MARGIN_MS)) : undefined;
    }

    /**
     * A SIEM detection: rendered from the SNS notification and sent once. SNS and Lambda's asynchronous
     * invocation deliver at least once (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html); with the
     * dedup table, a second delivery of the same SNS message is suppressed. Same deadline, failure and
     * fallback rules as findings.
     */
    async function siemAlert(n: SiemNotification, context?: { getRemainingTimeInMillis?: () => number }): Promise<AlertResult> {
        const key = snsDedupKey(n);
        const signal = deadline(context);
        if (deps.dedup) {
            try {
                if (await deps.dedup.store.get(key, signal)) {
                    log("info", "suppressed a second delivery of a SIEM notification", { notificationId: n.messageId });
                    return { status: "suppressed", reason: "duplicate-delivery", notificationId: n.messageId };
                }
            } catch (err) {
                log("warn", "dedup lookup failed; alerting anyway", { notificationId: n.messageId, ...errorFields(err) });
            }
        }
        const api = await deps.getApi(signal);
        const msg = buildSiemMessage(n, { stage: deps.stage }, deps.tg);
        const { messageId, fallback } = await deliver(api, msg, { notificationId: n.messageId }, signal);
        if (deps.dedup) {
            try {
                await deps.dedup.store.record({ key, severity: 0, count: 1, alertedAt: now() }, signal);
            } catch (err) {
                log("warn", "dedup record failed after delivery", { notificationId: n.messageId, ...errorFields(err) });
            }
        }
        // The topic by name: `redact` takes "<account>:<long topic name>" for a bot token.
        log("info", "SIEM alert sent", { notificationId: n.messageId, topic: n.topicArn.split(":").pop(), subject: n.subject, messageId, truncated: msg.truncated, fallback });
        return { status: "sent", notificationId: n.messageId, messageId, truncated: msg.truncated, fallback };
    }

    return async function telegramAlertHandler(event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<AlertResult> {
        const sns = parseSnsEvent(event);
        if (sns.kind !== "none") {
            if (problems.length) throw new Error(`telegram-alert is misconfigured: ${problems.join("; ")}`);
            if (sns.kind === "unexpected") throw new Error(`telegram-alert: ${sns.reason}`);
            if (sns.kind === "skip") {
                log("info", "skipped event", { reason: sns.reason });
                return { status: "skipped", reason: sns.reason };
            }
            return siemAlert(sns.notification, context);
        }
        const parsed = parseFindingEvent(event);
        if (parsed.kind === "healthCheck") {
            return { status: problems.length ? "unhealthy" : "healthy", problems: [...problems] };
        }
        if (problems.length) throw new Error(`telegram-alert is misconfigured: ${problems.join("; ")}`);
        if (parsed.kind === "skip") {
            log("info", "skipped event", { reason: parsed.reason });
            return { status: "skipped", reason: parsed.reason };
        }
        const f: Finding = parsed.finding;
        const key = dedupKey(f);
        // One deadline for every call below (DynamoDB, SSM, Telegram, DynamoDB again): whatever hangs, the
        // handler returns or throws before Lambda kills it, so a sent alert is never re-sent by a timeout.
        const signal = deadline(context);

        let prev;
        let reason: string | undefined;
        if (deps.dedup) {
            try {
                prev = await deps.dedup.store.get(key, signal);
                const d = decide(prev, f, now(), deps.dedup.quietMs);
                if (!d.alert) {
                    log("info", "suppressed repeat of an alerted finding", { findingId: f.id, reason: d.reason, count: f.count });
                    return { status: "suppressed", reason: d.reason, findingId: f.id };
                }
                reason = d.reason;
            } catch (err) {
                // Fail open: a duplicate alert is cheap, a finding nobody hears of is not.
                log("warn", "dedup lookup failed; alerting anyway", { findingId: f.id, ...errorFields(err) });
            }
        }

        const api = await deps.getApi(signal);
        const msg = buildFindingMessage(f, { stage: deps.stage, reason }, deps.tg);
        const { messageId, fallback } = await deliver(api, msg, { findingId: f.id }, signal);

        if (deps.dedup) {
            try {
                await deps.dedup.store.record(nextRecord(key, prev, f, now()), signal);
            } catch (err) {
                // The alert is out; failing now would only make Lambda send it again.
                log("warn", "dedup record failed after delivery", { findingId: f.id, ...errorFields(err) });
            }
        }
        log("info", "alert sent", { findingId: f.id, severity: f.severity, reason, messageId, truncated: msg.truncated, fallback });
        return { status: "sent", findingId: f.id, messageId, reason, truncated: msg.truncated, fallback };
    };
}

/**
 * Zero-arg factory for `CallbackFunction.callbackFactory`. Runs once per container: reads the
 * environment and builds clients here (not at module scope) so Pulumi's serializer captures modules by
 * `require` and no client instance. The token promise is cached, so SSM is read once per container; a
 * failed read is forgotten so the next invocation tries again.
 */
export function createTelegramAlertHandler() {
    const tg = require("node-telegram-bot-api");
    const env = process.env;
    const problems: string[] = [];
    const chatId = env.TELEGRAM_CHAT_ID ?? "";
    const tokenOverride = env.TELEGRAM_BOT_TOKEN;
    const tokenParameter = env.TELEGRAM_TOKEN_PARAMETER;
    if (!chatId) problems.push("TELEGRAM_CHAT_ID is not set");
    if (!tokenOverride && !tokenParameter) problems.push("neither TELEGRAM_TOKEN_PARAMETER nor TELEGRAM_BOT_TOKEN is set");
    let quietMinutes = 0;
    try {
        quietMinutes = parseQuietMinutes(env.DEDUP_QUIET_MINUTES);
    } catch (err: any) {
        problems.push(err.message);
    }
    const options: TransportOptions = { ...TELEGRAM_CLIENT_OPTIONS, apiRoot: env.TELEGRAM_API_ROOT || "https://api.telegram.org" };

    // SSM and DynamoDB through a signed JSON-protocol client (functions/shared/awsJson.ts), not the SDK:
    // loading the two SDK clients was two thirds of this function's cold start.
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "";
    async function readToken(signal?: AbortSignal): Promise<string> {
        if (tokenOverride) return tokenOverride;
        const ssm = awsJsonClient({ service: "ssm", targetPrefix: "AmazonSSM", jsonVersion: "1.1", region, limits: AWS_CLIENT_LIMITS.ssm });
        const out = await ssm.call("GetParameter", { Name: tokenParameter, WithDecryption: true }, callDeadline(signal, worstCaseAwsMs(AWS_CLIENT_LIMITS.ssm)));
        const value = out?.Parameter?.Value;
        if (!value) throw new Error(`SSM parameter ${tokenParameter} has no value`);
        return value;
    }

    let apiPromise: Promise<TelegramSender> | undefined;
    function getApi(signal?: AbortSignal): Promise<TelegramSender> {
        if (!apiPromise) {
            const p: Promise<TelegramSender> = readToken(signal).then((token) => new tg.Api(token, options));
            apiPromise = p;
            p.catch(() => {
                if (apiPromise === p) apiPromise = undefined;
            });
        }
        return apiPromise;
    }

    let dedup: TelegramAlertDeps["dedup"];
    if (env.DEDUP_TABLE) {
        const dynamodb = awsJsonClient({ service: "dynamodb", targetPrefix: "DynamoDB_20120810", jsonVersion: "1.0", region, limits: AWS_CLIENT_LIMITS.dynamodb });
        dedup = {
            store: dynamoDedupStore(
                boundedClient(commandClient(dynamodb), worstCaseAwsMs(AWS_CLIENT_LIMITS.dynamodb)),
                { GetItemCommand: jsonCommand("GetItem"), PutItemCommand: jsonCommand("PutItem") }, env.DEDUP_TABLE),
            quietMs: quietMinutes * 60_000,
        };
    }

    return makeTelegramAlertHandler({
        stage: env.STAGE || "unknown",
        chatId,
        getApi,
        tg,
        dedup,
        configProblems: problems,
    });
}
