import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { fakeState, MockedResource, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";
import { AlertFanout, AlertFanoutArgs } from "../components/alerting/alertFanout";
import {
    emailInputTransformer, guardDutyBandPattern, guardDutySeverityPattern, severityBandRanges,
} from "../components/alerting/alertPolicies";
import { guardDutyFindingUrl } from "../functions/telegram-alert/consoleLink";
import { severityBand } from "../functions/telegram-alert/severity";
import { findingEvents, otherGuardDutyEvents, withDetail } from "./support/alertFixtures";

const TOKEN = "7654321:AAH-component-test-token-not-real-xyz";

/**
 * Exactly the EventBridge pattern features AlertFanout uses: nested objects, lists of exact values, and
 * `numeric` with operator/value pairs. Anything else throws, so the test cannot pass by ignoring it.
 */
function matches(pattern: Record<string, any>, event: any): boolean {
    return Object.entries(pattern).every(([key, cond]) => {
        const value = event?.[key];
        if (Array.isArray(cond)) return cond.some((c) => matchLeaf(c, value));
        if (cond && typeof cond === "object") return matches(cond, value);
        throw new Error(`unsupported pattern element at ${key}`);
    });
}

function matchLeaf(cond: any, value: any): boolean {
    if (typeof cond === "string") return value === cond;
    if (cond && Array.isArray(cond.numeric)) {
        if (typeof value !== "number") return false;
        const ops: Record<string, (a: number, b: number) => boolean> = {
            ">=": (a, b) => a >= b, ">": (a, b) => a > b, "<": (a, b) => a < b, "<=": (a, b) => a <= b, "=": (a, b) => a === b,
        };
        for (let i = 0; i < cond.numeric.length; i += 2) {
            const op = ops[cond.numeric[i]];
            if (!op) throw new Error(`unsupported numeric operator ${cond.numeric[i]}`);
            if (!op(value, cond.numeric[i + 1])) return false;
        }
        return true;
    }
    throw new Error(`unsupported pattern leaf ${JSON.stringify(cond)}`);
}

/** EventBridge's substitution for a quoted-string template: JSON-escaped values, then the JSON string. */
function renderTransformer(t: { inputPaths: Record<string, string>; inputTemplate: string }, event: any): string {
    let text = t.inputTemplate;
    for (const [name, path] of Object.entries(t.inputPaths)) {
        const value = path.replace(/^\$\./, "").split(".").reduce((o, k) => o?.[k], event);
        text = text.split(`<${name}>`).join(JSON.stringify(String(value)).slice(1, -1));
    }
    return JSON.parse(text);
}

const SEVERITIES = [1.0, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0];
const atSeverity = (s: number) => withDetail(findingEvents()[0], (d) => { d.severity = s; });

describe("GuardDuty severity patterns", () => {
    it("builds the numeric pattern for the Telegram rule", () => {
        expect(guardDutySeverityPattern(4)).to.deep.equal({
            "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": { severity: [{ numeric: [">=", 4] }] },
        });
    });

    for (const min of [4, 7]) {
        it(`matches exactly the severities >= ${min}, Critical included`, () => {
            const matched = SEVERITIES.filter((s) => matches(guardDutySeverityPattern(min), atSeverity(s)));
            expect(matched).to.deep.equal(SEVERITIES.filter((s) => s >= min));
        });

        it(`splits >= ${min} into disjoint band rules whose band is the finding's band`, () => {
            const ranges = severityBandRanges(min);
            for (const s of SEVERITIES) {
                const hits = ranges.filter((r) => matches(guardDutyBandPattern(r), atSeverity(s)));
                expect(hits.length, `severity ${s}`).to.equal(s >= min ? 1 : 0);
                if (hits.length) expect(hits[0].band).to.equal(severityBand(s));
            }
        });
    }

    it("clips the lowest band to an in-between minimum", () => {
        expect(severityBandRanges(5.5)[0]).to.deep.equal({ band: "Medium", lower: 5.5, upper: 7 });
        expect(severityBandRanges(1).map((r) => r.band)).to.deep.equal(["Low", "Medium", "High", "Critical"]);
    });

    it("matches the fixture findings by severity and never the non-finding GuardDuty events", () => {
        const p = guardDutySeverityPattern(4);
        for (const e of findingEvents()) expect(matches(p, e)).to.equal(e.detail.severity >= 4);
        for (const e of otherGuardDutyEvents()) expect(matches(p, e)).to.equal(false);
    });
});

describe("e-mail input transformer", () => {
    it("renders one sentence with severity, band, type, title, account, region and the console link", () => {
        for (const e of findingEvents()) {
            const band = severityBand(e.detail.severity);
            const sentence = renderTransformer(emailInputTransformer("prod", band, "aws"), e);
            expect(sentence).to.equal(
                `[prod] GuardDuty ${band} finding, severity ${e.detail.severity}: ${e.detail.title} ` +
                `(type ${e.detail.type}, account ${e.detail.accountId}, region ${e.detail.region}, occurrences ${e.detail.service.count}). ` +
                `Open: ${guardDutyFindingUrl("aws", e.detail.region, e.detail.id)}`);
            expect(sentence).to.not.contain("\n");
        }
    });

    it("keeps quotes in titles from breaking the JSON string", () => {
        const e = withDetail(findingEvents()[0], (d) => { d.title = 'He said "hi" \\ bye'; });
        expect(renderTransformer(emailInputTransformer("dev", "Medium", "aws"), e)).to.contain('He said "hi" \\ bye');
    });
});

function baseArgs(overrides: Partial<AlertFanoutArgs> = {}): AlertFanoutArgs {
    return {
        accountId: "111111111111",
        region: "us-east-1",
        stage: "dev",
        emails: ["sec@example.com", "oncall@example.org"],
        telegram: { chatId: "-1001234567890", botToken: pulumi.secret(TOKEN) },
        repeat: "new-and-escalations",
        quietMinutes: 30,
        ...overrides,
    };
}

const ofType = (rs: MockedResource[], type: string) => rs.filter((r) => r.type === type);
const one = (rs: MockedResource[], type: string, nameSuffix = "") => {
    const found = rs.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
    expect(found, `${type} *${nameSuffix}`).to.have.length(1);
    return found[0];
};
const policyOf = (r: MockedResource) => (typeof r.inputs.policy === "string" ? JSON.parse(r.inputs.policy) : r.inputs.policy);
const asList = (v: unknown) => (Array.isArray(v) ? v : [v]);
/** The ARN the mock engine gave a resource, so expectations do not hard-code the engine's fake format. */
const arnOf = (r: MockedResource) => fakeState(r.type, r.name, r.inputs, r.provider).arn as string;

describe("AlertFanout component", function () {
    this.timeout(60_000);
    let resources: MockedResource[];

    before(async () => {
        ({ resources } = await runMocked(() => {
            // One provider per account, configured for another region: every resource names its own.
            const p = testProvider("111111111111", "eu-central-1");
            new AlertFanout("dev-sec-use1", baseArgs(), { provider: p });
        }, { requireExplicitProviders: true }));
    });

    it("places every resource in the provider's account and, by its region input, in the fanout's region", () => {
        const custom = resources.filter((r) => r.custom && r.type.startsWith("aws:"));
        expect(custom.length).to.be.greaterThan(15);
        for (const r of custom) {
            expect(r.provider, r.name).to.include({ account: "111111111111" });
            expect(r.region, r.name).to.equal(r.type.startsWith("aws:iam/") ? undefined : "us-east-1");
        }
    });

    it("creates a rotating CMK that the account administers and EventBridge and CloudWatch may use", () => {
        const key = one(resources, "aws:kms/key:Key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        const st = policyOf(key).Statement;
        const root = st.find((s: any) => s.Principal.AWS);
        expect(root).to.include({ Effect: "Allow", Action: "kms:*" });
        expect(root.Principal.AWS).to.equal("arn:aws:iam::111111111111:root");
        for (const service of ["events.amazonaws.com", "cloudwatch.amazonaws.com"]) {
            const s = st.find((x: any) => x.Principal.Service === service);
            expect(s.Action).to.have.members(["kms:GenerateDataKey*", "kms:Decrypt"]);
        }
        expect(st).to.have.length(3);
    });

    it("encrypts the topic with that key and lets only its own rules and this account × region's alarms publish", () => {
        const key = one(resources, "aws:kms/key:Key");
        const topic = one(resources, "aws:sns/topic:Topic");
        expect(topic.inputs.kmsMasterKeyId).to.equal(arnOf(key));
        const st = policyOf(one(resources, "aws:sns/topicPolicy:TopicPolicy")).Statement;
        const emailRules = ofType(resources, "aws:cloudwatch/eventRule:EventRule").filter((r) => /-email-/.test(r.name));
        const events = st.find((s: any) => s.Principal?.Service === "events.amazonaws.com");
        expect(events.Action).to.equal("sns:Publish");
        expect(events.Condition.ArnEquals["aws:SourceArn"]).to.have.members(emailRules.map(arnOf));
        const cw = st.find((s: any) => s.Principal?.Service === "cloudwatch.amazonaws.com");
        const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms).to.have.length(3); // events DLQ, Telegram failure queue, failed e-mail deliveries
        expect(cw.Condition.ArnLike["aws:SourceArn"]).to.equal("arn:aws:cloudwatch:us-east-1:111111111111:alarm:*");
        expect(cw.Condition.StringEquals["aws:SourceAccount"]).to.equal("111111111111");
        for (const alarm of alarms) expect(arnOf(alarm)).to.match(/^arn:aws:cloudwatch:us-east-1:111111111111:alarm:/);
        expect(st.filter((s: any) => s.Effect === "Allow" && s.Principal === "*")).to.have.length(0);
    });

    it("subscribes every e-mail address to the topic", () => {
        const subs = ofType(resources, "aws:sns/topicSubscription:TopicSubscription");
        expect(subs.map((s) => s.inputs.endpoint)).to.have.members(["sec@example.com", "oncall@example.org"]);
        for (const s of subs) {
            expect(s.inputs.protocol).to.equal("email");
            expect(s.inputs.topic).to.match(/^arn:aws:sns:us-east-1:111111111111:/);
        }
    });

    it("sends e-mail through one rule per band at or above minSeverity, each with a transformer and the DLQ", () => {
        const rules = ofType(resources, "aws:cloudwatch/eventRule:EventRule").filter((r) => /-email-/.test(r.name));
        expect(rules.map((r) => r.name)).to.have.members(["dev-sec-use1-email-medium", "dev-sec-use1-email-high", "dev-sec-use1-email-critical"]);
        const targets = ofType(resources, "aws:cloudwatch/eventTarget:EventTarget").filter((t) => /-email-/.test(t.name));
        expect(targets).to.have.length(3);
        for (const t of targets) {
            const band = t.name.includes("critical") ? "Critical" : t.name.includes("high") ? "High" : "Medium";
            expect(t.inputs.inputTransformer).to.deep.equal(emailInputTransformer("dev", band, "aws"));
            expect(t.inputs.deadLetterConfig.arn).to.match(/events-dlq/);
        }
    });

    it("builds the Telegram function on nodejs22.x with its tag and the environment contract, and no secret in it", () => {
        const fn = one(resources, "aws:lambda/function:Function");
        expect(fn.inputs.runtime).to.equal("nodejs22.x");
        expect(fn.inputs.tags["guardpost:function"]).to.equal("telegram-alert");
        expect(fn.inputs.timeout).to.equal(40);
        const env = fn.inputs.environment.variables;
        expect(Object.keys(env)).to.have.members(["TELEGRAM_CHAT_ID", "STAGE", "TELEGRAM_TOKEN_PARAMETER", "DEDUP_TABLE", "DEDUP_QUIET_MINUTES"]);
        expect(env).to.include({ TELEGRAM_CHAT_ID: "-1001234567890", STAGE: "dev", DEDUP_QUIET_MINUTES: "30" });
        expect(env.TELEGRAM_TOKEN_PARAMETER).to.equal(one(resources, "aws:ssm/parameter:Parameter").inputs.name);
        expect(fn.secretInputs).to.not.include("environment");
    });

    it("keeps the token only in the SecureString parameter, as a secret, encrypted with the CMK", () => {
        const param = one(resources, "aws:ssm/parameter:Parameter");
        expect(param.inputs.type).to.equal("SecureString");
        expect(param.inputs.keyId).to.match(/^arn:aws:kms:us-east-1:111111111111:key\//);
        expect(param.secretInputs).to.include("value");
        for (const r of resources.filter((x) => x !== param)) {
            expect(JSON.stringify(r.inputs), r.name).to.not.contain(TOKEN);
        }
    });

    it("grants the function least privilege: one parameter, decrypt via SSM only, its table only", () => {
        const st = policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy")).Statement;
        for (const s of st) {
            for (const a of asList(s.Action)) expect(a, s.Sid).to.not.contain("*");
            for (const r of asList(s.Resource)) expect(r, s.Sid).to.not.equal("*");
        }
        const param = one(resources, "aws:ssm/parameter:Parameter");
        expect(st.find((s: any) => s.Sid === "ReadBotToken")).to.deep.include({ Action: "ssm:GetParameter" });
        expect(st.find((s: any) => s.Sid === "ReadBotToken").Resource).to.contain(param.inputs.name);
        const kms = st.find((s: any) => s.Sid === "DecryptBotTokenViaSsm");
        expect(kms.Action).to.equal("kms:Decrypt");
        expect(kms.Condition.StringEquals["kms:ViaService"]).to.equal("ssm.us-east-1.amazonaws.com");
        const ddb = st.find((s: any) => s.Sid === "DedupTable");
        expect(ddb.Action).to.have.members(["dynamodb:GetItem", "dynamodb:PutItem"]);
        expect(ddb.Resource).to.match(/dev-sec-use1-dedup/);
        expect(st.filter((s: any) => asList(s.Action).some((a: string) => a.startsWith("kms:")))).to.have.length(1);
    });

    it("creates the dedup table with TTL and encryption", () => {
        const table = one(resources, "aws:dynamodb/table:Table");
        expect(table.inputs.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
        expect(table.inputs.serverSideEncryption.enabled).to.equal(true);
        expect(table.inputs.hashKey).to.equal("pk");
    });

    it("invokes the function from its own rule only, through a permission scoped to that rule", () => {
        const rule = one(resources, "aws:cloudwatch/eventRule:EventRule", "-telegram");
        expect(JSON.parse(rule.inputs.eventPattern)).to.deep.equal(guardDutySeverityPattern(4));
        const perm = one(resources, "aws:lambda/permission:Permission");
        expect(perm.inputs).to.include({ action: "lambda:InvokeFunction", principal: "events.amazonaws.com" });
        expect(perm.inputs.sourceArn).to.equal(arnOf(rule));
        const target = one(resources, "aws:cloudwatch/eventTarget:EventTarget", "-telegram-target");
        expect(target.inputs.arn).to.match(/:function:dev-sec-use1-telegram-fn/);
        expect(target.inputs.deadLetterConfig.arn).to.match(/events-dlq/);
    });

    it("keeps failed events: on-failure destination to an encrypted queue, alarms to the topic", () => {
        const cfg = one(resources, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
        const queue = one(resources, "aws:sqs/queue:Queue", "-telegram-failed");
        expect(cfg.inputs.destinationConfig.onFailure.destination).to.equal(arnOf(queue));
        expect(queue.inputs.sqsManagedSseEnabled || queue.inputs.kmsMasterKeyId).to.be.ok;
        const dlq = one(resources, "aws:sqs/queue:Queue", "-events-dlq");
        expect(dlq.inputs.kmsMasterKeyId).to.match(/:key\//);
        const dlqPolicy = policyOf(one(resources, "aws:sqs/queuePolicy:QueuePolicy")).Statement[0];
        expect(dlqPolicy.Principal.Service).to.equal("events.amazonaws.com");
        expect(dlqPolicy.Condition.ArnEquals["aws:SourceArn"]).to.have.length(4);
        for (const alarm of ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
            expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([arnOf(one(resources, "aws:sns/topic:Topic"))]);
            expect(alarm.inputs.threshold).to.equal(0);
        }
    });
});

describe("AlertFanout variants", function () {
    this.timeout(60_000);

    it("builds independent stacks per account, region and partition", async () => {
        const { resources } = await runMocked(() => {
            new AlertFanout("prod-a", baseArgs({ stage: "prod", accountId: "222222222222", region: "eu-west-1" }), { provider: testProvider("222222222222", "eu-west-1") });
            new AlertFanout("prod-cn", baseArgs({ stage: "prod", accountId: "333333333333", region: "cn-north-1" }), { provider: testProvider("333333333333", "cn-north-1") });
        }, { requireExplicitProviders: true });
        for (const [prefix, account, region] of [["prod-a", "222222222222", "eu-west-1"], ["prod-cn", "333333333333", "cn-north-1"]]) {
            const mine = resources.filter((r) => r.custom && r.name.startsWith(`${prefix}-`));
            for (const r of mine) {
                expect(r.provider, r.name).to.include({ account });
                if (!r.type.startsWith("aws:iam/")) expect(r.region, r.name).to.equal(region);
            }
        }
        const cnKey = resources.find((r) => r.type === "aws:kms/key:Key" && r.name.startsWith("prod-cn"))!;
        expect(policyOf(cnKey).Statement[0].Principal.AWS).to.equal("arn:aws-cn:iam::333333333333:root");
        const cnTarget = resources.find((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget" && r.name === "prod-cn-email-high-target")!;
        expect(cnTarget.inputs.inputTransformer.inputTemplate).to.contain(".console.amazonaws.cn/guardduty/");
        const cnRole = resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.startsWith("prod-cn"))!;
        const kms = policyOf(cnRole).Statement.find((s: any) => s.Sid === "DecryptBotTokenViaSsm");
        expect(kms.Condition.StringEquals["kms:ViaService"]).to.equal("ssm.cn-north-1.amazonaws.com");
    });

    it("alerts by e-mail only, from minSeverity 7, without any function, parameter or Telegram rule", async () => {
        const { resources, outputs } = await runMocked(() => {
            const af = new AlertFanout("mail", baseArgs({ telegram: undefined, minSeverity: 7 }), { provider: testProvider("111111111111", "us-east-1") });
            return {
                noRule: af.ruleArn.apply((a) => a === undefined),
                noFunction: af.functionName.apply((f) => f === undefined),
                topicArn: af.topicArn,
            };
        });
        expect(ofType(resources, "aws:lambda/function:Function")).to.have.length(0);
        expect(ofType(resources, "aws:ssm/parameter:Parameter")).to.have.length(0);
        expect(ofType(resources, "aws:cloudwatch/eventRule:EventRule").map((r) => r.name)).to.have.members(["mail-email-high", "mail-email-critical"]);
        expect(outputs?.noRule).to.equal(true);
        expect(outputs?.noFunction).to.equal(true);
        expect(outputs?.topicArn).to.match(/^arn:aws:sns:us-east-1:111111111111:/);
    });

    it("sends every finding to Telegram without a dedup table when repeat is 'every'", async () => {
        const { resources } = await runMocked(() => {
            new AlertFanout("tg", baseArgs({ repeat: "every", emails: [] }), { provider: testProvider("111111111111", "us-east-1") });
        });
        expect(ofType(resources, "aws:dynamodb/table:Table")).to.have.length(0);
        const env = one(resources, "aws:lambda/function:Function").inputs.environment.variables;
        expect(env).to.not.have.property("DEDUP_TABLE");
        const st = policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy")).Statement;
        expect(st.some((s: any) => asList(s.Action).some((a: string) => a.startsWith("dynamodb:")))).to.equal(false);
        expect(ofType(resources, "aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
        const topicPolicy = policyOf(one(resources, "aws:sns/topicPolicy:TopicPolicy")).Statement;
        expect(topicPolicy.some((s: any) => s.Principal?.Service === "events.amazonaws.com")).to.equal(false);
    });

    const invalid: Array<[string, Partial<AlertFanoutArgs> | Record<string, unknown>, RegExp]> = [
        ["minSeverity below 1", { minSeverity: 0 }, /minSeverity must be a number from 1 to 10/],
        ["minSeverity above 10", { minSeverity: 11 }, /minSeverity/],
        ["minSeverity NaN", { minSeverity: NaN }, /minSeverity/],
        ["a malformed e-mail", { emails: ["not-an-address"] }, /'not-an-address' is not an e-mail address/],
        ["a duplicated e-mail", { emails: ["a@example.com", "A@example.com"] }, /same address twice/],
        ["no channel at all", { emails: [], telegram: undefined }, /no channel/],
        ["a chat id that is neither numeric nor @channel", { telegram: { chatId: "my chat", botToken: "x" } }, /telegram.chatId/],
        ["an empty bot token", { telegram: { chatId: "-100", botToken: "" } }, /telegram.botToken is required/],
        ["an unknown repeat mode", { repeat: "sometimes" }, /repeat must be one of every, new-and-escalations/],
        ["a negative quiet period", { quietMinutes: -1 }, /quietMinutes/],
        ["a stage with spaces", { stage: "my stage" }, /stage must be/],
    ];
    for (const [what, patch, message] of invalid) {
        it(`rejects ${what} before creating anything`, () => {
            expect(() => new AlertFanout("bad", { ...baseArgs(), ...patch } as AlertFanoutArgs)).to.throw(message);
        });
    }

    it("names every problem at once", () => {
        expect(() => new AlertFanout("bad", { ...baseArgs(), minSeverity: 0, repeat: "x" } as any)).to.throw(/AlertFanout bad: minSeverity.*; repeat/);
    });
});
