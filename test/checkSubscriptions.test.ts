import { expect } from "chai";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { mockClient } from "aws-sdk-client-mock";
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { parseConfig } from "../config";
import { readStackFile } from "../stackFile";
import { CHECK_SUBSCRIPTIONS_SESSION, sessionNameCondition } from "../model/sessionName";
import {
    checkSubscriptions, createdTimesFromState, formatCheck, parseCheckArgs, PENDING_CONFIRMATION, targetsFromOutputs,
} from "../scripts/checkSubscriptionsLib";
import { snsReader } from "../scripts/checkSubscriptions";
import { trustAllows } from "./support/stsPeer";

/**
 * The daily subscription check: every alert topic's e-mail recipients, through SNS as the SDK client calls it
 * (aws-sdk-client-mock answers ListSubscriptionsByTopic page by page and GetSubscriptionAttributes the way the
 * API reference shows them: a pending e-mail subscription lists as "PendingConfirmation", or carries
 * PendingConfirmation "true" when its ARN was returned at Subscribe), with ages from the stack's state.
 */

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const prod = parseConfig(readStackFile("prod").config);
const [SECOPS, ONCALL] = prod.alerts.emails;
const topic = (account: string, region: string) => `arn:aws:sns:${region}:${prod.accounts.find(a => a.name === account)!.id}:${account}-${region}-topic-abc`;
const ALERT_TOPICS = Object.fromEntries(prod.accounts.map(a => [a.name, Object.fromEntries(a.regions.map(r => [r, topic(a.name, r)]))]));
const sub = (t: string, email: string) => `${t}:${Buffer.from(email).toString("hex").slice(0, 8)}-1111-2222-3333-444455556666`;

/** A Pulumi state export with the subscriptions' creation times. */
function stateWith(created: Array<[string, string, Date]>) {
    return { version: 3, deployment: { manifest: { time: new Date(NOW).toISOString() }, resources: created.map(([t, email, when], i) => ({
        urn: `urn:pulumi:prod::guardpost::guardpost:alerting:AlertFanout$aws:sns/topicSubscription:TopicSubscription::s${i}`, custom: true,
        type: "aws:sns/topicSubscription:TopicSubscription", inputs: { topic: t, protocol: "email", endpoint: email }, outputs: { topic: t, protocol: "email", endpoint: email, arn: sub(t, email) },
        created: when.toISOString(), modified: when.toISOString(),
    })) } };
}

describe("npm run check-subscriptions", function () {
    this.timeout(60_000);
    const sns = mockClient(SNSClient);
    const saved = { ...process.env };
    before(() => Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDGUARDPOSTCHECK01", AWS_SECRET_ACCESS_KEY: "check-test-secret-not-real", AWS_EC2_METADATA_DISABLED: "true" }));
    after(() => { sns.restore(); process.env = saved; });
    beforeEach(() => sns.reset());

    /** Every topic confirmed, except what `special` says; the list comes back in pages of one, as NextToken pagination would. */
    function answer(special: Record<string, Array<{ email: string; arn?: string; pendingAttr?: boolean }> | undefined> = {}) {
        sns.on(ListSubscriptionsByTopicCommand).callsFake((input: any) => {
            const t = input.TopicArn as string;
            const subs = (special[t] ?? [{ email: SECOPS }, { email: ONCALL }]).map(s => ({ TopicArn: t, Protocol: "email", Endpoint: s.email, Owner: t.split(":")[4], SubscriptionArn: s.arn ?? sub(t, s.email) }));
            const i = input.NextToken ? Number(input.NextToken) : 0;
            return { Subscriptions: subs.slice(i, i + 1), ...(i + 1 < subs.length ? { NextToken: String(i + 1) } : {}) };
        });
        sns.on(GetSubscriptionAttributesCommand).callsFake((input: any) => {
            const arn = input.SubscriptionArn as string;
            const pendingAttr = Object.values(special).flat().some(s => s?.pendingAttr && arn === s.arn);
            return { Attributes: { SubscriptionArn: arn, PendingConfirmation: pendingAttr ? "true" : "false", ConfirmationWasAuthenticated: pendingAttr ? "false" : "true" } };
        });
    }

    const targets = () => targetsFromOutputs(prod.accounts, ALERT_TOPICS);
    // One alert topic per account × region of the stack.
    const placements = () => prod.accounts.reduce((n, a) => n + a.regions.length, 0);

    it("finds every alert topic of the stack in its outputs, reached through each account's deployer role", () => {
        const t = targets();
        expect(t).to.have.length(placements());
        expect(t.find(x => x.account === "payments" && x.region === "us-east-1")).to.deep.equal({
            account: "payments", accountId: "100000000003", region: "us-east-1", topicArn: topic("payments", "us-east-1"), roleArn: "arn:aws:iam::100000000003:role/guardpost-deployer" });
        // The session name is one the deployer roles' trust policy admits.
        expect(CHECK_SUBSCRIPTIONS_SESSION).to.equal("guardpost-check-subscriptions");
        expect(trustAllows({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::100000000002:role/guardpost-ci" }, Action: "sts:AssumeRole", Condition: sessionNameCondition() }] },
            "arn:aws:iam::100000000002:role/guardpost-ci", CHECK_SUBSCRIPTIONS_SESSION)).to.equal(true);
    });

    it("checks the SIEM detections topic too, through the security account's role, when the stack hosts the SIEM", () => {
        const siemTopic = "arn:aws:sns:ap-northeast-2:100000000002:siem-detections-mock";
        const t = targetsFromOutputs(prod.accounts, ALERT_TOPICS, siemTopic);
        expect(t).to.have.length(placements() + 1);
        expect(t[t.length - 1]).to.deep.equal({ account: "security", accountId: "100000000002", region: "ap-northeast-2", topicArn: siemTopic, roleArn: "arn:aws:iam::100000000002:role/guardpost-deployer" });
        // An accounts stack of a split estate names no SIEM topic of its own.
        expect(targetsFromOutputs(prod.accounts, ALERT_TOPICS, "(served by the core stack)")).to.have.length(placements());
    });

    it("passes when every configured address is confirmed on every topic", async () => {
        answer();
        const result = await checkSubscriptions(targets(), prod.alerts.emails, { sns: snsReader, now: () => NOW });
        expect(result.findings).to.deep.equal([]);
        expect(result.confirmed).to.equal(placements() * prod.alerts.emails.length);
        expect(sns.commandCalls(ListSubscriptionsByTopicCommand).length).to.equal(placements() * 2, "two pages per topic");
    });

    it("reports a subscription pending for more than a day, one that unsubscribed, and waits on one created an hour ago", async () => {
        const usEast = topic("payments", "us-east-1");
        const home = topic("security", "ap-northeast-2");
        const eu = topic("data", "eu-west-1");
        answer({
            // Listed as PendingConfirmation (no ARN yet).
            [usEast]: [{ email: SECOPS }, { email: ONCALL, arn: PENDING_CONFIRMATION }],
            // The on-call address unsubscribed: it is gone from the list; someone subscribed a personal address by hand.
            [home]: [{ email: SECOPS }, { email: "someone@example.org" }],
            // Subscribed with ReturnSubscriptionArn: an ARN, pending by its attributes, created an hour ago.
            [eu]: [{ email: SECOPS, arn: sub(eu, SECOPS), pendingAttr: true }, { email: ONCALL }],
        });
        const createdAt = createdTimesFromState(stateWith([[usEast, ONCALL, new Date(NOW - 30 * HOUR)], [eu, SECOPS, new Date(NOW - 1 * HOUR)]]));
        const result = await checkSubscriptions(targets(), prod.alerts.emails, { sns: snsReader, createdAt, now: () => NOW });
        expect(result.findings.map(f => [f.kind, `${f.account}/${f.region}`, f.email, f.ageHours])).to.deep.equal([
            ["missing", "security/ap-northeast-2", ONCALL, undefined],
            ["pending", "payments/us-east-1", ONCALL, 30],
        ]);
        expect(result.recentlyPending.map(f => [f.account, f.email, f.ageHours])).to.deep.equal([["data", SECOPS, 1]]);
        expect(result.unlisted).to.deep.equal([{ topicArn: home, protocol: "email", endpoint: "someone@example.org" }]);
        const report = formatCheck(result, "prod", placements()).join("\n");
        expect(report).to.contain(`PROBLEM payments/us-east-1: ${ONCALL} has not confirmed its subscription to ${usEast} after 30 h`);
        expect(report).to.contain(`PROBLEM security/ap-northeast-2: ${ONCALL} is not subscribed to ${home}`);
        expect(report).to.contain("pulumi refresh --stack prod");
        expect(report).to.contain("(not yet a problem)");
    });

    it("reports a pending subscription whose age the state does not know", async () => {
        const t = topic("storefront", "us-east-1");
        answer({ [t]: [{ email: SECOPS, arn: PENDING_CONFIRMATION }, { email: ONCALL }] });
        const result = await checkSubscriptions(targets(), prod.alerts.emails, { sns: snsReader, now: () => NOW });
        expect(result.findings.map(f => f.message)).to.deep.equal([`${SECOPS} has not confirmed its subscription to ${t} (since an unknown time: the state does not say when it was created)`]);
    });

    it("parses its arguments and refuses bad ones with the fix", () => {
        expect(parseCheckArgs(["--stack", "prod", "--outputs", "o.json", "--state", "s.json"])).to.deep.equal({ stack: "prod", outputsFile: "o.json", stateFile: "s.json", pendingHours: 24 });
        expect((parseCheckArgs([]) as any).error).to.contain("--stack is required");
        expect((parseCheckArgs(["--stack", "prod", "--pending-hours", "72"]) as any).error).to.contain("SNS deletes unconfirmed subscriptions after 48 h");
        expect((parseCheckArgs(["--stack", "prod", "--bogus", "1"]) as any).error).to.contain("unknown argument '--bogus'");
    });

    it("runs daily in GitHub Actions for every stack, through OIDC, failing the run when a problem is found", () => {
        const wf: any = yaml.load(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", "check-subscriptions.yml"), "utf8"));
        expect(wf.on.schedule[0].cron).to.match(/^\d+ \d+ \* \* \*$/);
        expect(wf.permissions["id-token"]).to.equal("write");
        expect(wf.jobs.check.strategy.matrix.stack).to.deep.equal(["dev", "prod"]);
        expect(wf.jobs.check.environment).to.equal("subscriptions");
        const steps: any[] = wf.jobs.check.steps;
        expect(steps.find(s => String(s.uses).startsWith("aws-actions/configure-aws-credentials@")).with["role-to-assume"]).to.match(/AWS_ROLE_ARN_/);
        expect(steps.map(s => s.run).join("\n")).to.contain("npm run check-subscriptions -- --stack ${{ matrix.stack }} --outputs /tmp/outputs.json --state /tmp/state.json");
        expect(JSON.stringify(wf)).to.not.match(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
        expect(pkg.scripts["check-subscriptions"]).to.equal("ts-node --transpile-only scripts/checkSubscriptions.ts");
    });
});
