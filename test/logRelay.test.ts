import { expect } from "chai";
import * as maxmind from "maxmind";
import type { BulkSend } from "../functions/cloudtrail-shipper/bulk";
import type { DeadLetter } from "../functions/cloudtrail-shipper/deadLetter";
import { makeLogRelayHandler, RelayDeps } from "../functions/log-relay/logRelay";
import { parseLogGroupKinds, relayIndex } from "../functions/log-relay/relayDocs";
import { makeGeoLookup } from "../functions/shared/geoip";
import { LogFn } from "../functions/shared/logLine";
import { DEFAULT_VPC_FLOW_FIELDS } from "../functions/vpcflow-transform/vpcflowTransform";
import { awslogsEvent, fixtureLines, GEOIP_ASN, GEOIP_CITY, relayedFlowLines } from "./support/logFixtures";
import { rejectionOf } from "./support/shipperHelpers";

const VPC_GROUP = "/guardpost/prod/relay/vpcflow";
const WAF_GROUP = "aws-waf-logs-guardpost-prod";
const DNS_GROUP = "/guardpost/prod/relay/dns";
const KINDS = { [VPC_GROUP]: "vpcflow", [WAF_GROUP]: "waf", [DNS_GROUP]: "dns" } as const;
const quiet: LogFn = () => undefined;


/** A fake domain: records every `_bulk` item and answers each with the status `statusOf` gives (201 by default). */
function fakeDomain(statusOf: (item: { index: string; id: string }, attempt: number) => number = () => 201) {
    const items: Array<{ index: string; id: string; doc: any }> = [];
    const attempts = new Map<string, number>();
    const send: BulkSend = async (ndjson) => {
        const lines = ndjson.trimEnd().split("\n");
        const answers = [];
        for (let i = 0; i < lines.length; i += 2) {
            const action = JSON.parse(lines[i]).index;
            const key = `${action._index}/${action._id}`;
            const attempt = (attempts.get(key) ?? 0) + 1;
            attempts.set(key, attempt);
            const status = statusOf({ index: action._index, id: action._id }, attempt);
            if (status < 300) items.push({ index: action._index, id: action._id, doc: JSON.parse(lines[i + 1]) });
            answers.push({ index: { _index: action._index, _id: action._id, status, ...(status >= 300 ? { error: { type: status === 400 ? "mapper_parsing_exception" : "es_rejected_execution_exception", reason: "scripted" } } : {}) } });
        }
        return { status: 200, body: { took: 1, errors: answers.some(a => a.index.status >= 300), items: answers } };
    };
    return { send, items };
}

function relay(o: Partial<RelayDeps> & { send: BulkSend }, letters: DeadLetter[] = []) {
    return makeLogRelayHandler({
        logGroupKinds: { ...KINDS }, flowFields: [...DEFAULT_VPC_FLOW_FIELDS], indexPeriod: "month",
        deadLetter: { put: async (l) => { letters.push(...l); } },
        limits: { baseDelayMs: 1, maxDelayMs: 2 }, sleep: async () => undefined, log: quiet, ...o,
    });
}

const ctx = { getRemainingTimeInMillis: () => 60_000 };

describe("log-relay handler (fake domain)", () => {
    it("relays VPC flow lines as the vpcflow transform's documents, into the month of each flow's start, _id = the log event id", async () => {
        const { send, items } = fakeDomain();
        const lines = relayedFlowLines();
        const nodata = DEFAULT_VPC_FLOW_FIELDS.map(f => ({ version: "5", start: "1616729292", end: "1616729349", "log-status": "NODATA", "account-id": "123456789012" } as Record<string, string>)[f] ?? "-").join(" ");
        const event = awslogsEvent([...lines, nodata, "2 not a flow record"], { logGroup: VPC_GROUP });
        const letters: DeadLetter[] = [];
        const r: any = await relay({ send }, letters)(event, ctx);
        expect(r).to.include({ status: "relayed", kind: "vpcflow", events: lines.length + 2, indexed: lines.length, dropped: 1, malformed: 1, deadLettered: 1 });
        const payloadIds = JSON.parse(require("zlib").gunzipSync(Buffer.from(event.awslogs.data, "base64"))).logEvents.map((e: any) => e.id);
        expect(items.map(i => i.id)).to.deep.equal(payloadIds.slice(0, lines.length));
        for (const it of items) {
            expect(it.index).to.equal("vpcflow-2021-03");
            expect(it.doc["@timestamp"]).to.equal(new Date(it.doc.start * 1000).toISOString());
            expect(it.doc).to.include({ version: 5, vpc_id: "vpc-abcdefab012345678" });
        }
        expect(letters[0]).to.deep.include({ kind: "malformed", id: payloadIds[lines.length + 1], document: "2 not a flow record" });
        expect(letters[0].error.reason).to.match(/expected 29 fields, got 5/);
    });

    it("relays WAF logs with @timestamp and GeoIP, and Resolver query logs as Resolver wrote them, each by its own time", async () => {
        const { send, items } = fakeDomain();
        const city = await maxmind.open<any>(GEOIP_CITY);
        const asn = await maxmind.open<any>(GEOIP_ASN);
        const h = relay({ send, geo: async () => makeGeoLookup(maxmind.validate, city, asn) });
        const waf = fixtureLines("waf", "aws_docs_waf_log_examples.ndjson").map(l => JSON.parse(l));
        waf[0].httpRequest.clientIp = "81.2.69.142";
        const w: any = await h(awslogsEvent(waf, { logGroup: WAF_GROUP }), ctx);
        expect(w).to.include({ kind: "waf", indexed: waf.length, malformed: 0 });
        const wafDocs = items.filter(i => i.index.startsWith("waf-"));
        wafDocs.forEach((d, i) => {
            expect(d.doc["@timestamp"]).to.equal(new Date(waf[i].timestamp).toISOString());
            expect(d.index).to.equal(relayIndex("waf", "month", new Date(waf[i].timestamp)));
        });
        expect(wafDocs[0].doc.geo).to.deep.include({ country_iso_code: "GB" });

        const dns = fixtureLines("route53-resolver", "aws_docs_resolver_query_log_example.ndjson");
        const d: any = await h(awslogsEvent(dns, { logGroup: DNS_GROUP }), ctx);
        expect(d).to.include({ kind: "dns", indexed: dns.length });
        const dnsDocs = items.filter(i => i.index.startsWith("dns-"));
        expect(dnsDocs.map(x => x.doc)).to.deep.equal(dns.map(l => JSON.parse(l)));
        expect(dnsDocs[0].index).to.equal("dns-2021-02");
    });

    it("relays a Security Hub EventBridge event whole, under its event id, in the month of its time", async () => {
        const { send, items } = fakeDomain();
        const event = JSON.parse(fixtureLines("securityhub", "eventbridge_securityhub_findings_imported_asr.ndjson")[0]);
        const r: any = await relay({ send })(event, ctx);
        expect(r).to.include({ status: "relayed", kind: "securityhub", indexed: 1 });
        expect(items).to.deep.equal([{ index: relayIndex("securityhub", "month", new Date(event.time)), id: event.id, doc: event }]);
        expect(items[0].index).to.match(/^securityhub-\d{4}-\d{2}$/);
    });

    it("redelivery of the same batch writes the same (index, _id) pairs, so the domain overwrites; day indices use Firehose's form", async () => {
        const first = fakeDomain();
        const second = fakeDomain();
        const event = awslogsEvent(relayedFlowLines(), { logGroup: VPC_GROUP });
        await relay({ send: first.send })(event, ctx);
        await relay({ send: second.send })(event, ctx);
        expect(second.items.map(i => `${i.index}/${i.id}`)).to.deep.equal(first.items.map(i => `${i.index}/${i.id}`));
        const daily = fakeDomain();
        await relay({ send: daily.send, indexPeriod: "day" })(event, ctx);
        expect(new Set(daily.items.map(i => i.index))).to.deep.equal(new Set(["vpcflow-2021-03-26"]));
    });

    it("retries 429 items, dead-letters mapping errors under their index and id, and fails the invocation while anything is unfinished", async () => {
        const lines = relayedFlowLines();
        const event = awslogsEvent(lines, { logGroup: VPC_GROUP });
        const ids: string[] = JSON.parse(require("zlib").gunzipSync(Buffer.from(event.awslogs.data, "base64"))).logEvents.map((e: any) => e.id);
        const flaky = fakeDomain((item, attempt) => (item.id === ids[0] ? 400 : item.id === ids[1] && attempt < 3 ? 429 : 201));
        const letters: DeadLetter[] = [];
        const r: any = await relay({ send: flaky.send }, letters)(event, ctx);
        expect(r).to.include({ indexed: lines.length - 1, rejected: 1, deadLettered: 1 });
        expect(letters[0]).to.deep.include({ kind: "rejected", index: "vpcflow-2021-03", id: ids[0] });
        expect(letters[0].document).to.include({ vpc_id: "vpc-abcdefab012345678" });

        const down = fakeDomain(() => 503);
        const err = await rejectionOf(relay({ send: down.send, limits: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } })(event, ctx));
        expect(err.message).to.match(new RegExp(`log-relay: ${lines.length} of ${lines.length} vpcflow documents not indexed`));
    });

    it("refuses a log group it was not configured for, and a misconfiguration, by failing (the on-failure queue keeps the batch)", async () => {
        const { send } = fakeDomain();
        const err = await rejectionOf(relay({ send })(awslogsEvent(["x"], { logGroup: "/aws/lambda/something-else" }), ctx));
        expect(err.message).to.contain("log group '/aws/lambda/something-else' is not one of");
        const bad = await rejectionOf(relay({ send, configProblems: ["OPENSEARCH_ENDPOINT is not set"] })(awslogsEvent(["x"], { logGroup: VPC_GROUP }), ctx));
        expect(bad.message).to.contain("misconfigured: OPENSEARCH_ENDPOINT is not set");
        expect(parseLogGroupKinds(JSON.stringify({ a: "vpcflow", b: "cloudtrail" })).problems).to.deep.equal(["LOG_GROUP_KINDS: 'b' maps to 'cloudtrail', not vpcflow, waf or dns"]);
        expect(parseLogGroupKinds(undefined).problems).to.deep.equal(["LOG_GROUP_KINDS is not set"]);
        const skipped: any = await relay({ send })(awslogsEvent([], { logGroup: VPC_GROUP, messageType: "CONTROL_MESSAGE" }), ctx);
        expect(skipped).to.deep.equal({ status: "skipped", reason: "CONTROL_MESSAGE" });
    });
});
