import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEDUP_HASH_KEY, DEDUP_TTL_ATTRIBUTE, DEFAULT_QUIET_MINUTES } from "../../functions/telegram-alert/dedup";
import { createTelegramAlertHandler, TELEGRAM_LAMBDA_TIMEOUT_SECONDS } from "../../functions/telegram-alert/telegramAlert";
import {
    alertKeyPolicy, alertTopicPolicy, DEFAULT_MIN_SEVERITY, emailInputTransformer, emailSlug, eventsDlqPolicy,
    guardDutyBandPattern, guardDutySeverityPattern, RepeatMode, severityBandRanges, telegramFunctionStatements,
    validateAlertArgs,
} from "./alertPolicies";
import { queueDepthAlarm, snsDeliveryFailedAlarm } from "../shared/alarms";
import { siemDetectionsTopic } from "./siemDetectionsTopic";
import { GuardedFunction } from "../shared/guardedFunction";
import { partitionOf } from "../../model/partition";
import { guardpostBoundaryArn } from "../../model/iamPath";

/** Packages the Telegram handler requires at run time; everything else stays out of its archive. */
export const TELEGRAM_ALERT_PACKAGES = ["node-telegram-bot-api"];

export interface AlertFanoutArgs {
    /** The 12-digit id of the account this fanout is declared in (its provider's account). */
    accountId: string;
    /** The region of the topic, rules and function: GuardDuty publishes findings to EventBridge per region. */
    region: string;
    /** Stage name shown in every alert (`dev`, `prod`, …): lower-case letters, digits, '-'. */
    stage: string;
    /** Lowest GuardDuty severity (1–10) that alerts; default 4 (Medium and above, Critical included). */
    minSeverity?: number;
    /** Addresses subscribed to the topic by e-mail; each must confirm the subscription once. May be empty when `telegram` is set. */
    emails: string[];
    /** Telegram delivery; omit to alert by e-mail only. */
    telegram?: {
        /** Numeric chat id (groups are negative) or `@channelname`. */
        chatId: string;
        /** Bot token, from the secret `guardpost:telegramBotToken`; stored only as an SSM SecureString. */
        botToken: pulumi.Input<string>;
        /** Concurrency kept for the Telegram function, so other functions (a retrying shipper) cannot take it all. 0 = none. */
        reservedConcurrency?: number;
    };
    /**
     * `every`: every finding event is sent. `new-and-escalations`: a DynamoDB table lets the function send
     * a new finding id or a higher severity, and a growing count at most once per `quietMinutes`.
     * Affects Telegram only; EventBridge cannot de-duplicate e-mail. Default `every`.
     */
    repeat?: RepeatMode;
    /** Quiet period for repeats of the same finding under `new-and-escalations`; default 60. */
    quietMinutes?: number;
    /** Where delivery-failure alarms go besides this topic (which may be the thing that is failing). */
    failureAlarm?: {
        /** Extra alarm actions, e.g. a topic in another region or account. */
        extraActions?: pulumi.Input<string>[];
    };
    /** Days to keep the Telegram function's logs; default 90. */
    logRetentionDays?: number;
    /**
     * Whether GuardDuty findings alert from this account × region (default true). In an organization only
     * the delegated administrator's fanout does: GuardDuty publishes each member finding to the member's
     * bus and to the administrator's, so a rule in both would alert twice. A fanout without finding rules
     * keeps its topic, e-mail subscribers and key for the account's own pipeline alarms, and declares no
     * rule, Telegram function or EventBridge dead-letter queue.
     */
    findingRules?: boolean;
    /**
     * Declare the SIEM detections topic (`siemTopicArn`) the SIEM's notification channel publishes to, subscribed by
     * the same e-mail addresses and, with Telegram, the Telegram function (SNS → Lambda, with its invoke permission
     * and a dead-letter queue). Only the fanout of the SIEM's account and region — the security account's home
     * region — sets it; it needs `findingRules`. Default false.
     */
    siemDetections?: boolean;
}

/**
 * Per account × region: GuardDuty findings at or above `minSeverity` go to an encrypted SNS topic
 * (e-mail) and to a Telegram Lambda. Every hop that can fail ends in a queue with an alarm: EventBridge
 * targets have a DLQ, the Lambda has an on-failure destination, and both queues alarm to the topic. In the
 * SIEM's account and region it also holds the SIEM detections topic (`siemDetections`), which reaches the same
 * e-mail addresses and Telegram function.
 */
export class AlertFanout extends pulumi.ComponentResource {
    declare readonly topicArn: pulumi.Output<string>;
    /** The rule feeding Telegram (pattern `guardDutySeverityPattern(minSeverity)`); undefined without Telegram. */
    declare readonly ruleArn: pulumi.Output<string | undefined>;
    declare readonly emailRuleArns: pulumi.Output<string[]>;
    declare readonly functionName: pulumi.Output<string | undefined>;
    /** The Telegram function's on-failure queue; undefined without Telegram. */
    declare readonly failureQueueUrl: pulumi.Output<string | undefined>;
    /** The EventBridge dead-letter queue of the finding rules; undefined without finding rules. */
    declare readonly eventsDeadLetterQueueUrl: pulumi.Output<string | undefined>;
    /** The SIEM detections topic (see `siemDetections`); undefined without it. */
    declare readonly siemTopicArn: pulumi.Output<string | undefined>;

    constructor(name: string, args: AlertFanoutArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before super: invalid arguments must fail without registering a half-built component.
        validateAlertArgs(name, args);
        super("guardpost:alerting:AlertFanout", name, {}, opts);
        // Plain locals: closures and apply callbacks below must not capture `this` or `args`.
        const stage = args.stage;
        const minSeverity = args.minSeverity ?? DEFAULT_MIN_SEVERITY;
        const repeat = args.repeat ?? "every";
        const quietMinutes = args.quietMinutes ?? DEFAULT_QUIET_MINUTES;
        const extraActions = args.failureAlarm?.extraActions ?? [];
        const parent = { parent: this };
        const findingRules = args.findingRules ?? true;
        const siemDetections = args.siemDetections ?? false;

        // From arguments, not invokes: the offline plan has no AWS to ask, and an invoke per component is
        // slow at scale.
        const account = args.accountId;
        const region = args.region;
        const partition = partitionOf(region);

        const key = new aws.kms.Key(`${name}-key`, {
            region,
            description: `guardpost ${stage} alerting: SNS topic, EventBridge DLQ, Telegram token`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: JSON.stringify(alertKeyPolicy({ partition, account, snsDeadLetters: siemDetections && args.telegram !== undefined })),
        }, parent);
        new aws.kms.Alias(`${name}-key-alias`, { region, name: `alias/guardpost/${name}-alerts`, targetKeyId: key.keyId }, parent);

        const topic = new aws.sns.Topic(`${name}-topic`, {
            region,
            displayName: `guardpost ${stage} GuardDuty`,
            kmsMasterKeyId: key.arn,
        }, parent);
        for (const email of args.emails) {
            new aws.sns.TopicSubscription(`${name}-email-${emailSlug(email)}`, { region, topic: topic.arn, protocol: "email", endpoint: email }, parent);
        }

        if (!findingRules) {
            new aws.sns.TopicPolicy(`${name}-topic-policy`, {
                region,
                arn: topic.arn,
                policy: topic.arn.apply(topicArn => JSON.stringify(alertTopicPolicy({ topicArn, ruleArns: [] }))),
            }, parent);
            this.topicArn = topic.arn;
            this.ruleArn = pulumi.output(undefined);
            this.emailRuleArns = pulumi.output([]);
            this.functionName = pulumi.output(undefined);
            this.failureQueueUrl = pulumi.output(undefined);
            this.eventsDeadLetterQueueUrl = pulumi.output(undefined);
            this.siemTopicArn = pulumi.output(undefined);
            this.registerOutputs({ topicArn: this.topicArn });
            return;
        }

        const eventsDlq = new aws.sqs.Queue(`${name}-events-dlq`, {
            region,
            kmsMasterKeyId: key.arn,
            messageRetentionSeconds: 1209600,
        }, parent);

        // E-mail: one rule per band so the sentence can name the band (a transformer cannot compute it).
        const emailRules: aws.cloudwatch.EventRule[] = [];
        if (args.emails.length > 0) {
            for (const range of severityBandRanges(minSeverity)) {
                const band = range.band.toLowerCase();
                const rule = new aws.cloudwatch.EventRule(`${name}-email-${band}`, {
                    region,
                    description: `guardpost ${stage}: GuardDuty ${range.band} findings (severity >= ${minSeverity}) to e-mail`,
                    eventPattern: JSON.stringify(guardDutyBandPattern(range)),
                }, parent);
                new aws.cloudwatch.EventTarget(`${name}-email-${band}-target`, {
                    region,
                    rule: rule.name,
                    arn: topic.arn,
                    inputTransformer: emailInputTransformer(stage, range.band, partition),
                    deadLetterConfig: { arn: eventsDlq.arn },
                    retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
                }, parent);
                emailRules.push(rule);
            }
        }

        let fn: GuardedFunction | undefined;
        let telegramRule: aws.cloudwatch.EventRule | undefined;
        if (args.telegram) {
            const parameter = new aws.ssm.Parameter(`${name}-telegram-token`, {
                region,
                name: `/guardpost/${stage}/${name}/telegram-bot-token`,
                description: "Telegram bot token for guardpost alerts (read by the telegram-alert function)",
                type: "SecureString",
                keyId: key.arn,
                value: pulumi.secret(args.telegram.botToken),
            }, parent);
            const table = repeat === "new-and-escalations"
                ? new aws.dynamodb.Table(`${name}-dedup`, {
                    region,
                    billingMode: "PAY_PER_REQUEST",
                    hashKey: DEDUP_HASH_KEY,
                    attributes: [{ name: DEDUP_HASH_KEY, type: "S" }],
                    ttl: { attributeName: DEDUP_TTL_ATTRIBUTE, enabled: true },
                    serverSideEncryption: { enabled: true },
                }, parent)
                : undefined;

            const environment: Record<string, pulumi.Input<string>> = {
                TELEGRAM_CHAT_ID: args.telegram.chatId,
                STAGE: stage,
                TELEGRAM_TOKEN_PARAMETER: parameter.name,
            };
            if (table) {
                environment.DEDUP_TABLE = table.name;
                environment.DEDUP_QUIET_MINUTES = String(quietMinutes);
            }
            // The failure queue keeps SQS-managed encryption rather than the CMK: the CMK would need an
            // unconditional kms:Decrypt in this role, which would make the via-SSM condition meaningless.
            fn = new GuardedFunction(`${name}-telegram`, {
                region,
                permissionsBoundary: guardpostBoundaryArn(partition, account),
                functionTag: "telegram-alert",
                description: `guardpost ${stage}: GuardDuty findings${siemDetections ? " and SIEM detections" : ""} to Telegram`,
                callbackFactory: createTelegramAlertHandler,
                packages: TELEGRAM_ALERT_PACKAGES,
                timeout: TELEGRAM_LAMBDA_TIMEOUT_SECONDS,
                environment,
                statements: pulumi.all([parameter.arn, key.arn, table?.arn]).apply(([parameterArn, keyArn, tableArn]) =>
                    telegramFunctionStatements({ parameterArn, keyArn, region, tableArn })),
                alarmTopicArn: topic.arn,
                logRetentionDays: args.logRetentionDays,
                reservedConcurrency: args.telegram.reservedConcurrency,
            }, parent);

            telegramRule = new aws.cloudwatch.EventRule(`${name}-telegram`, {
                region,
                description: `guardpost ${stage}: GuardDuty findings (severity >= ${minSeverity}) to Telegram`,
                eventPattern: JSON.stringify(guardDutySeverityPattern(minSeverity)),
            }, parent);
            const permission = new aws.lambda.Permission(`${name}-telegram-invoke`, {
                region,
                action: "lambda:InvokeFunction",
                function: fn.function.name,
                principal: "events.amazonaws.com",
                sourceArn: telegramRule.arn,
            }, parent);
            new aws.cloudwatch.EventTarget(`${name}-telegram-target`, {
                region,
                rule: telegramRule.name,
                arn: fn.function.arn,
                deadLetterConfig: { arn: eventsDlq.arn },
                retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
            }, { parent: this, dependsOn: [permission] });
        }

        const allRules = [...emailRules, ...(telegramRule ? [telegramRule] : [])];
        const ruleArns = pulumi.all(allRules.map((r) => r.arn));
        new aws.sqs.QueuePolicy(`${name}-events-dlq-policy`, {
            region,
            queueUrl: eventsDlq.url,
            policy: pulumi.all([eventsDlq.arn, ruleArns]).apply(([queueArn, arns]) => JSON.stringify(eventsDlqPolicy({ queueArn, ruleArns: arns }))),
        }, parent);

        queueDepthAlarm(`${name}-events-dlq-alarm`, {
            region,
            description: `guardpost ${stage}: EventBridge could not deliver GuardDuty findings; they are parked in the DLQ`,
            queueName: eventsDlq.name,
            actions: [topic.arn, ...extraActions],
        }, parent);

        // E-mail deliveries that SNS gave up on (bounces, suppressed or unreachable addresses) count in
        // NumberOfNotificationsFailed (AWS/SNS, TopicName; https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html).
        // The alarm goes to the second channel as well: the topic itself may be what fails.
        if (args.emails.length > 0) {
            snsDeliveryFailedAlarm(`${name}-email-failed-alarm`, {
                region,
                description: `guardpost ${stage}: SNS could not deliver alert e-mails (NumberOfNotificationsFailed); check the subscriptions of ${name}`,
                topicName: topic.name,
                actions: [topic.arn, ...extraActions],
            }, parent);
        }

        const siem = siemDetections
            ? siemDetectionsTopic(name, { region, stage, keyArn: key.arn, emails: args.emails, telegram: fn, alarmActions: [topic.arn, ...extraActions] }, this)
            : undefined;

        const emailRuleArns = pulumi.all(emailRules.map((r) => r.arn));
        new aws.sns.TopicPolicy(`${name}-topic-policy`, {
            region,
            arn: topic.arn,
            policy: pulumi.all([topic.arn, emailRuleArns]).apply(([topicArn, rules]) =>
                JSON.stringify(alertTopicPolicy({ topicArn, ruleArns: rules }))),
        }, parent);

        this.topicArn = topic.arn;
        this.ruleArn = telegramRule ? telegramRule.arn : pulumi.output(undefined);
        this.emailRuleArns = emailRuleArns;
        this.functionName = fn ? fn.function.name : pulumi.output(undefined);
        this.failureQueueUrl = fn ? fn.failureQueue.url : pulumi.output(undefined);
        this.eventsDeadLetterQueueUrl = eventsDlq.url;
        this.siemTopicArn = siem ? siem.topicArn : pulumi.output(undefined);
        this.registerOutputs({
            siemTopicArn: this.siemTopicArn,
            topicArn: this.topicArn,
            ruleArn: this.ruleArn,
            emailRuleArns: this.emailRuleArns,
            functionName: this.functionName,
            failureQueueUrl: this.failureQueueUrl,
            eventsDeadLetterQueueUrl: this.eventsDeadLetterQueueUrl,
        });
    }
}
