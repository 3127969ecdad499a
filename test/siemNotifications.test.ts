import { expect } from "chai";
import { anomalyMonitor, securityAnalyticsDetectors, vpcRejectBurstMonitor } from "../components/siem/siemDetections";
import { securityAnalyticsNotification, SNS_SUBJECT_LIMIT } from "../components/siem/siemNotifications";
import { detectorBody } from "../components/siem/dynamic/securityAnalyticsDetector";
import { renderMustache } from "./support/mustache";

/** Every action guardpost declares, with its monitor's name and schedule. */
function actions(): Array<{ monitor: string; intervalMinutes: number; action: any }> {
    const out: Array<{ monitor: string; intervalMinutes: number; action: any }> = [];
    for (const m of [vpcRejectBurstMonitor("c", 100, 10, "https://d/_dashboards"), anomalyMonitor("det", "c", "https://d/_dashboards")] as any[]) {
        for (const t of m.triggers) for (const a of (t.bucket_level_trigger ?? t.query_level_trigger).actions) out.push({ monitor: m.name, intervalMinutes: m.schedule.period.interval, action: a });
    }
    for (const spec of securityAnalyticsDetectors()) {
        const body: any = detectorBody({ ...spec, channelId: "c", notification: securityAnalyticsNotification("https://d/_dashboards") }, []);
        for (const t of body.triggers) for (const a of t.actions) out.push({ monitor: spec.name, intervalMinutes: 5, action: { ...a, detector: true } });
    }
    return out;
}

describe("SIEM notification templates", () => {
    it("render subjects SNS accepts: ASCII, one line, under 100 characters even for the longest detector name", () => {
        const longest = "x".repeat(50); // the detector provider's check allows 5–50 characters
        for (const { monitor, action } of actions()) {
            const source = String(action.subject_template.source).split("{{ctx.detector").join("{{ctx.monitor");
            for (const name of [monitor, longest]) {
                const subject = renderMustache(source, { ctx: { monitor: { name }, trigger: { name: "t", severity: "1" } } });
                expect(subject, source).to.match(/^[\x20-\x7e]+$/);
                expect(subject.length, subject).to.be.lessThan(SNS_SUBJECT_LIMIT);
            }
        }
    });

    it("say once per detection: bucket alerts only when NEW, query alerts throttled past their schedule but within their lookback", () => {
        const vpc: any = vpcRejectBurstMonitor("c");
        expect(vpc.triggers[0].bucket_level_trigger.actions[0].action_execution_policy).to.deep.equal({ action_execution_scope: { per_alert: { actionable_alerts: ["NEW"] } } });
        const anomaly: any = anomalyMonitor("det", "c");
        const a = anomaly.triggers[0].query_level_trigger.actions[0];
        const lookback = Number(/-(\d+)m/.exec(anomaly.inputs[0].search.query.query.bool.filter[1].range.execution_end_time.gte)![1]);
        expect(a.throttle_enabled).to.equal(true);
        expect(a.throttle.unit).to.equal("MINUTES");
        expect(a.throttle.value).to.be.greaterThan(anomaly.schedule.period.interval).and.lessThan(lookback);
    });

    it("carry the lines the Telegram function reads, and a Dashboards link only when one is known", () => {
        for (const { monitor, action } of actions()) {
            const source = String(action.message_template.source).split("{{ctx.detector").join("{{ctx.monitor");
            const lines = renderMustache(source, { ctx: { monitor: { name: monitor }, trigger: { name: "t", severity: "3" }, newAlerts: [{ bucket_keys: "203.0.113.9" }],
                alerts: [{ associated_queries: [{ name: "AWS Root Credentials", tags: ["medium", "cloudtrail"] }] }] } }).split("\n");
            expect(lines, monitor).to.include.members(["Severity: 3", "Dashboards: https://d/_dashboards"]);
            expect(lines[0], monitor).to.contain(`"${monitor}"`);
            if (action.detector) expect(lines).to.include("Rule: AWS Root Credentials (level medium)");
            else if (monitor.includes("vpcflow")) expect(lines).to.include("Source address: 203.0.113.9");
        }
        expect(securityAnalyticsNotification().message).to.not.contain("Dashboards:");
        expect(securityAnalyticsNotification().message).to.contain("Rule: {{name}} (level {{tags.0}})");
    });
});
