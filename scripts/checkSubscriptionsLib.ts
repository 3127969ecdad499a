/**
 * `npm run check-subscriptions`: are the alert topics' e-mail recipients still subscribed? An e-mail subscription
 * must be confirmed with the link SNS sends (the token is valid for three days:
 * https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html), SNS deletes subscriptions still unconfirmed after
 * 48 hours (https://docs.aws.amazon.com/sns/latest/dg/CleanUp.html), and any recipient can unsubscribe — each of
 * which silently leaves someone without alerts, and no CloudWatch metric shows it. So for every alert topic:
 * - a configured address whose subscription is still pending (`SubscriptionArn` "PendingConfirmation" in
 *   ListSubscriptionsByTopic, or `PendingConfirmation` "true" in its attributes:
 *   https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html,
 *   https://docs.aws.amazon.com/sns/latest/api/API_GetSubscriptionAttributes.html) for more than a day — its age
 *   taken from when the stack created the subscription (`created` in the Pulumi state, pulumi/pulumi#12082);
 * - a configured address with no subscription at all: it unsubscribed, expired unconfirmed, or was deleted.
 * Either is a finding and the command exits 2. The logic is here, with the SNS calls injected; checkSubscriptions.ts
 * wires the stack file, the stack's outputs and state, and SNS clients through each account's deployer role.
 */
import type { AccountConfig } from "../config";

export interface TopicTarget {
    account: string;
    accountId: string;
    region: string;
    topicArn: string;
    roleArn: string;
}

export interface SubscriptionEntry {
    subscriptionArn: string;
    protocol: string;
    endpoint: string;
}

/** The two SNS calls the check makes, for one topic's account and region. */
export interface SnsReader {
    /** ListSubscriptionsByTopic, every page. */
    list(topicArn: string): Promise<SubscriptionEntry[]>;
    /** GetSubscriptionAttributes → PendingConfirmation === "true". */
    pending(subscriptionArn: string): Promise<boolean>;
}

export type FindingKind = "pending" | "missing";

export interface Finding {
    kind: FindingKind;
    account: string;
    region: string;
    topicArn: string;
    email: string;
    /** Hours since the stack created the subscription, when the state says. */
    ageHours?: number;
    message: string;
}

export interface CheckResult {
    findings: Finding[];
    /** Confirmed, per topic. */
    confirmed: number;
    /** Pending but younger than the threshold: not yet a problem. */
    recentlyPending: Finding[];
    /** Subscribed addresses the config does not list (someone subscribed by hand). */
    unlisted: Array<{ topicArn: string; protocol: string; endpoint: string }>;
}

export interface CheckDeps {
    sns: (target: TopicTarget) => SnsReader;
    /** When the stack created the subscription of `email` to `topicArn` (the Pulumi state), if known. */
    createdAt?: (topicArn: string, email: string) => Date | undefined;
    now?: () => number;
    /** A pending subscription older than this is a finding. Default 24. */
    pendingHours?: number;
}

export const PENDING_CONFIRMATION = "PendingConfirmation";
export const DEFAULT_PENDING_HOURS = 24;

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The topics e-mail recipients subscribe to: the stack's `alertTopics` output (account → region → topic ARN) and,
 * in the stack that hosts the SIEM, its `siemDetectionsTopic` (the same addresses subscribe to it), each with the
 * deployer role of the account that owns it.
 */
export function targetsFromOutputs(accounts: AccountConfig[], alertTopics: unknown, siemDetectionsTopic?: unknown): TopicTarget[] {
    const targets: TopicTarget[] = [];
    const byAccount = (alertTopics && typeof alertTopics === "object" ? alertTopics : {}) as Record<string, Record<string, string>>;
    for (const account of accounts) {
        for (const [region, topicArn] of Object.entries(byAccount[account.name] ?? {})) {
            if (typeof topicArn === "string" && topicArn.startsWith("arn:")) targets.push({ account: account.name, accountId: account.id, region, topicArn, roleArn: account.roleArn });
        }
    }
    if (typeof siemDetectionsTopic === "string" && siemDetectionsTopic.startsWith("arn:")) {
        const [, , , region, accountId] = siemDetectionsTopic.split(":");
        const owner = accounts.find(a => a.id === accountId);
        if (owner) targets.push({ account: owner.name, accountId, region, topicArn: siemDetectionsTopic, roleArn: owner.roleArn });
    }
    return targets;
}

/**
 * When each e-mail subscription was created, from `pulumi stack export`: resources of type
 * `aws:sns/topicSubscription:TopicSubscription` carry `created` (RFC 3339) beside their inputs.
 */
export function createdTimesFromState(exported: any): (topicArn: string, email: string) => Date | undefined {
    const times = new Map<string, Date>();
    for (const r of exported?.deployment?.resources ?? []) {
        if (r?.type !== "aws:sns/topicSubscription:TopicSubscription" || typeof r.created !== "string") continue;
        const topic = r.outputs?.topic ?? r.inputs?.topic;
        const endpoint = r.outputs?.endpoint ?? r.inputs?.endpoint;
        const when = new Date(r.created);
        if (typeof topic === "string" && typeof endpoint === "string" && !Number.isNaN(when.getTime())) times.set(`${topic}|${endpoint.toLowerCase()}`, when);
    }
    return (topicArn, email) => times.get(`${topicArn}|${email.toLowerCase()}`);
}

export async function checkSubscriptions(targets: TopicTarget[], emails: string[], deps: CheckDeps): Promise<CheckResult> {
    const now = deps.now ?? Date.now;
    const threshold = deps.pendingHours ?? DEFAULT_PENDING_HOURS;
    const result: CheckResult = { findings: [], confirmed: 0, recentlyPending: [], unlisted: [] };
    for (const target of targets) {
        const sns = deps.sns(target);
        const subscriptions = await sns.list(target.topicArn);
        const where = { account: target.account, region: target.region, topicArn: target.topicArn };
        for (const email of emails) {
            const mine = subscriptions.filter((s) => s.protocol === "email" && same(s.endpoint, email));
            if (mine.length === 0) {
                result.findings.push({ kind: "missing", ...where, email,
                    message: `${email} is not subscribed to ${target.topicArn}: it unsubscribed, its confirmation expired (SNS deletes unconfirmed subscriptions after 48 h) or the subscription was deleted` });
                continue;
            }
            let pending = false;
            for (const s of mine) pending = pending || s.subscriptionArn === PENDING_CONFIRMATION || (s.subscriptionArn.startsWith("arn:") && await sns.pending(s.subscriptionArn));
            if (!pending) { result.confirmed++; continue; }
            const created = deps.createdAt?.(target.topicArn, email);
            const ageHours = created ? Math.floor((now() - created.getTime()) / 3_600_000) : undefined;
            const finding: Finding = { kind: "pending", ...where, email, ageHours,
                message: `${email} has not confirmed its subscription to ${target.topicArn} ${ageHours === undefined ? "(since an unknown time: the state does not say when it was created)" : `after ${ageHours} h`}` };
            if (ageHours !== undefined && ageHours < threshold) result.recentlyPending.push(finding);
            else result.findings.push(finding);
        }
        for (const s of subscriptions) {
            if (!emails.some((e) => s.protocol === "email" && same(s.endpoint, e))) result.unlisted.push({ topicArn: target.topicArn, protocol: s.protocol, endpoint: s.endpoint });
        }
    }
    return result;
}

/** The report, and for each finding what to do about it. */
export function formatCheck(result: CheckResult, stack: string, topics: number): string[] {
    const lines = [`checked ${topics} alert topic(s): ${result.confirmed} confirmed subscription(s), ${result.findings.length} problem(s)`];
    for (const f of result.findings) lines.push(`PROBLEM ${f.account}/${f.region}: ${f.message}`);
    for (const f of result.recentlyPending) lines.push(`waiting ${f.account}/${f.region}: ${f.message} (not yet a problem)`);
    for (const u of result.unlisted) lines.push(`note: ${u.protocol} ${u.endpoint} is subscribed to ${u.topicArn} but not in guardpost:alerts.emails`);
    if (result.findings.some((f) => f.kind === "pending")) {
        lines.push(`fix (pending): ask the recipient to click the link in the "AWS Notification - Subscription Confirmation" e-mail; if it expired, run \`pulumi refresh --stack ${stack}\` then \`pulumi up --stack ${stack}\` to subscribe again (SNS sends a new link).`);
    }
    if (result.findings.some((f) => f.kind === "missing")) {
        lines.push(`fix (missing): run \`pulumi refresh --stack ${stack}\` (the subscription leaves the state) then \`pulumi up --stack ${stack}\`, which subscribes the address again and sends a confirmation; remove the address from guardpost:alerts.emails if it should no longer get alerts.`);
    }
    return lines;
}

export interface CheckArgs { stack: string; outputsFile?: string; stateFile?: string; pendingHours: number }

export function parseCheckArgs(argv: string[]): CheckArgs | { error: string } {
    const usage = "npm run check-subscriptions -- --stack S [--outputs outputs.json] [--state state.json] [--pending-hours 24]";
    const get = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
    for (let i = 0; i < argv.length; i += 2) {
        if (!["--stack", "--outputs", "--state", "--pending-hours"].includes(argv[i])) return { error: `unknown argument '${argv[i]}'. Usage: ${usage}` };
        if (argv[i + 1] === undefined) return { error: `${argv[i]} needs a value. Usage: ${usage}` };
    }
    const stack = get("--stack");
    if (!stack) return { error: `--stack is required. Usage: ${usage}` };
    const hours = Number(get("--pending-hours") ?? DEFAULT_PENDING_HOURS);
    if (!Number.isInteger(hours) || hours < 1 || hours > 47) return { error: `--pending-hours must be a whole number of hours from 1 to 47 (SNS deletes unconfirmed subscriptions after 48 h)` };
    return { stack, outputsFile: get("--outputs"), stateFile: get("--state"), pendingHours: hours };
}

export const EXIT_CLEAN = 0;
export const EXIT_ERROR = 1;
export const EXIT_FOUND = 2;
