/**
 * Pure pieces of AlertFanout: event patterns, policies and validation. No Pulumi here, so every
 * document can be tested as plain data and the component stays a thin wiring layer.
 */
import { consoleHost } from "../../functions/telegram-alert/consoleLink";
import { SeverityBand } from "../../functions/telegram-alert/severity";
import { denyInsecureTransportTo as denyInsecureTransport } from "../shared/iamPolicy";

export { eventsDlqPolicy } from "../shared/iamPolicy";

export type RepeatMode = "every" | "new-and-escalations";
export const REPEAT_MODES: readonly RepeatMode[] = ["every", "new-and-escalations"];
export const DEFAULT_MIN_SEVERITY = 4;

/** Numeric matching, so Critical (9.0–10.0) matches and no enumerated list of decimals can miss a value. */
export function guardDutySeverityPattern(min: number) {
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": { severity: [{ numeric: [">=", min] }] },
    };
}

export interface BandRange {
    band: SeverityBand;
    lower: number;
    /** Exclusive; absent for Critical so anything above 10 still matches. */
    upper?: number;
}

const BAND_RANGES: readonly BandRange[] = [
    { band: "Low", lower: 0, upper: 4 },
    { band: "Medium", lower: 4, upper: 7 },
    { band: "High", lower: 7, upper: 9 },
    { band: "Critical", lower: 9 },
];

/**
 * The bands at or above `min`, clipped to it. An input transformer cannot compute a band, so the
 * e-mail path uses one rule per band with the band written into its template; the ranges are disjoint
 * and together cover exactly what `guardDutySeverityPattern(min)` matches.
 */
export function severityBandRanges(min: number): BandRange[] {
    return BAND_RANGES
        .filter((r) => r.upper === undefined || r.upper > min)
        .map((r) => ({ ...r, lower: Math.max(r.lower, min) }));
}

export function guardDutyBandPattern(range: BandRange) {
    const numeric: Array<string | number> = [">=", range.lower];
    if (range.upper !== undefined) numeric.push("<", range.upper);
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": { severity: [{ numeric }] },
    };
}

/**
 * One readable sentence per finding for the e-mail. Band and stage are fixed per rule at deploy time;
 * the console host is fixed per partition. The template is a JSON string (quoted), as EventBridge requires
 * for string output; it JSON-escapes the substituted values.
 */
export function emailInputTransformer(stage: string, band: SeverityBand, partition: string) {
    const host = consoleHost(partition);
    const sentence =
        `[${stage}] GuardDuty ${band} finding, severity <severity>: <title> ` +
        `(type <type>, account <account>, region <region>, occurrences <count>). ` +
        `Open: https://<region>.${host}/guardduty/home?region=<region>#/findings?macros=current&fId=<id>`;
    return {
        inputPaths: {
            severity: "$.detail.severity",
            title: "$.detail.title",
            type: "$.detail.type",
            account: "$.detail.accountId",
            region: "$.detail.region",
            count: "$.detail.service.count",
            id: "$.detail.id",
        },
        inputTemplate: JSON.stringify(sentence),
    };
}

type Statement = Record<string, unknown>;
const doc = (Statement: Statement[]) => ({ Version: "2012-10-17", Statement });

/**
 * The CMK behind the topic and the EventBridge DLQ. EventBridge publishing to an SNS topic encrypted with
 * an AWS-managed key is silently dropped, hence a CMK that names the publishing services. No conditions on
 * the service statements: the topic and queue policies already pin the sources, and a condition KMS does
 * not receive for these calls would reintroduce the silent drop.
 */
export function alertKeyPolicy(p: { partition: string; account: string; snsDeadLetters?: boolean }) {
    // With the SIEM detections topic, SNS writes undeliverable messages to a queue under this key, and "to use an
    // encrypted Amazon SQS queue as a dead-letter queue, you must use a custom KMS with a key policy that grants
    // the Amazon SNS service principal access" (https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html).
    const sns: Statement[] = p.snsDeadLetters ? [{
        Sid: "SnsEncryptsForDeadLetters",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
    }] : [];
    return doc([
        {
            Sid: "AccountAdministers",
            Effect: "Allow",
            Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` },
            Action: "kms:*",
            Resource: "*",
        },
        {
            Sid: "EventBridgeEncryptsForTopicAndDlq",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
        },
        {
            Sid: "CloudWatchAlarmsEncryptForTopic",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
        },
        ...sns,
    ]);
}

/**
 * Only our rules and this account × region's alarms may publish. Alarms are matched by account and region
 * rather than by ARN because other components (LogPipeline's dead-letter and failure alarms) route their
 * alarms here and are declared after this topic. A rule statement with no rules is left out, never widened.
 */
export function alertTopicPolicy(p: { topicArn: string; ruleArns: string[] }) {
    const [, partition, , region, account] = p.topicArn.split(":");
    const statements: Statement[] = [];
    if (p.ruleArns.length) {
        statements.push({
            Sid: "PublishFromOwnRules",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sns:Publish",
            Resource: p.topicArn,
            Condition: { ArnEquals: { "aws:SourceArn": p.ruleArns } },
        });
    }
    statements.push({
        Sid: "PublishFromAccountAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: p.topicArn,
        Condition: {
            ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
            StringEquals: { "aws:SourceAccount": account },
        },
    });
    statements.push(denyInsecureTransport(p.topicArn, "sns:Publish"));
    return doc(statements);
}

/**
 * What the Telegram function may do beyond its log group and failure queue: read one parameter, decrypt
 * with the CMK only through SSM and only for that parameter, and read/write its dedup table.
 */
export function telegramFunctionStatements(p: {
    parameterArn: string; keyArn: string; region: string; tableArn?: string;
}) {
    const statements: Array<{ Sid: string; Effect: "Allow"; Action: string | string[]; Resource: string; Condition?: Record<string, Record<string, string>> }> = [
        { Sid: "ReadBotToken", Effect: "Allow", Action: "ssm:GetParameter", Resource: p.parameterArn },
        {
            Sid: "DecryptBotTokenViaSsm",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: p.keyArn,
            Condition: {
                StringEquals: {
                    "kms:ViaService": `ssm.${p.region}.amazonaws.com`,
                    "kms:EncryptionContext:PARAMETER_ARN": p.parameterArn,
                },
            },
        },
    ];
    if (p.tableArn) {
        statements.push({ Sid: "DedupTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: p.tableArn });
    }
    return statements;
}

/** Stable child-name fragment for an address, so reordering the list replaces nothing. */
export function emailSlug(email: string): string {
    return email.toLowerCase().replace(/@/g, "-at-").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CHAT_ID = /^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$/;

/** Plain-data checks on AlertFanout's arguments; throws one message naming every problem. */
export function validateAlertArgs(name: string, a: {
    stage?: unknown; minSeverity?: unknown; emails?: unknown; telegram?: { chatId?: unknown; botToken?: unknown };
    repeat?: unknown; quietMinutes?: unknown; siemDetections?: unknown; findingRules?: unknown;
}): void {
    const problems: string[] = [];
    if (typeof a.stage !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(a.stage)) {
        problems.push(`stage must be lower-case letters, digits and '-', got ${JSON.stringify(a.stage)}`);
    }
    if (a.minSeverity !== undefined && (typeof a.minSeverity !== "number" || !(a.minSeverity >= 1 && a.minSeverity <= 10))) {
        problems.push(`minSeverity must be a number from 1 to 10, got ${JSON.stringify(a.minSeverity)}`);
    }
    if (!Array.isArray(a.emails)) {
        problems.push("emails must be a list of addresses (it may be empty when telegram is set)");
    } else {
        for (const e of a.emails) if (typeof e !== "string" || !EMAIL.test(e)) problems.push(`'${String(e)}' is not an e-mail address`);
        const slugs = a.emails.filter((e) => typeof e === "string").map((e) => emailSlug(e as string));
        if (new Set(slugs).size !== slugs.length) problems.push("emails contains the same address twice");
        if (a.emails.length === 0 && !a.telegram) problems.push("no channel: give at least one e-mail address or telegram");
    }
    if (a.telegram) {
        if (typeof a.telegram.chatId !== "string" || !CHAT_ID.test(a.telegram.chatId)) {
            problems.push(`telegram.chatId must be a numeric chat id or @channel, got ${JSON.stringify(a.telegram.chatId)}`);
        }
        if (a.telegram.botToken === undefined || a.telegram.botToken === null || a.telegram.botToken === "") {
            problems.push("telegram.botToken is required (the secret guardpost:telegramBotToken)");
        }
    }
    if (a.repeat !== undefined && !REPEAT_MODES.includes(a.repeat as RepeatMode)) {
        problems.push(`repeat must be one of ${REPEAT_MODES.join(", ")}, got ${JSON.stringify(a.repeat)}`);
    }
    if (a.quietMinutes !== undefined && (typeof a.quietMinutes !== "number" || !(a.quietMinutes >= 0) || !Number.isFinite(a.quietMinutes))) {
        problems.push(`quietMinutes must be a non-negative number, got ${JSON.stringify(a.quietMinutes)}`);
    }
    if (a.siemDetections === true && a.findingRules === false) {
        problems.push("siemDetections needs findingRules: the SIEM detections topic is delivered by the fanout that runs the Telegram function (the security account's home region)");
    }
    if (problems.length) throw new Error(`AlertFanout ${name}: ${problems.join("; ")}`);
}
