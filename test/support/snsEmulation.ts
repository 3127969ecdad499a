import { randomUUID } from "crypto";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { fakeState, MockedResource } from "../../plan/engine";
import { snsLambdaEvent } from "./siemSnsEvents";

/**
 * Amazon SNS over the resources a program declared under the mock engine, for end-to-end tests: a publish is
 * authorized the way AWS would (the publisher's role policies and the topic policy for `sns:Publish`, the
 * topic's KMS key for `kms:GenerateDataKey` through SNS — an IAM policy simulator evaluates them; an
 * encrypted topic's publisher needs both, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html),
 * then fanned out to the topic's subscriptions as SNS does:
 * - `email`: the subject and message land in that address's inbox, once per subscription;
 * - `lambda`: SNS invokes the function asynchronously with the SNS event
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html) — only if a permission lets
 *   `sns.amazonaws.com` invoke it from this topic; otherwise SNS's delivery fails with a client error and the
 *   message goes to the subscription's dead-letter queue
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html). Lambda runs the handler, retries a
 *   failed asynchronous invocation `maximumRetryAttempts` times and then hands the event to the on-failure
 *   destination (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html); the waits between
 *   attempts are not emulated.
 */

export interface Delivered { topicArn: string; messageId: string; subject?: string; message: string }

const arnOf = (r: MockedResource) => fakeState(r.type, r.name, r.inputs, r.provider).arn as string;
const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

async function decide(account: string, principal: string, action: string, resource: string, identity: object[], resourcePolicy: object | undefined, context: Record<string, string>): Promise<string> {
    const r: any = await runSimulation({
        request: { principal, action, resource: { resource, accountId: account }, contextVariables: context },
        identityPolicies: identity.map((policy, i) => ({ name: `p${i}`, policy })), resourcePolicy, serviceControlPolicies: [], resourceControlPolicies: [],
    }, {});
    if (r.resultType === "error") throw new Error(`IAM simulation failed: ${JSON.stringify(r.errors)}`);
    return r.overallResult;
}

export class SnsEmulation {
    readonly inboxes = new Map<string, Delivered[]>();
    readonly refused: Array<{ topicArn: string; reason: string }> = [];
    readonly deadLetters = new Map<string, Delivered[]>();
    readonly failureQueues = new Map<string, Array<{ event: unknown; error: string }>>();
    readonly invocations: Array<{ functionArn: string; attempt: number; result?: unknown; error?: string }> = [];

    constructor(private readonly resources: MockedResource[],
        private readonly handlers: Record<string, (event: unknown, context: { getRemainingTimeInMillis: () => number }) => Promise<unknown>>) {}

    private ofType(type: string): MockedResource[] {
        return this.resources.filter(r => r.type === type);
    }

    /** What a publish by `roleArn` to `topicArn` is: refused (with why) or delivered to every subscription. */
    async publish(p: { topicArn: string; roleArn: string; subject?: string; message: string }): Promise<string | undefined> {
        const topic = this.ofType("aws:sns/topic:Topic").find(t => arnOf(t) === p.topicArn);
        if (!topic) return this.refuse(p.topicArn, "NotFound: Topic does not exist");
        const account = p.topicArn.split(":")[4];
        const role = this.ofType("aws:iam/role:Role").find(r => arnOf(r) === p.roleArn);
        if (!role) return this.refuse(p.topicArn, `the publisher ${p.roleArn} does not exist`);
        const identity = this.ofType("aws:iam/rolePolicy:RolePolicy").filter(rp => rp.propertyDependencies.role?.includes(role.urn)).map(rp => json(rp.inputs.policy));
        const topicPolicy = this.ofType("aws:sns/topicPolicy:TopicPolicy").find(tp => tp.inputs.arn === p.topicArn);
        const publish = await decide(account, p.roleArn, "sns:Publish", p.topicArn, identity, topicPolicy && json(topicPolicy.inputs.policy), { "aws:SecureTransport": "true" });
        if (publish !== "Allowed") return this.refuse(p.topicArn, `AuthorizationError: sns:Publish ${publish}`);
        const keyArn = topic.inputs.kmsMasterKeyId;
        if (keyArn) {
            const key = this.ofType("aws:kms/key:Key").find(k => arnOf(k) === keyArn);
            if (!key) return this.refuse(p.topicArn, "KMSNotFound");
            const region = p.topicArn.split(":")[3];
            const kms = await decide(account, p.roleArn, "kms:GenerateDataKey", keyArn, identity, json(key.inputs.policy), { "kms:ViaService": `sns.${region}.amazonaws.com` });
            if (kms !== "Allowed") return this.refuse(p.topicArn, `KMSAccessDenied: kms:GenerateDataKey ${kms}`);
        }
        const messageId = randomUUID();
        const delivered: Delivered = { topicArn: p.topicArn, messageId, subject: p.subject, message: p.message };
        for (const sub of this.ofType("aws:sns/topicSubscription:TopicSubscription").filter(s => s.inputs.topic === p.topicArn)) {
            if (sub.inputs.protocol === "email") {
                const inbox = this.inboxes.get(sub.inputs.endpoint) ?? [];
                inbox.push(delivered);
                this.inboxes.set(sub.inputs.endpoint, inbox);
            } else if (sub.inputs.protocol === "lambda") {
                await this.invoke(sub, delivered);
            } else {
                throw new Error(`SnsEmulation: protocol ${sub.inputs.protocol} is not emulated`);
            }
        }
        return messageId;
    }

    private refuse(topicArn: string, reason: string): undefined {
        this.refused.push({ topicArn, reason });
        return undefined;
    }

    private async invoke(sub: MockedResource, d: Delivered): Promise<void> {
        const functionArn: string = sub.inputs.endpoint;
        const fn = this.ofType("aws:lambda/function:Function").find(f => arnOf(f) === functionArn);
        const allowed = fn && this.ofType("aws:lambda/permission:Permission").some(perm => perm.inputs.principal === "sns.amazonaws.com"
            && perm.inputs.action === "lambda:InvokeFunction" && perm.inputs.sourceArn === d.topicArn && perm.propertyDependencies.function?.includes(fn.urn));
        if (!fn || !allowed) {
            const dlq = json(sub.inputs.redrivePolicy ?? "null")?.deadLetterTargetArn ?? "(none: the message is lost)";
            this.deadLetters.set(dlq, [...(this.deadLetters.get(dlq) ?? []), d]);
            return;
        }
        const handler = this.handlers[functionArn];
        if (!handler) throw new Error(`SnsEmulation: no handler for ${functionArn}`);
        const asyncCfg = this.ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").find(c => c.propertyDependencies.functionName?.includes(fn.urn));
        const retries = asyncCfg?.inputs.maximumRetryAttempts ?? 2;
        const event = snsLambdaEvent({ topicArn: d.topicArn, messageId: d.messageId, subject: d.subject, message: d.message });
        const timeoutMs = Number(fn.inputs.timeout ?? 3) * 1000;
        let lastError = "";
        for (let attempt = 1; attempt <= retries + 1; attempt++) {
            const started = Date.now();
            try {
                const result = await handler(event, { getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started) });
                this.invocations.push({ functionArn, attempt, result });
                return;
            } catch (err: any) {
                lastError = String(err?.message ?? err);
                this.invocations.push({ functionArn, attempt, error: lastError });
            }
        }
        const destination = asyncCfg?.inputs.destinationConfig?.onFailure?.destination ?? "(none: the event is lost)";
        this.failureQueues.set(destination, [...(this.failureQueues.get(destination) ?? []), { event, error: lastError }]);
    }

    /** Everything `address` received from `topicArn`. */
    inbox(address: string, topicArn?: string): Delivered[] {
        return (this.inboxes.get(address) ?? []).filter(d => !topicArn || d.topicArn === topicArn);
    }

    reset(): void {
        this.inboxes.clear();
        this.refused.length = 0;
        this.deadLetters.clear();
        this.failureQueues.clear();
        this.invocations.length = 0;
    }
}
