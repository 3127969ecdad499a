import { expect } from "chai";
import { indexTemplateProvider } from "../components/siem/dynamic/indexTemplate";
import { indexTemplate, LOG_KINDS } from "../components/siem/siemTemplates";
import { openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { s3DeadLetterSink } from "../functions/cloudtrail-shipper/deadLetter";
import { makeLogRelayHandler, RELAY_DEAD_LETTER_PREFIX } from "../functions/log-relay/logRelay";
import { DEFAULT_VPC_FLOW_FIELDS } from "../functions/vpcflow-transform/vpcflowTransform";
import { MessageQueue, ObjectStore, ParkingPlace, replay } from "../scripts/replayLib";
import { awslogsEvent, fixtureLines, relayedFlowLines } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { MemoryStore } from "./support/memoryStore";

/**
 * `npm run replay` for the log relay's parking places (sources outside the SIEM's home region): batches that
 * failed every retry wait in its on-failure queue as Lambda destination records; documents the SIEM refused wait
 * under `log-relay/rejected/`. Replay brings each in once, where the relay would have put it.
 */

const ENV = { AWS_ACCESS_KEY_ID: "AKIDGUARDPOSTRELAYRP", AWS_SECRET_ACCESS_KEY: "relay-replay-secret-not-real", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
const BUCKET = "guardpost-prod-dead-letters";
const GROUPS = { "/guardpost/prod/relay/vpcflow": "vpcflow", "/guardpost/prod/relay/dns": "dns" };
const PLACE: ParkingPlace = { account: "payments", region: "us-east-1", bucket: BUCKET, relayFailureQueueUrl: "https://sqs/relay-failed", relayLogGroups: GROUPS };

class MemoryQueue implements MessageQueue {
    readonly messages = new Map<string, { body: string; sentAt: Date }>();
    private inFlight = new Set<string>();
    send(body: string) { this.messages.set(`m${this.messages.size}`, { body, sentAt: new Date() }); }
    async receive() {
        const ready = [...this.messages].filter(([r]) => !this.inFlight.has(r)).slice(0, 10);
        ready.forEach(([r]) => this.inFlight.add(r));
        return ready.map(([receipt, m]) => ({ receipt, body: m.body, sentAt: m.sentAt }));
    }
    async delete(_u: string, receipt: string) { this.messages.delete(receipt); }
    endOfRun() { this.inFlight = new Set(); }
}

/** Lambda's on-failure destination record for an invocation that failed every retry. */
const destinationRecord = (payload: unknown, error: string) => JSON.stringify({ version: "1.0", requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 },
    requestPayload: payload, responseContext: { statusCode: 200, functionError: "Unhandled" }, responsePayload: { errorMessage: error } });

describe("npm run replay: the log relay's dead letters and on-failure queue", function () {
    this.timeout(60_000);
    let peer: OpenSearchPeer;
    let saved: Record<string, string | undefined>;
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const flowBatch = awslogsEvent(relayedFlowLines(), { logGroup: "/guardpost/prod/relay/vpcflow", firstId: 91_000_000n });
    const dns = fixtureLines("route53-resolver", "constructed_resolver_query_logs.ndjson");
    const dnsBatch = awslogsEvent(dns, { logGroup: "/guardpost/prod/relay/dns", firstId: 92_000_000n });
    const hub = JSON.parse(fixtureLines("securityhub", "eventbridge_securityhub_findings_imported_asr.ndjson")[0]);

    before(async () => {
        saved = Object.fromEntries(Object.keys(ENV).map(k => [k, process.env[k]]));
        Object.assign(process.env, ENV);
        peer = await OpenSearchPeer.start();
        const conn = { endpoint: peer.url, region: "us-east-1", retry: { initialDelayMs: 5, maxDelayMs: 20, timeoutSeconds: 5 } };
        for (const kind of LOG_KINDS) await indexTemplateProvider.create({ ...conn, name: `guardpost-${kind}`, body: indexTemplate(kind, 13, { primaryShards: 1, replicas: 0 }) });
        const deadLetter = s3DeadLetterSink({ send: async (cmd: any) => store.put(cmd.input.Bucket, cmd.input.Key, Buffer.from(cmd.input.Body)) },
            class { constructor(readonly input: any) {} } as any, BUCKET, { prefix: RELAY_DEAD_LETTER_PREFIX });
        const relay = makeLogRelayHandler({ logGroupKinds: GROUPS as any, flowFields: [...DEFAULT_VPC_FLOW_FIELDS], indexPeriod: "month", deadLetter,
            send: openSearchBulkSend(peer.url, "us-east-1", 2_000), limits: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 }, log: () => undefined });
        // The outage: the flow batch and the Security Hub event fail every retry and land in the on-failure queue.
        peer.failNext(1000, { status: 503, body: { message: "Service Unavailable" }, path: "/_bulk" });
        for (const payload of [flowBatch, hub]) {
            const err = await relay(payload).catch(e => e);
            expect(String(err?.message)).to.match(/not indexed \(last: HTTP 503/);
            queue.send(destinationRecord(payload, err.message));
        }
        // Back up, the DNS batch meets a mapping problem for one query, which the relay dead-letters.
        peer.clearScripted();
        peer.rejectItems(({ id }) => (id === "92000000" ? { status: 400, type: "mapper_parsing_exception", reason: "failed to parse field [answers]" } : undefined));
        expect(await relay(dnsBatch)).to.include({ indexed: dns.length - 1, deadLettered: 1 });
        peer.rejectItems(undefined);
    });
    after(async () => {
        await peer?.close();
        for (const k of Object.keys(ENV)) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    });

    it("--source dns replays the dead letter only and leaves the other log types' messages queued", async () => {
        const summary = await replay([PLACE], { sources: ["dns"] }, { store: () => store, queue: () => queue, send: openSearchBulkSend(peer.url, "us-east-1", 5_000), period: "month" });
        queue.endOfRun();
        expect(summary.dns).to.deep.equal({ shipped: 1, stillFailing: 0, notReplayable: 0 });
        expect(peer.docs("dns-2026-10").size).to.equal(dns.length);
        expect([...store.objects.keys()].filter(k => k.startsWith("log-relay/"))).to.deep.equal([]);
        expect(queue.messages.size).to.equal(2);
    });

    it("then replays the queued batches into the indices and under the ids the relay uses, exactly once", async () => {
        const summary = await replay([PLACE], { sources: ["vpcflow", "waf", "dns", "securityhub"] }, { store: () => store, queue: () => queue, send: openSearchBulkSend(peer.url, "us-east-1", 5_000), period: "month" });
        queue.endOfRun();
        expect(summary.vpcflow).to.deep.equal({ shipped: relayedFlowLines().length, stillFailing: 0, notReplayable: 0 });
        expect(summary.securityhub).to.deep.equal({ shipped: 1, stillFailing: 0, notReplayable: 0 });
        expect([...peer.docs("vpcflow-2021-03").keys()].sort()).to.deep.equal(["91000000", "91000001"]);
        expect(peer.docs(`securityhub-${hub.time.slice(0, 7)}`).get(hub.id)).to.deep.equal(hub);
        expect(queue.messages.size).to.equal(0);
        // A second run finds nothing and adds nothing.
        const again = await replay([PLACE], { sources: ["vpcflow", "dns", "securityhub"] }, { store: () => store, queue: () => queue, send: openSearchBulkSend(peer.url, "us-east-1", 5_000), period: "month" });
        expect(again.vpcflow.shipped + again.dns.shipped + again.securityhub.shipped).to.equal(0);
        expect(peer.docs("vpcflow-2021-03").size).to.equal(2);
    });
});
