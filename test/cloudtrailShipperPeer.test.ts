import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as maxmind from "maxmind";
import { BulkSend } from "../functions/cloudtrail-shipper/bulk";
import { createCloudTrailShipperHandler, makeCloudTrailShipperHandler, openSearchBulkSend, ShipperDeps } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { s3DeadLetterSink } from "../functions/cloudtrail-shipper/deadLetter";
import { makeGeoLookup } from "../functions/shared/geoip";
import { LogFn } from "../functions/shared/logLine";
import { allCloudTrailRecords, awslogsEvent, awslogsEventFromPayload, cloudTrailRecords, cwlPayload, GEOIP_ASN, GEOIP_CITY } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { loadSerializedHandler } from "./support/serialized";
import { expectedKeys, Logged, putBodies, putKeys, rejectionOf } from "./support/shipperHelpers";

// Created in `before` and restored in `after`: the stub patches S3Client for the whole mocha process.
let s3: AwsClientStub<S3Client>;

/** Fake credentials for the default provider chain (env first), so signing never reaches for IMDS. */
const TEST_ENV = {
    AWS_ACCESS_KEY_ID: "AKIAGUARDPOSTTEST0001",
    AWS_SECRET_ACCESS_KEY: "guardpost-test-secret-not-real",
    AWS_REGION: "us-east-1",
};

describe("cloudtrail-shipper against the loopback OpenSearch peer", function () {
    let peer: OpenSearchPeer;
    let saved: NodeJS.ProcessEnv;
    let logs: Logged[];
    const log: LogFn = (level, msg, fields) => { logs.push({ level, msg, fields }); };

    before(async () => {
        saved = { ...process.env };
        Object.assign(process.env, TEST_ENV);
        peer = await OpenSearchPeer.start();
        s3 = mockClient(S3Client);
    });
    after(async () => {
        s3.restore();
        await peer.close();
        process.env = saved;
    });
    beforeEach(() => {
        logs = [];
        s3.reset();
        s3.on(PutObjectCommand).resolves({});
        peer.rejectItems(undefined);
        peer.requireAuth("none");
    });

    function handler(o: Partial<ShipperDeps> = {}) {
        return makeCloudTrailShipperHandler({
            indexPrefix: "cloudtrail",
            send: openSearchBulkSend(peer.url, "us-east-1", 2_000),
            deadLetter: s3DeadLetterSink(new S3Client({ region: "us-east-1" }), PutObjectCommand, "dead-letters", { prefix: "cloudtrail-shipper" }),
            limits: { baseDelayMs: 5, maxDelayMs: 20, requestTimeoutMs: 2_000 },
            log, ...o,
        });
    }

    function indexedKeys(prefix: string): Set<string> {
        return new Set(peer.indices().filter((ix) => ix.startsWith(`${prefix}-`)).flatMap((ix) => [...peer.docs(ix).keys()].map((id) => `${ix}/${id}`)));
    }

    it("signs with SigV4 and ends every real fixture event indexed exactly once or dead-lettered", async () => {
        peer.requireAuth("sigv4");
        const h = handler({ indexPrefix: "ct-all" });
        const expected = new Set<string>();
        let deadLettered = 0;
        for (const file of ["invictus_stratus_selected_events.json", "invictus_original_delivery_file_20230710T1205Z.json", "aws_docs_example_events.json"]) {
            const records = cloudTrailRecords(file);
            const payload = cwlPayload(records);
            expectedKeys(records, payload.logEvents, "ct-all").forEach((k) => expected.add(k));
            const r: any = await h(awslogsEventFromPayload(payload));
            expect(r.indexed + r.rejected).to.equal(records.length);
            deadLettered += r.deadLettered;
        }
        const indexed = indexedKeys("ct-all");
        const letters = new Set(putBodies(s3).map((b) => `${b.index}/${b.id}`));
        // Dynamic mapping conflicts (requestParameters changing type across APIs) are real: those land in S3.
        for (const k of letters) expect(indexed.has(k), `${k} both indexed and dead-lettered`).to.equal(false);
        expect(new Set([...indexed, ...letters])).to.deep.equal(expected);
        expect(letters.size).to.equal(deadLettered);
        const bulk = peer.requestsTo("POST", "/_bulk");
        expect(bulk.length).to.be.greaterThan(0);
        for (const req of bulk) {
            expect(req.status).to.equal(200);
            expect(String(req.headers.authorization)).to.match(/^AWS4-HMAC-SHA256 Credential=AKIAGUARDPOSTTEST0001\/\d{8}\/us-east-1\/es\/aws4_request/);
            expect(req.headers["x-amz-content-sha256"]).to.match(/^[0-9a-f]{64}$/);
        }
    });

    it("indexes all of them once the index template maps CloudTrail's free-form objects as flat_object", async () => {
        const template = {
            index_patterns: ["ct-flat-*"], priority: 100,
            template: { mappings: { properties: {
                "@timestamp": { type: "date" }, eventTime: { type: "date" }, apiVersion: { type: "keyword" },
                requestParameters: { type: "flat_object" }, responseElements: { type: "flat_object" },
                additionalEventData: { type: "flat_object" }, serviceEventDetails: { type: "flat_object" },
                geo: { properties: { location: { type: "geo_point" } } },
            } } },
        };
        const put = await fetch(`${peer.url}/_index_template/ct-flat`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(template) });
        expect(put.status).to.equal(200);
        const records = allCloudTrailRecords();
        const payload = cwlPayload(records);
        const r: any = await handler({ indexPrefix: "ct-flat" })(awslogsEventFromPayload(payload));
        expect(r).to.include({ status: "shipped", rejected: 0, deadLettered: 0 });
        expect(indexedKeys("ct-flat")).to.deep.equal(expectedKeys(records, payload.logEvents, "ct-flat"));
    });

    it("redelivery of the same batch overwrites by _id instead of duplicating", async () => {
        const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
        const event = awslogsEvent(records);
        await handler({ indexPrefix: "ct-redeliver" })(event);
        await handler({ indexPrefix: "ct-redeliver" })(event);
        const ix = peer.index("ct-redeliver-2023.07.10")!;
        expect(ix.docs.size).to.equal(10);
        for (const d of ix.docs.values()) expect(d.version).to.equal(2);
    });

    it("adds geo for MaxMind test addresses and none for non-IPs, private or unknown addresses", async () => {
        const city = await maxmind.open<any>(GEOIP_CITY);
        const asn = await maxmind.open<any>(GEOIP_ASN);
        const base = cloudTrailRecords("invictus_stratus_selected_events.json");
        const ips = ["81.2.69.142", "175.16.199.1", "2a02:cf40::1", "89.160.20.112", "AWS Internal", "ec2.amazonaws.com", "192.168.10.20", "3.225.16.109", "", "10.0.0"];
        const events = ips.map((ip, i) => ({ ...base[i], sourceIPAddress: ip, eventID: `geo-${i}` }));
        await handler({ indexPrefix: "ct-geo", geo: async () => makeGeoLookup(maxmind.validate, city, asn) })(awslogsEvent(events));
        const docs = peer.docs("ct-geo-2023.07.10");
        expect(docs.get("geo-0").geo).to.deep.include({ country_iso_code: "GB", city_name: "London" });
        expect(docs.get("geo-0").geo.location.lat).to.be.closeTo(51.51, 0.01);
        expect(docs.get("geo-1").geo).to.include({ country_iso_code: "CN", city_name: "Changchun" });
        expect(docs.get("geo-2").geo).to.include({ country_iso_code: "NO" });
        expect(docs.get("geo-3").geo).to.include({ country_iso_code: "SE", asn: 29518, as_org: "Bredband2 AB" });
        for (let i = 4; i < ips.length; i++) expect(docs.get(`geo-${i}`), JSON.stringify(ips[i])).to.not.have.property("geo");
    });

    it("partial _bulk failure: 429 items are retried until indexed, mapping errors go to the dead-letter bucket", async () => {
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 40);
        const tries = new Map<string, number>();
        peer.rejectItems(({ id }) => {
            const n = records.findIndex((r) => r.eventID === id);
            const t = (tries.get(id!) ?? 0) + 1;
            tries.set(id!, t);
            if (n % 8 === 0) return { status: 400, type: "mapper_parsing_exception", reason: "failed to parse field [requestParameters.x]" };
            if (n % 3 === 0 && t < 3) return { status: 429, type: "es_rejected_execution_exception", reason: "rejected execution of coordinating operation" };
            if (n % 7 === 0 && t < 2) return { status: 503, type: "unavailable_shards_exception", reason: "primary shard is not active" };
            return undefined;
        });
        const before = peer.requestsTo("POST", "/_bulk").length;
        const r: any = await handler({ indexPrefix: "ct-partial" })(awslogsEvent(records));
        expect(r).to.include({ status: "shipped", indexed: 35, rejected: 5, deadLettered: 5 });
        expect(peer.docs("ct-partial-2023.07.10").size).to.equal(35);
        const letters = putBodies(s3);
        expect(letters.map((l) => l.id).sort()).to.deep.equal(records.filter((_r, n) => n % 8 === 0).map((x) => x.eventID).sort());
        expect(letters[0].error).to.deep.include({ status: 400, type: "mapper_parsing_exception" });
        expect(letters[0].document["@timestamp"]).to.be.a("string");
        expect(peer.requestsTo("POST", "/_bulk").length - before).to.equal(3, "first try, the 429/503 retry, the second 429 retry");
    });

    it("retries whole-request 429 and 503 answers", async () => {
        peer.failNext(1, { status: 429, body: { error: { type: "es_rejected_execution_exception", reason: "queue full" }, status: 429 } });
        peer.failNext(1, { status: 503, body: { error: { type: "cluster_manager_not_discovered_exception", reason: "no master" }, status: 503 } });
        const before = peer.requestsTo("POST", "/_bulk").length;
        const r: any = await handler({ indexPrefix: "ct-whole" })(awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json")));
        expect(r.indexed).to.equal(10);
        expect(peer.requestsTo("POST", "/_bulk").slice(before).map((q) => q.status)).to.deep.equal([429, 503, 200]);
    });

    it("a non-JSON 403 fails the invocation at once with a clear error", async () => {
        peer.failNext(1, { status: 403, body: "<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>", contentType: "text/html" });
        const before = peer.requestsTo("POST", "/_bulk").length;
        const err = await rejectionOf(handler({ indexPrefix: "ct-403" })(awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json"))));
        expect(err.name).to.equal("OpenSearchAccessDenied");
        expect(err.message).to.match(/HTTP 403 with a non-JSON body \(text\/html\): "403 Forbidden Request blocked\."/);
        expect(err.message).to.match(/guardpost_log_writer/);
        expect(peer.requestsTo("POST", "/_bulk").length - before).to.equal(1);
        expect(putKeys(s3)).to.deep.equal([]);
    });

    it("an unsigned request gets the domain's JSON 403, reported the same way", async () => {
        peer.requireAuth("sigv4");
        const unsigned: BulkSend = async (body) => {
            const res = await fetch(`${peer.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
            return { status: res.status, body: await res.text(), contentType: res.headers.get("content-type") ?? undefined };
        };
        const err = await rejectionOf(handler({ send: unsigned })(awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json"))));
        expect(err.message).to.match(/HTTP 403: .*not authorized to perform: es:ESHttpPost/);
    });

    it("abandons a slow response at the request timeout and retries it", async () => {
        peer.failNext(1, { status: 200, body: { took: 1, errors: false, items: [] }, delayMs: 800 });
        const r: any = await handler({ indexPrefix: "ct-slow", send: openSearchBulkSend(peer.url, "us-east-1", 300), limits: { requestTimeoutMs: 300, baseDelayMs: 5, maxDelayMs: 20 } })(
            awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json")));
        expect(r.indexed).to.equal(10);
        expect(r.requests).to.equal(2);
        expect(peer.docs("ct-slow-2023.07.10").size).to.equal(10);
    });

    it("runs the serialized factory (env contract only, monthly indices by default) against the signed peer, with geo and the dead-letter bucket", async () => {
        peer.requireAuth("sigv4");
        Object.assign(process.env, {
            OPENSEARCH_ENDPOINT: peer.url, GEOIP_DATABASE: GEOIP_CITY, GEOIP_ASN_DATABASE: GEOIP_ASN,
            INDEX_PREFIX: "ct-serialized", DEAD_LETTER_BUCKET: "guardpost-dead-letters",
        });
        try {
            const { handler: h, text } = await loadSerializedHandler("cloudtrail-shipper", createCloudTrailShipperHandler);
            const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
            const events = records.map((e, i) => (i === 0 ? { ...e, sourceIPAddress: "216.160.83.56" } : e));
            peer.rejectItems(({ id }) => (id === records[1].eventID ? { status: 400, type: "mapper_parsing_exception", reason: "failed to parse" } : undefined));
            const r: any = await h(awslogsEvent(events), { getRemainingTimeInMillis: () => 60_000 });
            expect(r).to.include({ status: "shipped", indexed: 9, rejected: 1, deadLettered: 1 });
            const docs = peer.docs("ct-serialized-2023-07");
            expect(docs.get(records[0].eventID).geo).to.include({ country_iso_code: "US", city_name: "Milton", asn: 209 });
            const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
            expect(puts.map((p) => [p.Bucket, p.Key])).to.deep.equal([["guardpost-dead-letters", `cloudtrail-shipper/rejected/ct-serialized-2023-07/${records[1].eventID}.json`]]);
            // Node's own HTTP client and crypto sign and send; no OpenSearch client in the archive.
            expect(text).to.contain('require("https")');
            expect(text).to.contain('require("crypto")');
            expect(text).to.not.contain("@opensearch-project/opensearch");
            expect(text).to.contain('require("maxmind")');
            expect(text).to.not.contain(TEST_ENV.AWS_SECRET_ACCESS_KEY);
            expect(text).to.not.contain(peer.url);
        } finally {
            for (const k of ["OPENSEARCH_ENDPOINT", "GEOIP_DATABASE", "GEOIP_ASN_DATABASE", "INDEX_PREFIX", "DEAD_LETTER_BUCKET"]) delete process.env[k];
        }
    });
});
