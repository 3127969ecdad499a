/** `guardpost:alerts`, and the secrets the alert channels make necessary. */
import { ConfigError, Issues } from "../configErrors";
import { DEFAULT_TELEGRAM_RESERVED, REPEAT_MODES, type AlertsConfig, type GuardpostConfig, type RawConfig } from "./types";
import { list, num, object, oneOf, str, unknownKeys } from "./readers";

export function parseAlerts(value: unknown, issues: Issues): AlertsConfig {
    const at = "guardpost:alerts";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["minSeverity", "emails", "telegramChatId", "repeat", "quietMinutes", "telegramReservedConcurrency", "failureTopicArns"], issues);
    const minSeverity = num(v.minSeverity ?? 4, `${at}.minSeverity`, issues, { min: 1, max: 10, hint: "GuardDuty severities run 1.0–10.0; 4 = Medium and above, 7 = High and above" }) ?? 4;
    const emails = list(v.emails ?? [], `${at}.emails`, issues, (e, k) => str(e, k, issues, { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, hint: "an address like secops@example.com" })) ?? [];
    const chat = v.telegramChatId === undefined ? undefined : String(v.telegramChatId);
    if (chat !== undefined && !/^(-?\d{1,20}|@[A-Za-z][\w]{4,31})$/.test(chat)) {
        issues.add(`${at}.telegramChatId`, `'${chat}' is not a Telegram chat id`, "use the numeric id (groups start with -100…) or @channelusername");
    }
    return {
        minSeverity,
        emails,
        telegramChatId: chat,
        repeat: oneOf(v.repeat ?? "every", `${at}.repeat`, issues, REPEAT_MODES) ?? "every",
        quietMinutes: num(v.quietMinutes ?? 60, `${at}.quietMinutes`, issues, { min: 1, max: 10080, integer: true, hint: "minutes between repeat alerts for a growing count" }) ?? 60,
        failureTopicArns: list(v.failureTopicArns ?? [], `${at}.failureTopicArns`, issues, (t, k) => str(t, k, issues, { pattern: /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, hint: "an SNS topic ARN (one per region with alerts: an alarm notifies topics in its own region)" })) ?? [],
        telegramReservedConcurrency: num(v.telegramReservedConcurrency ?? DEFAULT_TELEGRAM_RESERVED, `${at}.telegramReservedConcurrency`, issues, { min: 0, max: 1000, integer: true, hint: "concurrent executions kept for the Telegram function in each region, 0 for none" }) ?? DEFAULT_TELEGRAM_RESERVED,
    };
}

/** Secrets a stack's config makes necessary: `guardpost:<key>` → why it is needed. */
export function requiredSecrets(cfg: GuardpostConfig): Record<string, string> {
    const needed: Record<string, string> = {};
    if (cfg.alerts.telegramChatId) needed["guardpost:telegramBotToken"] = "alerts.telegramChatId is set, so the Telegram function needs the bot token";
    return needed;
}

/**
 * The secrets this stack needs but does not have, as one ConfigError naming the command that sets each.
 * Pulumi.yaml cannot declare a key optional (a declared key without a default is required in every stack,
 * https://github.com/pulumi/pulumi/issues/21797), so the program checks the keys where they are used.
 */
export function missingSecrets(raw: RawConfig, cfg: GuardpostConfig, stack: string): ConfigError | undefined {
    const issues = Object.entries(requiredSecrets(cfg))
        .filter(([key]) => raw[key] === undefined || raw[key] === "")
        .map(([key, why]) => ({ key, problem: `is not set, but ${why}`, fix: `run \`pulumi config set --secret ${key} <value> --stack ${stack}\`` }));
    return issues.length > 0 ? new ConfigError(issues) : undefined;
}
