/**
 * Pure policy documents of the SIEM detections topic (siemDetectionsTopic.ts). No Pulumi, so tests evaluate them
 * with an IAM policy simulator.
 */
import { denyInsecureTransportTo, policyDocument, PolicyStatement } from "../shared/iamPolicy";

/**
 * The topic lets nothing in from outside: it grants no one. Its only publisher is the SIEM's notification role
 * in the same account, whose own policy allows `sns:Publish` on this topic — within one account an allow in
 * either the identity-based or the resource-based policy is enough
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
 * No EventBridge rule and no CloudWatch alarm may publish here (unlike the alert topic): GuardDuty findings and
 * alarms never reach this topic's Telegram subscription, so no finding is sent twice and no alarm is chatted.
 */
export function siemTopicPolicy(p: { topicArn: string }) {
    return policyDocument([denyInsecureTransportTo(p.topicArn, "sns:Publish") as PolicyStatement]);
}

/**
 * SNS parks a message it could not deliver to the Telegram function (a client error such as a missing invoke
 * permission at once, server errors after its retries) in this queue, from this topic only
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html).
 */
export function siemDeadLetterQueuePolicy(p: { queueArn: string; topicArn: string }) {
    return policyDocument([
        {
            Sid: "DeadLettersFromSiemTopic",
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: p.queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": p.topicArn } },
        },
        denyInsecureTransportTo(p.queueArn, "sqs:*") as PolicyStatement,
    ]);
}

/** The subscription's redrive policy attribute (same page): where undeliverable messages go. */
export function siemRedrivePolicy(queueArn: string): string {
    return JSON.stringify({ deadLetterTargetArn: queueArn });
}
