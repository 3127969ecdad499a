import { expect } from "chai";
import {
    buildFindingMessage, cutUtf16, describeResource, Finding, formatTime, parseFindingEvent, TELEGRAM_TEXT_LIMIT,
} from "../functions/telegram-alert/findingMessage";
import { consoleHost, guardDutyFindingUrl, partitionOfRegion } from "../functions/telegram-alert/consoleLink";
import { formatSeverity, severityBand, severityInfo } from "../functions/telegram-alert/severity";
import { findingEvents, HOSTILE_DESCRIPTION, otherGuardDutyEvents, readNdjson, withDetail } from "./support/alertFixtures";

const tg = require("node-telegram-bot-api");

function findingOf(event: any): Finding {
    const parsed = parseFindingEvent(event);
    if (parsed.kind !== "finding") throw new Error(`expected a finding, got ${JSON.stringify(parsed)}`);
    return parsed.finding;
}

/** The substring an entity covers. */
function covered(text: string, e: { offset: number; length: number }): string {
    return text.slice(e.offset, e.offset + e.length);
}

function hasLoneSurrogate(s: string): boolean {
    return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

describe("severity bands", () => {
    const cases: Array<[number, string]> = [
        [1.0, "Low"], [3.9, "Low"], [4.0, "Medium"], [6.9, "Medium"],
        [7.0, "High"], [8.9, "High"], [9.0, "Critical"], [10.0, "Critical"],
    ];
    for (const [sev, band] of cases) {
        it(`classifies ${sev.toFixed(1)} as ${band}`, () => expect(severityBand(sev)).to.equal(band));
    }

    it("gives each band its own colour emoji", () => {
        const emojis = new Set([2, 5, 8, 9.5].map((s) => severityInfo(s).emoji));
        expect(emojis.size).to.equal(4);
    });

    it("does not let values between the published ranges fall through (3.95 is Low, 8.95 High)", () => {
        expect(severityBand(3.95)).to.equal("Low");
        expect(severityBand(8.95)).to.equal("High");
    });

    it("prints integral severities with one decimal as GuardDuty documents them", () => {
        expect(formatSeverity(8)).to.equal("8.0");
        expect(formatSeverity(5.5)).to.equal("5.5");
    });
});

describe("GuardDuty console links", () => {
    it("uses the console domain of each partition", () => {
        expect(guardDutyFindingUrl("aws", "us-east-1", "abc")).to.equal(
            "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current&fId=abc");
        expect(guardDutyFindingUrl("aws-cn", "cn-north-1", "abc")).to.equal(
            "https://cn-north-1.console.amazonaws.cn/guardduty/home?region=cn-north-1#/findings?macros=current&fId=abc");
        expect(guardDutyFindingUrl("aws-us-gov", "us-gov-west-1", "abc")).to.equal(
            "https://us-gov-west-1.console.amazonaws-us-gov.com/guardduty/home?region=us-gov-west-1#/findings?macros=current&fId=abc");
    });

    it("derives the partition from the region when the finding lacks one", () => {
        expect(partitionOfRegion("cn-northwest-1")).to.equal("aws-cn");
        expect(partitionOfRegion("us-gov-east-1")).to.equal("aws-us-gov");
        expect(partitionOfRegion("eu-central-1")).to.equal("aws");
    });

    it("refuses an unknown partition instead of linking to the wrong console", () => {
        expect(() => consoleHost("aws-iso")).to.throw(/aws-iso/);
    });
});

describe("parseFindingEvent", () => {
    it("accepts every non-archived fixture finding event and skips the archived ones", () => {
        const events = findingEvents();
        expect(events).to.have.length(12);
        const kinds = events.map((e) => parseFindingEvent(e).kind);
        const archived = events.filter((e) => e.detail.service.archived === true).length;
        expect(archived).to.be.greaterThan(0);
        expect(kinds.filter((k) => k === "finding")).to.have.length(events.length - archived);
        expect(kinds.filter((k) => k === "skip")).to.have.length(archived);
    });

    it("skips the GuardDuty events that are not findings, naming the detail-type", () => {
        for (const e of otherGuardDutyEvents()) {
            const parsed = parseFindingEvent(e);
            expect(parsed.kind).to.equal("skip");
            expect((parsed as any).reason).to.contain(e["detail-type"]);
        }
    });

    it("recognises the health check", () => {
        expect(parseFindingEvent({ healthCheck: true })).to.deep.equal({ kind: "healthCheck" });
    });

    it("skips null, strings and foreign sources", () => {
        expect(parseFindingEvent(null).kind).to.equal("skip");
        expect(parseFindingEvent("x").kind).to.equal("skip");
        expect(parseFindingEvent({ source: "aws.securityhub", "detail-type": "GuardDuty Finding", detail: {} }).kind).to.equal("skip");
    });

    it("marks sample findings from additionalInfo.sample and from a [SAMPLE] title", () => {
        const events = findingEvents();
        const docker = events.find((e) => e.detail.type === "PrivilegeEscalation:Runtime/DockerSocketAccessed");
        expect(findingOf(docker).sample).to.equal(false);
        expect(findingOf(events[0]).sample).to.equal(true);
        const titled = withDetail(docker, (d) => { d.title = "[SAMPLE] A container is communicating"; });
        const f = findingOf(titled);
        expect(f.sample).to.equal(true);
        expect(f.title).to.equal("A container is communicating");
    });

    it("falls back to the envelope's account and region for a partial detail", () => {
        const partial = readNdjson("partial_finding_detail.ndjson")[0];
        expect(partial.accountId).to.equal(undefined);
        const f = findingOf({ source: "aws.guardduty", "detail-type": "GuardDuty Finding", account: "210987654321", region: "cn-north-1", detail: partial });
        expect(f.accountId).to.equal("210987654321");
        expect(f.region).to.equal("cn-north-1");
        expect(f.partition).to.equal("aws-cn");
    });
});

describe("describeResource", () => {
    it("names the affected resource of each fixture resource type", () => {
        const byType = new Map<string, string>();
        for (const e of findingEvents()) {
            if (!byType.has(e.detail.resource.resourceType)) byType.set(e.detail.resource.resourceType, describeResource(e.detail.resource));
        }
        expect(byType.get("Instance")).to.equal("Instance i-99999999");
        expect(byType.get("S3Bucket")).to.equal("S3Bucket bucketName");
        expect(byType.get("AccessKey")).to.match(/^AccessKey \S/);
        expect(byType.get("EKSCluster")).to.match(/^EKSCluster \S/);
        expect(byType.get("RDSDBInstance")).to.match(/^RDSDBInstance \S/);
        expect(byType.get("Container")).to.match(/^Container \S/);
    });

    it("falls back to the resource type when no detail is present", () => {
        expect(describeResource({ resourceType: "Lambda" })).to.equal("Lambda");
        expect(describeResource(undefined)).to.equal("unknown");
    });
});

describe("buildFindingMessage", () => {
    for (const [i, event] of findingEvents().entries()) {
        const parsed = parseFindingEvent(event);
        if (parsed.kind !== "finding") continue;
        const f = parsed.finding;
        it(`renders fixture #${i + 1} ${f.type} with every field, valid entities and the console button`, () => {
            const m = buildFindingMessage(f, { stage: "prod" }, tg);
            expect(m.text.length).to.be.at.most(TELEGRAM_TEXT_LIMIT);
            expect(m.text).to.contain(event.detail.title.replace(/^\[SAMPLE\]\s*/, ""));
            expect(m.text).to.contain(`Severity: ${formatSeverity(event.detail.severity)} ${severityBand(event.detail.severity)}`);
            expect(m.text).to.contain(event.detail.type);
            expect(m.text).to.contain(event.detail.accountId);
            expect(m.text).to.contain(event.detail.region);
            expect(m.text).to.contain(`Resource: ${describeResource(event.detail.resource)}`);
            expect(m.text).to.contain(`Occurrences: ${event.detail.service.count}`);
            expect(m.text).to.contain(`First seen: ${formatTime(event.detail.service.eventFirstSeen)}`);
            expect(m.text).to.contain(`Last seen: ${formatTime(event.detail.service.eventLastSeen)}`);
            expect(m.text).to.contain(event.detail.description.trim());
            expect(m.text).to.contain("Stage: prod");
            expect(m.text.startsWith("[SAMPLE] ")).to.equal(event.detail.service.additionalInfo?.sample === true);
            for (const e of m.entities) expect(e.offset + e.length).to.be.at.most(m.text.length);
            expect(m.entities.some((e) => e.type === "code" && covered(m.text, e) === event.detail.type)).to.equal(true);
            expect(m.replyMarkup.inline_keyboard[0][0].url).to.equal(
                `https://${event.detail.region}.console.aws.amazon.com/guardduty/home?region=${event.detail.region}` +
                `#/findings?macros=current&fId=${event.detail.id}`);
        });
    }

    const base = () => findingOf(findingEvents()[0]);

    it("sends hostile text verbatim, with no entity touching the description", () => {
        const f = { ...base(), description: HOSTILE_DESCRIPTION, title: "Title with *stars* and _under_ [x](y)" };
        const m = buildFindingMessage(f, { stage: "dev_*stage*" }, tg);
        const start = m.text.indexOf(HOSTILE_DESCRIPTION);
        expect(start).to.be.greaterThan(0);
        expect(m.text).to.contain("Title with *stars* and _under_ [x](y)");
        expect(m.text).to.not.contain("\\_");
        for (const e of m.entities) expect(e.offset + e.length).to.be.at.most(start);
        const titleEntity = m.entities.find((e) => e.type === "bold" && covered(m.text, e).startsWith("Title"));
        expect(covered(m.text, titleEntity!)).to.equal(f.title);
    });

    it("truncates a 10 000-character description to the limit and keeps the header intact", () => {
        const short = buildFindingMessage(base(), { stage: "prod" }, tg);
        const header = short.text.slice(0, short.text.indexOf(base().description.trim()));
        const m = buildFindingMessage({ ...base(), description: "x".repeat(10_000) }, { stage: "prod" }, tg);
        expect(m.text.length).to.be.at.most(TELEGRAM_TEXT_LIMIT);
        expect(m.text.length).to.be.greaterThan(TELEGRAM_TEXT_LIMIT - 20);
        expect(m.text.startsWith(header)).to.equal(true);
        expect(m.text.endsWith("… [truncated]")).to.equal(true);
        expect(m.truncated).to.equal(true);
        expect(short.truncated).to.equal(false);
    });

    it("never cuts an emoji in half when truncating", () => {
        for (let pad = 0; pad < 4; pad++) {
            const m = buildFindingMessage({ ...base(), description: "a".repeat(pad) + "🔥".repeat(5000) }, { stage: "prod" }, tg);
            expect(m.text.length).to.be.at.most(TELEGRAM_TEXT_LIMIT);
            expect(hasLoneSurrogate(m.text), `pad ${pad}`).to.equal(false);
        }
    });

    it("caps an absurd title so the header alone can never exceed the limit", () => {
        const m = buildFindingMessage({ ...base(), title: "T".repeat(9000), description: "d" }, { stage: "prod" }, tg);
        expect(m.text.length).to.be.at.most(TELEGRAM_TEXT_LIMIT);
        expect(m.text).to.contain("\n\nd");
    });

    it("shows why a repeat was let through", () => {
        const m = buildFindingMessage({ ...base(), count: 7 }, { stage: "prod", reason: "escalation" }, tg);
        expect(m.text).to.contain("Occurrences: 7 (escalation)");
    });

    it("links China-partition findings to the China console", () => {
        const f = { ...base(), partition: "aws-cn", region: "cn-north-1" };
        expect(buildFindingMessage(f, { stage: "prod" }, tg).buttonUrl).to.match(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    });
});

describe("text helpers", () => {
    it("cutUtf16 keeps surrogate pairs whole", () => {
        expect(cutUtf16("ab🔥", 3)).to.equal("ab");
        expect(cutUtf16("ab🔥", 4)).to.equal("ab🔥");
    });

    it("formatTime renders UTC and passes through non-dates", () => {
        expect(formatTime("2022-01-12T19:22:44.000Z")).to.equal("2022-01-12 19:22:44 UTC");
        expect(formatTime("yesterday")).to.equal("yesterday");
        expect(formatTime(undefined)).to.equal("unknown");
    });
});
