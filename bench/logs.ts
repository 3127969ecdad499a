import * as zlib from "zlib";
import * as maxmind from "maxmind";
import { createCloudTrailShipperHandler, makeCloudTrailShipperHandler } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { BulkSend } from "../functions/cloudtrail-shipper/bulk";
import { makeGeoLookup } from "../functions/shared/geoip";
import { DEFAULT_VPC_FLOW_FIELDS, makeVpcflowTransformHandler } from "../functions/vpcflow-transform/vpcflowTransform";
import { makeWafTransformHandler } from "../functions/waf-transform/wafTransform";
import { allCloudTrailRecords, cwlPayload, firehoseEvent, fixtureLines, GEOIP_ASN, GEOIP_CITY } from "../test/support/logFixtures";
import { OpenSearchPeer } from "../test/support/opensearchPeer";

/**
 * `npm run bench -- logs`: throughput of the shipper and the Firehose transforms, each beside a floor
 * measured in the same run on the same bytes, and each function's archive size. Ratios, not absolute
 * numbers, are what compare across runs on a noisy machine.
 */

const TARGET_BYTES = 1024 * 1024;
const ROUNDS = 5;
const SHIPPER_ROUNDS = 25;
const PAIRED_ROUNDS = 25;
const quiet = () => undefined;

function timeMs(fn: () => void): number {
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
}

async function timeMsAsync(fn: () => Promise<unknown>): Promise<number> {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Median of `rounds` timings after one warm-up. */
async function median(rounds: number, fn: () => Promise<number>): Promise<number> {
    await fn();
    const xs: number[] = [];
    for (let i = 0; i < rounds; i++) xs.push(await fn());
    xs.sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)];
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString("en-US");
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

/**
 * Addresses MaxMind's test databases know (test/fixtures; the real GeoLite2 knows nearly every public
 * address): an event's IPv4 source is replaced by one of them, so enrichment happens as it would in
 * production rather than every lookup missing. Service sources (`ec2.amazonaws.com`) stay as they are.
 */
const GEO_KNOWN = ["81.2.69.142", "89.160.20.112", "216.160.83.56", "175.16.199.1", "67.43.156.12"];

/** Real fixture events repeated, each copy with a fresh eventID, until the decoded payload is ~1 MB. */
function cloudTrailPayload(): { payload: any; events: number; decodedBytes: number } {
    const base = allCloudTrailRecords().filter((e) => e.eventID);
    const events: any[] = [];
    let bytes = 0;
    for (let i = 0; bytes < TARGET_BYTES; i++) {
        const e = { ...base[i % base.length], eventID: `bench-${i}-${base[i % base.length].eventID}` };
        if (/^\d+\.\d+\.\d+\.\d+$/.test(e.sourceIPAddress ?? "")) e.sourceIPAddress = GEO_KNOWN[i % GEO_KNOWN.length];
        bytes += JSON.stringify(e).length + 120;
        events.push(e);
    }
    const payload = cwlPayload(events, { firstId: 38_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n });
    return { payload, events: events.length, decodedBytes: Buffer.byteLength(JSON.stringify(payload)) };
}

/**
 * The floor: the least any shipper must do with the same bytes — base64-decode and gunzip the event, parse
 * the payload, serialize one `_bulk` body (an action line and the event's message per log event, the
 * message as CloudWatch Logs delivered it) and POST it to the same peer over a kept-alive connection,
 * reading the answer. Unsigned, and the peer checks no signature for it: the shipper's signing counts
 * against the shipper. (Before issue 12 the floor stopped before the POST.)
 */
function makeFloor(peer: OpenSearchPeer, index: string): { run: (data: string) => Promise<number>; close: () => void } {
    const http = require("http");
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL("/_bulk", peer.url);
    const post = (body: string) => new Promise<any>((resolve, reject) => {
        const req = http.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: "POST", agent,
            headers: { "content-type": "application/x-ndjson", "content-length": Buffer.byteLength(body) } });
        req.on("error", reject);
        req.on("response", (res: any) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
        });
        req.end(body);
    });
    return {
        run: async (data) => {
            const payload = JSON.parse(zlib.gunzipSync(Buffer.from(data, "base64")).toString("utf8"));
            let body = "";
            for (const e of payload.logEvents) body += `${JSON.stringify({ index: { _index: index, _id: e.id } })}\n${e.message}\n`;
            const answer = await post(body);
            if (!Array.isArray(answer.items) || answer.items.length !== payload.logEvents.length) throw new Error("the peer did not index the floor's batch");
            return answer.items.filter((it: any) => it.index?.status < 300).length;
        },
        close: () => agent.destroy(),
    };
}

const BENCH_CREDENTIALS = { accessKeyId: "AKIAGUARDPOSTBENCH01", secretAccessKey: "bench-not-a-secret", sessionToken: "bench-session-token-not-a-secret" };
/** The SIEM's region, which the shipper signs for (OPENSEARCH_REGION), unlike its own (AWS_REGION). */
const DOMAIN_REGION = "eu-west-1";

/**
 * The environment LogPipeline gives the shipper, pointed at the peer: the production factory reads it, so
 * the bench runs what Lambda runs (monthly indices, GeoIP with the ASN database, dead letters configured,
 * SigV4 for the domain's region with the execution role's session credentials).
 */
function shipperEnvironment(peer: OpenSearchPeer): Record<string, string> {
    return {
        OPENSEARCH_ENDPOINT: peer.url, OPENSEARCH_REGION: DOMAIN_REGION, AWS_REGION: "us-east-1",
        GEOIP_DATABASE: GEOIP_CITY, GEOIP_ASN_DATABASE: GEOIP_ASN, INDEX_PREFIX: "ct-bench", DEAD_LETTER_BUCKET: "guardpost-bench-dead-letters",
        AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey, AWS_SESSION_TOKEN: BENCH_CREDENTIALS.sessionToken,
    };
}

/** What the last `_bulk` of a run held: its index names and one document, to show what was measured. */
function lastBatch(peer: OpenSearchPeer): { indices: string[]; doc: any } {
    const bulk = peer.requestsTo("POST", "/_bulk").pop();
    const lines = (bulk?.body ?? "").split("\n").filter((l) => l !== "");
    const indices = [...new Set(lines.filter((_l, i) => i % 2 === 0).map((l) => JSON.parse(l).index?._index as string))];
    return { indices, doc: lines.length > 1 ? JSON.parse(lines[1]) : undefined };
}

export interface ShipperFigures { ratio: number; cpuRatio: number; events: number; shipMs: number; floorMs: number; localMs: number; indexed: number; rejected: number; floorIndexed: number; decodedBytes: number; dataChars: number; indices: string[]; principals: number; geo: number }

async function measureShipper(peer: OpenSearchPeer): Promise<ShipperFigures> {
    // The index template SiemDomain is expected to install (free-form CloudTrail objects as flat_object), so
    // the run measures indexing rather than dynamic-mapping rejections.
    const put = await fetch(`${peer.url}/_index_template/bench`, {
        method: "PUT", headers: { "content-type": "application/json" },
        body: JSON.stringify({ index_patterns: ["ct-bench-*"], template: { mappings: { properties: {
            requestParameters: { type: "flat_object" }, responseElements: { type: "flat_object" },
            additionalEventData: { type: "flat_object" }, serviceEventDetails: { type: "flat_object" },
            apiVersion: { type: "keyword" }, geo: { properties: { location: { type: "geo_point" } } },
        } } } }),
    });
    if (put.status !== 200) throw new Error(`the peer refused the bench index template: HTTP ${put.status}`);
    const { payload, events, decodedBytes } = cloudTrailPayload();
    const gz = zlib.gzipSync(Buffer.from(JSON.stringify(payload)));
    const event = { awslogs: { data: gz.toString("base64") } };
    const city = await maxmind.open<any>(GEOIP_CITY);
    const asn = await maxmind.open<any>(GEOIP_ASN);
    Object.assign(process.env, shipperEnvironment(peer));
    const handler = createCloudTrailShipperHandler();
    const floor = makeFloor(peer, "ct-bench-floor");
    let indexed = 0;
    let rejected = 0;
    let floorIndexed = 0;
    const ship = async () => {
        // The signature itself is verified (as AWS would, for the domain's region), not just its shape.
        peer.requireAuth("sigv4", { credentials: BENCH_CREDENTIALS, region: DOMAIN_REGION });
        const r: any = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
        if (r.status !== "shipped") throw new Error(`the shipper did not ship the bench batch: ${JSON.stringify(r)}`);
        indexed = r.indexed;
        rejected = r.deadLettered;
    };
    const post = async () => {
        peer.requireAuth("none");
        floorIndexed = await floor.run(event.awslogs.data);
    };
    // Its one log line per batch is written as in Lambda (serialized), to a sink instead of the terminal.
    const log = console.log;
    console.log = () => undefined;
    // Side by side, alternating, after one warm-up of each; medians.
    await ship();
    const shipped = lastBatch(peer);
    await post();
    const shipXs: number[] = [];
    const floorXs: number[] = [];
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const shipCpu: number[] = [];
    const floorCpu: number[] = [];
    const measure = async (fn: () => Promise<void>, wall: number[], cpuXs: number[]) => {
        const c = cpu();
        wall.push(await timeMsAsync(fn));
        cpuXs.push(cpu() - c);
    };
    // Each goes first in every other pair, so the garbage one leaves to the next collection falls on both alike.
    for (let i = 0; i < SHIPPER_ROUNDS; i++) {
        if (i % 2 === 0) { await measure(ship, shipXs, shipCpu); await measure(post, floorXs, floorCpu); }
        else { await measure(post, floorXs, floorCpu); await measure(ship, shipXs, shipCpu); }
    }
    console.log = log;
    if (process.env.BENCH_DEBUG) console.error({ shipXs, floorXs, shipCpu, floorCpu });
    floor.close();
    // The same handler with `_bulk` answered in-process: the shipper's own share, without HTTP and the peer.
    const allCreated: BulkSend = async (ndjson) => {
        const n = ndjson.split("\n").length >> 1;
        return { status: 200, body: { errors: false, items: Array.from({ length: n }, () => ({ index: { status: 201 } })) } };
    };
    const local = makeCloudTrailShipperHandler({ indexPrefix: "ct-bench", indexPeriod: "month", send: allCreated, geo: async () => makeGeoLookup(maxmind.validate, city, asn), log: quiet });
    const localMs = await median(ROUNDS, () => timeMsAsync(() => local(event, { getRemainingTimeInMillis: () => 120_000 })));
    const ratio = middle(shipXs.map((x, i) => floorXs[i] / x));
    const cpuRatio = middle(shipCpu.map((x, i) => floorCpu[i] / x));
    const docs = peer.requestsTo("POST", "/_bulk").filter((r) => r.headers.authorization).slice(-1)[0]?.body.split("\n").filter((_l, i) => i % 2 === 1 && _l !== "").map((l) => JSON.parse(l)) ?? [];
    return {
        ratio, cpuRatio, events, shipMs: middle(shipXs), floorMs: middle(floorXs), localMs, indexed, rejected, floorIndexed, decodedBytes, dataChars: event.awslogs.data.length,
        indices: shipped.indices, principals: docs.filter((d: any) => d.principal).length, geo: docs.filter((d: any) => d.geo).length,
    };
}

function middle(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

export const SHIPPER_TARGET = 0.75;
export const TRANSFORM_TARGET = 0.5;

async function benchShipper(peer: OpenSearchPeer): Promise<string> {
    const f = await measureShipper(peer);
    const ratio = f.ratio;
    return `logs: cloudtrail-shipper ${rate(f.events, f.shipMs)} events/s (${f.events} events, ${mb(f.decodedBytes)} decoded, ${kb(f.dataChars)} gzip+base64, ` +
        `${f.indexed} indexed, ${f.rejected} dead-lettered; the production factory with LogPipeline's environment: indices ${f.indices.join(", ")}, ${f.geo} with geo, ${f.principals} with principal, ` +
        `SigV4 for OPENSEARCH_REGION=${DOMAIN_REGION} with a session token, verified by the loopback peer) vs floor base64+gunzip+parse+NDJSON+POST to the same peer ` +
        `${rate(f.events, f.floorMs)} events/s (${f.floorIndexed} indexed) -> ${ratio.toFixed(2)} of the floor (median of ${SHIPPER_ROUNDS} side-by-side pairs; ${f.cpuRatio.toFixed(2)} in CPU time) [target >= ${SHIPPER_TARGET}: ${ratio >= SHIPPER_TARGET ? "PASS" : "FAIL"}]\n` +
        `logs: cloudtrail-shipper ${rate(f.events, f.localMs)} events/s with _bulk answered in-process (no HTTP, no peer)`;
}

/** Firehose record batches of ~1 MB (the processor buffer), and the least any transform must do to them. */
async function benchTransforms(): Promise<string[]> {
    const lines: string[] = [];
    const flowLine = (() => {
        const src = fixtureLines("vpcflow", "custom_v5_service_traffic_path.log");
        const header = src[0].split(" ");
        const values = src[2].split(" ");
        return DEFAULT_VPC_FLOW_FIELDS.map((f) => (header.includes(f) ? values[header.indexOf(f)] : "-")).join(" ");
    })();
    const waf = [...fixtureLines("waf", "aws_docs_waf_log_examples.ndjson"), ...fixtureLines("waf", "otel_waf_logs.ndjson")];
    const city = await maxmind.open<any>(GEOIP_CITY);
    const cases = [
        {
            tag: "vpcflow-transform",
            records: (n: number) => Array.from({ length: n }, () => flowLine),
            size: flowLine.length,
            handler: makeVpcflowTransformHandler({ fields: [...DEFAULT_VPC_FLOW_FIELDS], log: quiet }),
            floor: (text: string) => JSON.stringify(text.split(" ")),
        },
        {
            tag: "waf-transform",
            records: (n: number) => Array.from({ length: n }, (_v, i) => waf[i % waf.length]),
            size: waf.reduce((a, l) => a + l.length, 0) / waf.length,
            handler: makeWafTransformHandler({ geo: async () => makeGeoLookup(maxmind.validate, city), log: quiet }),
            floor: (text: string) => JSON.stringify(JSON.parse(text)),
        },
    ];
    for (const c of cases) {
        const n = Math.floor(TARGET_BYTES / c.size);
        const event = firehoseEvent(c.records(n));
        let ok = 0;
        const run = async () => {
            const res: any = await c.handler(event);
            ok = res.records.filter((r: any) => r.result === "Ok").length;
        };
        // Floor: decode each record, the cheapest parse of it, encode the result back.
        // The cheapest encoding back, as the transforms encode: btoa for a plain-ASCII document.
        const floor = () => {
            for (const r of event.records) {
                const out = c.floor(Buffer.from(r.data, "base64").toString("utf8"));
                if (/^[\x00-\x7f]*$/.test(out)) btoa(out);
                else Buffer.from(out).toString("base64");
            }
        };
        // Side by side, alternating after a warm-up of each; the median of the pairs' ratios.
        await run();
        floor();
        const pairs: Array<{ fn: number; floor: number }> = [];
        // Each goes first in every other pair, so the garbage one leaves to the next collection falls on both alike.
        for (let i = 0; i < PAIRED_ROUNDS; i++) {
            if (i % 2 === 0) pairs.push({ fn: await timeMsAsync(run), floor: timeMs(floor) });
            else { const f = timeMs(floor); pairs.push({ floor: f, fn: await timeMsAsync(run) }); }
        }
        const fnMs = middle(pairs.map((p) => p.fn));
        const floorMs = middle(pairs.map((p) => p.floor));
        const ratio = middle(pairs.map((p) => p.floor / p.fn));
        lines.push(`logs: ${c.tag} ${rate(n, fnMs)} records/s (${n} records, ${mb(n * c.size)}, ${ok} Ok) vs floor base64+parse+stringify+base64 ` +
            `${rate(n, floorMs)} records/s -> ${ratio.toFixed(2)} of the floor (median of ${PAIRED_ROUNDS} side-by-side pairs) [target >= ${TRANSFORM_TARGET}: ${ratio >= TRANSFORM_TARGET ? "PASS" : "FAIL"}]`);
    }
    return lines;
}

export async function benchLogs(): Promise<string[]> {
    const saved = { ...process.env };
    // The shipper's environment (credentials included) is set by measureShipper and restored here.
    const lines: string[] = [];
    const peer = await OpenSearchPeer.start();
    try {
        lines.push(await benchShipper(peer));
    } finally {
        await peer.close();
        process.env = saved;
    }
    lines.push(...await benchTransforms());
    lines.push("logs: archives and cold starts: see the functions section");
    return lines;
}
