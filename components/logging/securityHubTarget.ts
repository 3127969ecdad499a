import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { queueDepthAlarm } from "../shared/alarms";
import { securityHubDlqPolicy } from "./logPolicies";

export interface SecurityHubTargetArgs {
    region: string;
    /** The rule matching Security Hub's imported findings. */
    rule: aws.cloudwatch.EventRule;
    /** Where the findings go: a Firehose stream (LogPipeline) or the log relay function (LogRelay). */
    targetArn: pulumi.Input<string>;
    /** The role EventBridge assumes to reach the target; none for a Lambda target (its resource policy admits EventBridge). */
    roleArn?: pulumi.Input<string>;
    /** What must exist before the target works (the role's policy, the Lambda permission). */
    dependsOn: pulumi.Resource[];
    /** What a message parked in the dead-letter queue means, for whoever the alarm wakes. */
    alarmDescription: string;
    alarmActions: pulumi.Input<string>[];
    tags?: Record<string, string>;
}

/**
 * The rule's target with its dead-letter queue and the queue's alarm: EventBridge retries a failed delivery for a
 * day (185 attempts), then parks the event in the queue, which only this rule may write to, and any message there
 * raises the alarm. Shared by LogPipeline (to Firehose) and LogRelay (to its function). Returns the queue.
 */
export function securityHubTarget(name: string, a: SecurityHubTargetArgs, parent: pulumi.Resource): aws.sqs.Queue {
    const opts = { parent };
    const dlq = new aws.sqs.Queue(`${name}-securityhub-dlq`, { region: a.region, sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600, tags: a.tags }, opts);
    new aws.sqs.QueuePolicy(`${name}-securityhub-dlq`, {
        region: a.region,
        queueUrl: dlq.url,
        policy: pulumi.all([dlq.arn, a.rule.arn]).apply(([queueArn, ruleArn]) => JSON.stringify(securityHubDlqPolicy({ queueArn, ruleArn }))),
    }, opts);
    new aws.cloudwatch.EventTarget(`${name}-securityhub`, {
        region: a.region,
        rule: a.rule.name,
        arn: a.targetArn,
        roleArn: a.roleArn,
        deadLetterConfig: { arn: dlq.arn },
        retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
    }, { parent, dependsOn: a.dependsOn });
    queueDepthAlarm(`${name}-securityhub-dlq`, { region: a.region, description: a.alarmDescription, queueName: dlq.name, actions: a.alarmActions, tags: a.tags }, opts);
    return dlq;
}
