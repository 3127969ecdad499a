import { expect } from "chai";
import * as zlib from "zlib";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { indexTemplate, LOG_KINDS } from "../components/siem/siemTemplates";
import { makeCloudTrailShipperHandler, openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { s3DeadLetterSink } from "../functions/cloudtrail-shipper/deadLetter";
import { monthlyIndex } from "../functions/cloudtrail-shipper/indexName";
import { formatSummary, MessageQueue, ObjectStore, ParkingPlace, parseReplayArgs, progressBar, replay, ReplayProgress } from "../scripts/replayLib";
import { awslogsEventFromPayload, cloudTrailRecords, cwlPayload } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { MemoryStore } from "./support/memoryStore";

/**
 * Replay after an outage: the SIEM is down, the writers park what they could not deliver in the places they
 * park it — the shipper's on-failure queue (Lambda destination records) and dead-letter objects, Firehose's
 * failed documents in S3, the Security Hub DLQ — and `npm run replay` brings every document in exactly once,
 * leaving in place only what still fails.
 */

const ENV = { AWS_ACCESS_KEY_ID: "AKIDGUARDPOSTREPLAY", AWS_SECRET_ACCESS_KEY: "replay-test-secret-not-real", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
const BUCKET = "guardpost-dev-dead-letters";
const PLACE: ParkingPlace = { account: "sandbox", region: "us-east-1", bucket: BUCKET, shipperFailureQueueUrl: "https://sqs/shipper-failed", securityHubDlqUrl: "https://sqs/securityhub-dlq" };

/** SQS in memory: a received message is invisible for the rest of the run and reappears unless deleted. */
class MemoryQueue implements MessageQueue {
    readonly messages = new Map<string, Map<string, { body: string; sentAt: Date }>>();
    private inFlight = new Set<string>();
    send(url: string, body: string, sentAt = new Date()) {
        const q = this.messages.get(url) ?? new Map();
        q.set(`r${q.size}-${Math.random().toString(36).slice(2)}`, { body, sentAt });
        this.messages.set(url, q);
    }
    async receive(url: string) {
        const ready = [...(this.messages.get(url) ?? new Map())].filter(([r]) => !this.inFlight.has(r)).slice(0, 10);
        ready.forEach(([r]) => this.inFlight.add(r));
        return ready.map(([receipt, m]) => ({ receipt, body: m.body, sentAt: m.sentAt }));
    }
    async delete(url: string, receipt: string) { this.messages.get(url)?.delete(receipt); }
    endOfRun() { this.inFlight = new Set(); }
}

/** Every (index, _id) a document id occurs under, across all indices. */
function copiesOf(peer: OpenSearchPeer, id: string): string[] {
    return peer.indices().filter(i => peer.docs(i).has(id));
}

describe("npm run replay: after an outage every parked document is indexed exactly once", function () {
    this.timeout(60_000);
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const events = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 6).map((e, i) => ({ ...e, eventID: `outage-${i}`, eventTime: `2025-03-0${i + 1}T10:00:00Z` }));
    const flows = [0, 1, 2].map(i => ({ "@timestamp": "2025-03-04T08:00:00Z", srcaddr: `10.0.0.${i}`, dstaddr: "10.0.1.1", dstport: 443, action: "ACCEPT", bytes: 100 }));
    const hubEvents = [0, 1].map(i => ({ id: `hub-event-${i}`, time: "2025-03-05T12:00:00Z", source: "aws.securityhub", "detail-type": "Security Hub Findings - Imported", account: "222222222222", region: "us-east-1", detail: { findings: [] } }));

    before(async () => {
        saved = Object.fromEntries(Object.keys(ENV).map(k => [k, process.env[k]]));
        Object.assign(process.env, ENV);
        peer = await OpenSearchPeer.start();
        const conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 } };
        for (const kind of LOG_KINDS) await indexTemplateProvider.create({ ...conn, name: `guardpost-${kind}`, body: indexTemplate(kind, 13, { primaryShards: 1, replicas: 0 }) });

        // The outage: every _bulk answers 503 for a while.
        peer.failNext(1000, { status: 503, body: { message: "Service Unavailable" }, path: "/_bulk" });
        const deadLetter = s3DeadLetterSink({ send: async (cmd: any) => store.put(cmd.input.Bucket, cmd.input.Key, Buffer.from(cmd.input.Body)) },
            class { constructor(readonly input: any) {} } as any, BUCKET, { prefix: "cloudtrail-shipper" });
        const shipper = makeCloudTrailShipperHandler({ indexPrefix: "cloudtrail", indexPeriod: "month", send: openSearchBulkSend(peer.url, "us-east-1", 2_000), deadLetter,
            limits: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 }, log: () => undefined });
        const batch = awslogsEventFromPayload(cwlPayload(events.slice(0, 4)));
        const err = await shipper(batch).catch(e => e);
        expect(String(err?.message)).to.match(/not indexed \(last: HTTP 503/);
        // After its retries Lambda hands the event to the on-failure destination as a destination record.
        queue.send(PLACE.shipperFailureQueueUrl!, JSON.stringify({ version: "1.0", requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 },
            requestPayload: batch, responseContext: { statusCode: 200, functionError: "Unhandled" }, responsePayload: { errorMessage: err.message } }));
        // Firehose: its retry window passed; the failed documents went to S3. One of them had in fact reached the domain.
        const firehoseRecord = (doc: any, i: number) => ({ attemptsMade: 4, arrivalTimestamp: 1741075200000, errorCode: "503", errorMessage: "Service Unavailable",
            attemptEndingTimestamp: 1741075500000, esDocumentId: `49650000000000-${i}`, esIndexName: "vpcflow-2025-03", esTypeName: "", rawData: Buffer.from(JSON.stringify(doc)).toString("base64") });
        await store.put(BUCKET, "firehose/vpcflow/errors/AmazonOpenSearchService-failed/2025/03/04/08/guardpost-dev-vpcflow-1.gz",
            zlib.gzipSync(Buffer.from(flows.map((f, i) => JSON.stringify(firehoseRecord(f, i))).join("\n") + "\n")));
        // A failed transformation: raw bytes, nothing a replay can index.
        await store.put(BUCKET, "firehose/waf/errors/processing-failed/2025/03/04/08/guardpost-dev-waf-1.gz",
            zlib.gzipSync(Buffer.from(JSON.stringify({ attemptsMade: 4, errorCode: "Lambda.FunctionError", rawData: Buffer.from("not json").toString("base64"), lambdaArn: "arn:aws:lambda:us-east-1:222222222222:function:waf" }) + "\n")));
        for (const e of hubEvents) queue.send(PLACE.securityHubDlqUrl!, JSON.stringify(e));

        // The domain comes back; the shipper's next batch meets a mapping problem for one event, which it dead-letters.
        peer.clearScripted();
        peer.rejectItems(({ id }) => (id === "outage-5" ? { status: 400, type: "mapper_parsing_exception", reason: "failed to parse field [requestParameters]" } : undefined));
        const later = await shipper(awslogsEventFromPayload(cwlPayload(events.slice(4))));
        expect(later).to.include({ indexed: 1, rejected: 1, deadLettered: 1 });
        // Firehose's first record had been written before its request timed out.
        await fetch(`${peer.url}/vpcflow-2025-03/_doc/49650000000000-0`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(flows[0]) });
    });
    after(async () => {
        await peer?.close();
        for (const k of Object.keys(ENV)) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    it("parses its arguments and refuses bad ones with the fix", () => {
        expect(parseReplayArgs(["--stack", "prod", "--source", "waf", "--since", "2025-03-01T00:00:00Z"])).to.deep.equal({ stack: "prod", sources: ["waf"], since: new Date("2025-03-01T00:00:00Z"), outputsFile: undefined });
        expect(parseReplayArgs(["--stack", "dev"])).to.deep.include({ sources: ["cloudtrail", "vpcflow", "waf", "dns", "securityhub"] });
        expect((parseReplayArgs(["--source", "waf"]) as any).error).to.contain("--stack is required");
        expect((parseReplayArgs(["--stack", "dev", "--source", "guardduty"]) as any).error).to.contain("not one of cloudtrail, vpcflow, waf, dns, securityhub");
        expect((parseReplayArgs(["--stack", "dev", "--since", "yesterday"]) as any).error).to.contain("is not a date");
    });

    it("ships everything once, shows progress, and leaves in place only what still fails and what is not a document", async () => {
        // Still refused on replay: a document whose mapping problem nobody fixed yet.
        peer.rejectItems(({ id }) => (id === "49650000000000-2" ? { status: 400, type: "mapper_parsing_exception", reason: "failed to parse field [bytes]" } : undefined));
        const seen: ReplayProgress[] = [];
        const summary = await replay([PLACE], { sources: ["cloudtrail", "vpcflow", "waf", "dns", "securityhub"] }, {
            store: () => store, queue: () => queue, send: openSearchBulkSend(peer.url, "us-east-1", 5_000), period: "month", progress: p => seen.push({ ...p }),
        });
        queue.endOfRun();
        expect(summary.cloudtrail).to.deep.equal({ shipped: 5, stillFailing: 0, notReplayable: 0 });
        expect(summary.vpcflow).to.deep.equal({ shipped: 2, stillFailing: 1, notReplayable: 0 });
        expect(summary.waf).to.deep.equal({ shipped: 0, stillFailing: 0, notReplayable: 1 });
        expect(summary.securityhub).to.deep.equal({ shipped: 2, stillFailing: 0, notReplayable: 0 });
        // Exactly once: each CloudTrail event in the index of its own month, each Firehose document under its recorded id.
        for (const e of events) expect(copiesOf(peer, e.eventID), e.eventID).to.deep.equal([monthlyIndex("cloudtrail", new Date(e.eventTime))]);
        expect(copiesOf(peer, "49650000000000-0")).to.deep.equal(["vpcflow-2025-03"]);
        expect(copiesOf(peer, "49650000000000-1")).to.deep.equal(["vpcflow-2025-03"]);
        expect(copiesOf(peer, "49650000000000-2")).to.deep.equal([]);
        expect(copiesOf(peer, "hub-event-0")).to.deep.equal(["securityhub-2025-03"]);
        // What is left: the still-failing Firehose record (its object rewritten to hold only it) and the transformation failure.
        const left = [...store.objects.keys()].sort();
        expect(left).to.deep.equal(["firehose/vpcflow/errors/AmazonOpenSearchService-failed/2025/03/04/08/guardpost-dev-vpcflow-1.gz", "firehose/waf/errors/processing-failed/2025/03/04/08/guardpost-dev-waf-1.gz"]);
        const remaining = zlib.gunzipSync(store.objects.get(left[0])!.body).toString().trim().split("\n").map(l => JSON.parse(l));
        expect(remaining.map(r => r.esDocumentId)).to.deep.equal(["49650000000000-2"]);
        expect([...queue.messages.values()].every(q => q.size === 0)).to.equal(true);
        expect(seen.at(-1)).to.deep.equal({ done: 10, total: 10, shipped: 9, stillFailing: 1 });
        expect(progressBar(seen.at(-1)!)).to.match(/^\[#{30}\] 10\/10 shipped 9, still failing 1$/);
        expect(formatSummary(summary).at(-1)).to.contain("1 document(s) still fail and stay parked");
    });

    it("a second run after the fix ships the rest, and nothing becomes a second document", async () => {
        peer.rejectItems(undefined);
        const before = peer.indices().reduce((n, i) => n + peer.docs(i).size, 0);
        const summary = await replay([PLACE], { sources: ["vpcflow", "cloudtrail", "securityhub"] }, {
            store: () => store, queue: () => queue, send: openSearchBulkSend(peer.url, "us-east-1", 5_000), period: "month",
        });
        expect(summary.vpcflow).to.deep.equal({ shipped: 1, stillFailing: 0, notReplayable: 0 });
        expect(summary.cloudtrail.shipped + summary.securityhub.shipped).to.equal(0);
        expect(peer.indices().reduce((n, i) => n + peer.docs(i).size, 0)).to.equal(before + 1);
        expect(copiesOf(peer, "49650000000000-2")).to.deep.equal(["vpcflow-2025-03"]);
        expect([...store.objects.keys()]).to.deep.equal(["firehose/waf/errors/processing-failed/2025/03/04/08/guardpost-dev-waf-1.gz"]);
    });

    it("--since leaves older parked records alone", async () => {
        await store.put(BUCKET, "firehose/dns/errors/AmazonOpenSearchService-failed/old.gz", zlib.gzipSync(Buffer.from(JSON.stringify({ esIndexName: "dns-2025-01", esDocumentId: "old", rawData: Buffer.from("{}").toString("base64") }) + "\n")));
        store.objects.get("firehose/dns/errors/AmazonOpenSearchService-failed/old.gz")!.lastModified = new Date("2025-01-01T00:00:00Z");
        const summary = await replay([PLACE], { sources: ["dns"], since: new Date("2025-02-01T00:00:00Z") }, {
            store: () => store, queue: () => queue, send: openSearchBulkSend(peer.url, "us-east-1", 5_000), period: "month",
        });
        expect(summary.dns).to.deep.equal({ shipped: 0, stillFailing: 0, notReplayable: 0 });
        expect(store.objects.has("firehose/dns/errors/AmazonOpenSearchService-failed/old.gz")).to.equal(true);
    });
});
