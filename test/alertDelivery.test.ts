import { expect } from "chai";
import { AlertFanout } from "../components/alerting/alertFanout";
import { parseConfig } from "../config";
import { runMocked, type MockedResource } from "../plan/engine";
import { runPlan } from "../plan/plan";
import { readStackFile } from "../stackFile";
import { testProvider } from "./support/providers";
import { OFFLINE_PLAN_ENV } from "../model/offlinePlan";

const ONCALL = "arn:aws:sns:us-east-1:111111111111:oncall-pager";

describe("alarms about failed alert deliveries", function () {
    this.timeout(300_000);

    it("alarm on SNS e-mail delivery failures, to the topic and to the second channel that does not depend on it", async () => {
        const { resources } = await runMocked(() => {
            new AlertFanout("acct-us-east-1", {
                accountId: "111111111111", region: "us-east-1", stage: "dev", emails: ["secops@example.com"],
                failureAlarm: { extraActions: [ONCALL] },
            }, { provider: testProvider("111111111111", "us-east-1") });
        });
        const alarms = resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        const failed = alarms.find((a) => a.name.endsWith("-email-failed-alarm"))!;
        expect(failed.inputs).to.include({ namespace: "AWS/SNS", metricName: "NumberOfNotificationsFailed", comparisonOperator: "GreaterThanThreshold", threshold: 0, region: "us-east-1" });
        const topic = resources.find((r) => r.type === "aws:sns/topic:Topic")!;
        expect(failed.propertyDependencies.dimensions, "watches this fanout's topic").to.include(topic.urn);
        expect(failed.inputs.alarmActions).to.include(ONCALL);
        expect(failed.inputs.alarmActions).to.have.length(2);
        const dlq = alarms.find((a) => a.name.endsWith("-events-dlq-alarm"))!;
        expect(dlq.inputs.alarmActions).to.include(ONCALL);
    });

    it("index.ts routes alerts.failureTopicArns to the fanouts of the topic's region only", async () => {
        const report = await runPlan("dev");
        const none = report.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.endsWith("-email-failed-alarm"));
        expect(none.length).to.be.greaterThan(0);
        for (const a of none) expect(a.inputs.alarmActions, "without the key only the topic").to.have.length(1);

        const raw = readStackFile("dev").config;
        const alerts = { ...JSON.parse(raw["guardpost:alerts"]), failureTopicArns: ["arn:aws:sns:us-east-1:222222222222:oncall", "arn:aws:sns:ap-northeast-2:222222222222:oncall"] };
        expect(parseConfig({ ...raw, "guardpost:alerts": JSON.stringify(alerts) }).alerts.failureTopicArns).to.have.length(2);
        const { config, secretKeys } = readStackFile("dev");
        // As the offline plan runs it: no GeoIP files needed.
        process.env[OFFLINE_PLAN_ENV] = "1";
        const { resources } = await runMocked(() => {
            delete require.cache[require.resolve("../index")];
            return require("../index");
        }, { stack: "dev", config: { ...config, "guardpost:alerts": JSON.stringify(alerts), "guardpost:telegramBotToken": "123:placeholder" }, secretKeys: [...secretKeys, "guardpost:telegramBotToken"], requireExplicitProviders: true });
        delete process.env[OFFLINE_PLAN_ENV];
        const routed = resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.endsWith("-email-failed-alarm"));
        expect(routed.length).to.be.greaterThan(1);
        for (const a of routed) {
            const extra = a.inputs.alarmActions.slice(1);
            expect(extra, a.name).to.deep.equal([`arn:aws:sns:${a.region}:222222222222:oncall`]);
        }
        let message = "";
        try { parseConfig({ ...raw, "guardpost:alerts": JSON.stringify({ ...alerts, failureTopicArns: ["oncall@example.com"] }) }); } catch (e) { message = (e as Error).message; }
        expect(message).to.contain("guardpost:alerts.failureTopicArns[0]");
    });

    it("the plan warns where no failure topic covers a region; prod as shipped has one in every region", async () => {
        const dev = await runPlan("dev");
        expect(dev.warnings.join("\n")).to.contain("guardpost:alerts.failureTopicArns has no topic in ap-northeast-2, us-east-1");
        const prod = await runPlan("prod");
        expect(prod.warnings.join("\n")).to.not.contain("failureTopicArns");
        const alarms = prod.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.endsWith("-email-failed-alarm"));
        expect(alarms.length).to.be.greaterThan(0);
        for (const a of alarms) expect(a.inputs.alarmActions, a.name).to.include(`arn:aws:sns:${a.region}:100000000002:oncall-pager`);
    });
});

export type { MockedResource };
