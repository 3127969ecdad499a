import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as maxmind from "maxmind";
import { BulkResponse, BulkSend } from "../functions/cloudtrail-shipper/bulk";
import {
    createCloudTrailShipperHandler, makeCloudTrailShipperHandler, normalizeEndpoint, SHIPPER_LIMITS, SHIPPER_TIMEOUT_SECONDS, ShipperDeps,
} from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { encodeAwslogsData } from "../functions/shared/cwlogs";
import { s3DeadLetterSink } from "../functions/cloudtrail-shipper/deadLetter";
import { makeGeoLookup } from "../functions/shared/geoip";
import { dailyIndex } from "../functions/cloudtrail-shipper/indexName";
import { LogFn } from "../functions/shared/logLine";
import {
    allCloudTrailRecords, awslogsEvent, awslogsEventFromPayload, cloudTrailRecords, compress, cwlPayload, fixtureText, GEOIP_CITY,
} from "./support/logFixtures";
import { expectedKeys, Logged, putBodies, putKeys, rejectionOf } from "./support/shipperHelpers";

// Created per suite and restored after it: the stub patches S3Client for the whole mocha process.
let s3: AwsClientStub<S3Client>;

/** A minimal in-memory `_bulk`: stores documents, and lets a test decide each item's status per attempt. */
class FakeOpenSearch {
    store = new Map<string, Map<string, any>>();
    bodies: string[] = [];
    attempts = new Map<string, number>();
    itemStatus: (index: string, id: string, attempt: number) => number = () => 201;
    requestReply: (n: number) => BulkResponse | undefined = () => undefined;

    send: BulkSend = async (ndjson) => {
        this.bodies.push(ndjson);
        const scripted = this.requestReply(this.bodies.length);
        if (scripted) return scripted;
        const lines = ndjson.split("\n");
        const items: any[] = [];
        for (let i = 0; i + 1 < lines.length; i += 2) {
            const { index: meta } = JSON.parse(lines[i]);
            const key = `${meta._index}/${meta._id}`;
            const attempt = (this.attempts.get(key) ?? 0) + 1;
            this.attempts.set(key, attempt);
            const status = this.itemStatus(meta._index, meta._id, attempt);
            if (status < 300) {
                if (!this.store.has(meta._index)) this.store.set(meta._index, new Map());
                this.store.get(meta._index)!.set(meta._id, JSON.parse(lines[i + 1]));
                items.push({ index: { _index: meta._index, _id: meta._id, status } });
            } else {
                items.push({ index: { _index: meta._index, _id: meta._id, status, error: { type: status === 429 ? "es_rejected_execution_exception" : "mapper_parsing_exception", reason: `status ${status}` } } });
            }
        }
        return { status: 200, body: { took: 1, errors: items.some((i) => i.index.status >= 300), items }, contentType: "application/json" };
    };

    count(): number {
        return [...this.store.values()].reduce((n, m) => n + m.size, 0);
    }
}

describe("cloudtrail-shipper with fake dependencies", () => {
    let fake: FakeOpenSearch;
    let logs: Logged[];
    const log: LogFn = (level, msg, fields) => { logs.push({ level, msg, fields }); };
    before(() => { s3 = mockClient(S3Client); });
    after(() => { s3.restore(); });
    const sink = () => s3DeadLetterSink(new S3Client({ region: "us-east-1" }), PutObjectCommand, "dead-letters", { prefix: "cloudtrail-shipper" });

    function handler(o: Partial<ShipperDeps> = {}) {
        return makeCloudTrailShipperHandler({
            indexPrefix: "cloudtrail", send: fake.send, deadLetter: sink(), log,
            sleep: async () => undefined, limits: { baseDelayMs: 1, maxDelayMs: 4 }, ...o,
        });
    }

    beforeEach(() => {
        fake = new FakeOpenSearch();
        logs = [];
        s3.reset();
        s3.on(PutObjectCommand).resolves({});
    });

    it("indexes every real fixture event once, in its UTC day's index, with _id = eventID", async () => {
        const h = handler();
        const expected = new Set<string>();
        for (const file of ["invictus_stratus_selected_events.json", "invictus_original_delivery_file_20230710T1205Z.json", "aws_docs_example_events.json"]) {
            const records = cloudTrailRecords(file);
            const payload = cwlPayload(records);
            expectedKeys(records, payload.logEvents).forEach((k) => expected.add(k));
            const r: any = await h(awslogsEventFromPayload(payload), { getRemainingTimeInMillis: () => 60_000 });
            expect(r.status).to.equal("shipped");
            expect(r.events).to.equal(records.length);
            expect(r.malformed).to.equal(0);
        }
        const stored = new Set([...fake.store].flatMap(([ix, m]) => [...m.keys()].map((id) => `${ix}/${id}`)));
        expect(stored).to.deep.equal(expected);
        expect(fake.store.get("cloudtrail-2023.07.10")!.size).to.equal(147, "138 + 10 Invictus events share one id");
        expect(putKeys(s3)).to.deep.equal([]);
    });

    it("adds @timestamp, cloud.account.id, cloud.region and log_group; drops nulls and STS session tokens", async () => {
        const records = cloudTrailRecords("invictus_stratus_selected_events.json");
        const withToken = records.find((r) => r.responseElements?.credentials?.sessionToken)!;
        const withNull = records.find((r) => r.responseElements === null)!;
        await handler()(awslogsEvent([withToken, withNull], { logGroup: "org-trail", owner: "999999999999" }));
        const docs = fake.store.get(dailyIndex("cloudtrail", new Date(withToken.eventTime)))!;
        const t = docs.get(withToken.eventID);
        expect(t["@timestamp"]).to.equal(new Date(withToken.eventTime).toISOString());
        expect(t.cloud).to.deep.equal({ account: { id: withToken.recipientAccountId }, region: withToken.awsRegion });
        expect(t.log_group).to.equal("org-trail");
        expect(t.responseElements.credentials).to.not.have.property("sessionToken");
        expect(t.responseElements.credentials.accessKeyId).to.equal(withToken.responseElements.credentials.accessKeyId);
        expect(JSON.stringify(t)).to.not.contain(withToken.responseElements.credentials.sessionToken);
        expect(t.eventVersion).to.equal(withToken.eventVersion);
        const n = fake.store.get(dailyIndex("cloudtrail", new Date(withNull.eventTime)))!.get(withNull.eventID);
        expect(n).to.not.have.property("responseElements");
        expect(n.requestParameters).to.deep.equal(withNull.requestParameters);
    });

    it("uses the log group owner as the account when the event has no recipientAccountId", async () => {
        const base = cloudTrailRecords("invictus_stratus_selected_events.json")[0];
        const { recipientAccountId: _r, ...event } = base;
        await handler()(awslogsEvent([event], { owner: "444455556666" }));
        expect(fake.store.get("cloudtrail-2023.07.10")!.get(base.eventID).cloud.account.id).to.equal("444455556666");
    });

    it("names indices by the event's UTC day, across a day boundary and from non-UTC offsets", async () => {
        const base = cloudTrailRecords("invictus_stratus_selected_events.json")[0];
        const times = ["2023-07-10T23:59:59Z", "2023-07-11T00:00:00Z", "2023-07-10T23:30:00-02:00", "2024-02-29T12:00:00Z", "2023-12-31T23:59:59.999Z"];
        const events = times.map((t, i) => ({ ...base, eventTime: t, eventID: `boundary-${i}` }));
        await handler({ indexPrefix: "ct" })(awslogsEvent(events));
        expect([...fake.store.keys()].sort()).to.deep.equal(["ct-2023.07.10", "ct-2023.07.11", "ct-2023.12.31", "ct-2024.02.29"]);
        expect([...fake.store.get("ct-2023.07.11")!.keys()].sort()).to.deep.equal(["boundary-1", "boundary-2"]);
        expect(fake.store.get("ct-2023.07.11")!.get("boundary-2")["@timestamp"]).to.equal("2023-07-11T01:30:00.000Z");
    });

    it("skips a CONTROL_MESSAGE without sending anything", async () => {
        const control = JSON.parse(fixtureText("cwlogs-subscription", "otel_control_message.json"));
        const r = await handler()(awslogsEventFromPayload(control));
        expect(r).to.deep.equal({ status: "skipped", reason: "CONTROL_MESSAGE" });
        expect(fake.bodies).to.have.length(0);
    });

    it("dead-letters a corrupt payload raw with a log line naming the failed step", async () => {
        const good = awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json")).awslogs.data;
        const cases: Array<[string, string]> = [
            ["base64", "H4sI!!!not-base64"],
            ["decompress", Buffer.from("plainly not gzip").toString("base64")],
            ["decompress", good.slice(0, 200)],
            ["json", compress("{\"messageType\": \"DATA_MESSAGE\", ").toString("base64")],
            ["shape", compress({ hello: "world" }).toString("base64")],
        ];
        for (const [stage, data] of cases) {
            logs = [];
            const r: any = await handler()({ awslogs: { data } });
            expect(r, stage).to.deep.equal({ status: "corrupt", stage, deadLettered: 1 });
            expect(logs.find((l) => l.level === "error")?.msg).to.equal(`corrupt CloudWatch Logs payload: ${stage} step failed`);
        }
        const bodies = putBodies(s3);
        expect(bodies).to.have.length(cases.length);
        bodies.forEach((b, i) => {
            expect(b.kind).to.equal("corrupt-payload");
            expect(b.document).to.equal(cases[i][1]);
            expect(b.error.reason).to.match(new RegExp(`^${cases[i][0]}: `));
        });
        expect(putKeys(s3).every((k) => k.startsWith("cloudtrail-shipper/corrupt-payload/no-index/"))).to.equal(true);
        expect(fake.bodies).to.have.length(0);
    });

    it("without a dead-letter bucket a corrupt payload fails the invocation, so the on-failure destination keeps it", async () => {
        const err = await rejectionOf(handler({ deadLetter: undefined })({ awslogs: { data: "%%%" } }));
        expect(err.message).to.match(/DEAD_LETTER_BUCKET is not set.*base64/);
    });

    it("dead-letters messages that are not CloudTrail JSON and still indexes the rest of the batch", async () => {
        const docsPayload = JSON.parse(fixtureText("cwlogs-subscription", "aws_docs_cloudtrail_data_message.json"));
        const good = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json").slice(0, 3);
        docsPayload.logEvents.push(...cwlPayload(good).logEvents, { id: "x-1", timestamp: 1_700_000_000_000, message: "[1,2,3]" });
        const r: any = await handler()(awslogsEventFromPayload(docsPayload));
        expect(r).to.include({ status: "shipped", events: 7, indexed: 3, malformed: 4, deadLettered: 4 });
        expect(fake.count()).to.equal(3);
        const letters = putBodies(s3);
        expect(letters.map((l) => l.kind)).to.deep.equal(["malformed", "malformed", "malformed", "malformed"]);
        expect(letters[0].document).to.equal(docsPayload.logEvents[0].message);
        expect(letters[0].source).to.include({ logGroup: "CloudTrail/logs", logEventId: docsPayload.logEvents[0].id });
        expect(letters[0].error.reason).to.match(/not JSON/);
        expect(letters[3].error.reason).to.equal("message is not a JSON object");
        expect(letters[0].document).to.not.contain("sessionToken");
        expect(logs.filter((l) => l.msg.startsWith("log event is not a CloudTrail event"))).to.have.length(4);
    });

    it("keeps a truncated CloudTrail message for replay without its STS session token", async () => {
        const withToken = cloudTrailRecords("invictus_stratus_selected_events.json").find((r) => r.responseElements?.credentials?.sessionToken)!;
        const truncated = JSON.stringify(withToken).slice(0, -40);
        const r: any = await handler()(awslogsEvent([truncated]));
        expect(r).to.include({ malformed: 1, deadLettered: 1 });
        const letter = putBodies(s3)[0];
        expect(letter.document).to.contain('"sessionToken":"<dropped>"');
        expect(letter.document).to.not.contain(withToken.responseElements.credentials.sessionToken);
        expect(letter.document).to.contain(withToken.responseElements.credentials.accessKeyId);
    });

    it("reads the real Sumo Logic and zlib (policyLevel) payloads; their non-CloudTrail messages go to the dead-letter bucket", async () => {
        const sumo = JSON.parse(fixtureText("cwlogs-subscription", "sumologic_cwlfixtures_subset.json"));
        const zlibEvent = JSON.parse(fixtureText("cwlogs-subscription", "powertools_lambda_awslogs_event_policylevel_zlib.json"));
        let total = 0;
        for (const e of [...sumo, zlibEvent]) {
            const r: any = await handler()(e);
            expect(r.status).to.equal("shipped");
            expect(r.indexed + r.malformed).to.equal(r.events);
            total += r.events;
        }
        expect(total).to.equal(25 + 2);
        expect(putBodies(s3).length + fake.count()).to.equal(total);
        expect(putKeys(s3).every((k) => k.startsWith("cloudtrail-shipper/malformed/"))).to.equal(true);
    });

    it("retries 429 and 5xx items with backoff until indexed, and dead-letters 400s with the error and document", async () => {
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 30);
        fake.itemStatus = (_ix, id, attempt) => {
            const n = records.findIndex((r) => r.eventID === id);
            if (n % 10 === 0) return 400;
            if (n % 3 === 0 && attempt < 3) return 429;
            if (n % 5 === 0 && attempt < 2) return 503;
            return 201;
        };
        const sleeps: number[] = [];
        const r: any = await handler({ sleep: async (ms) => { sleeps.push(ms); }, limits: { baseDelayMs: 100, maxDelayMs: 1_000 }, random: () => 1 })(awslogsEvent(records));
        expect(r).to.include({ status: "shipped", indexed: 27, rejected: 3, deadLettered: 3 });
        expect(sleeps).to.deep.equal([100, 200]);
        const letters = putBodies(s3);
        expect(letters.map((l) => l.id).sort()).to.deep.equal([records[0], records[10], records[20]].map((r) => r.eventID).sort());
        expect(letters[0]).to.include({ kind: "rejected", index: "cloudtrail-2023.07.10" });
        expect(letters[0].error).to.deep.include({ status: 400, type: "mapper_parsing_exception" });
        expect(letters[0].document.eventID).to.equal(letters[0].id);
        expect(putKeys(s3)[0]).to.equal(`cloudtrail-shipper/rejected/cloudtrail-2023.07.10/${letters[0].id}.json`);
        expect(fake.count()).to.equal(27);
    });

    it("fails the invocation when items keep failing past the attempts, after dead-lettering the permanent failures", async () => {
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 4);
        fake.itemStatus = (_ix, id) => (id === records[0].eventID ? 400 : id === records[1].eventID ? 429 : 201);
        const err = await rejectionOf(handler()(awslogsEvent(records)));
        expect(err.message).to.match(/1 of 4 documents not indexed \(last: HTTP 429/);
        expect(fake.attempts.get(`cloudtrail-2023.07.10/${records[1].eventID}`)).to.equal(SHIPPER_LIMITS.maxAttempts);
        expect(putBodies(s3).map((b) => b.id)).to.deep.equal([records[0].eventID]);
        expect(logs.some((l) => l.level === "error" && l.msg.includes("Lambda redelivers"))).to.equal(true);
    });

    it("without a dead-letter bucket a rejected document fails the invocation", async () => {
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 2);
        fake.itemStatus = (_ix, id) => (id === records[0].eventID ? 400 : 201);
        const err = await rejectionOf(handler({ deadLetter: undefined })(awslogsEvent(records)));
        expect(err.message).to.match(/1 document\(s\) cannot be indexed and DEAD_LETTER_BUCKET is not set.*status 400/);
        expect(fake.count()).to.equal(1);
    });

    it("fails the invocation when the dead-letter bucket refuses a put", async () => {
        s3.on(PutObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 2);
        fake.itemStatus = (_ix, id) => (id === records[0].eventID ? 400 : 201);
        const err = await rejectionOf(handler()(awslogsEvent(records)));
        expect(err.message).to.match(/dead-letter bucket dead-letters: 1 of 1 puts failed \(AccessDenied/);
    });

    it("retries whole-request 429 and 5xx, and keeps every request inside the byte bound", async () => {
        fake.requestReply = (n) => (n === 1 ? { status: 429, body: { error: { type: "es_rejected_execution_exception" } } } : n === 2 ? { status: 502, body: "Bad Gateway", contentType: "text/plain" } : undefined);
        const records = allCloudTrailRecords();
        const payload = cwlPayload(records);
        const r: any = await handler({ limits: { baseDelayMs: 1, maxDelayMs: 2, maxBatchBytes: 64 * 1024 } })(awslogsEventFromPayload(payload));
        expect(r.status).to.equal("shipped");
        expect(r.requests).to.be.greaterThan(4);
        expect(fake.count()).to.equal(expectedKeys(records, payload.logEvents).size);
        for (const body of fake.bodies) expect(Buffer.byteLength(body)).to.be.at.most(64 * 1024);
    });

    it("fails the invocation on a whole-request 400 instead of dead-lettering the whole batch", async () => {
        fake.requestReply = () => ({ status: 400, body: { error: "no handler found for uri [/prefix/_bulk] and method [POST]", status: 400 }, contentType: "application/json" });
        const err = await rejectionOf(handler()(awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json"))));
        expect(err.name).to.equal("OpenSearchRequestRejected");
        expect(err.message).to.match(/HTTP 400: "no handler found for uri \[\/prefix\/_bulk\]/);
        expect(putKeys(s3)).to.deep.equal([]);
    });

    it("dead-letters a single document the domain refuses as too large (413)", async () => {
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 3);
        // Any request carrying records[1] is too large: the batch is halved until that document travels alone.
        fake.requestReply = (n) => (fake.bodies[n - 1].includes(records[1].eventID) ? { status: 413, body: { Message: "Request size exceeded 1048576 bytes" } } : undefined);
        const r: any = await handler()(awslogsEvent(records));
        expect(r).to.include({ indexed: 2, rejected: 1, deadLettered: 1 });
        expect(putBodies(s3)[0]).to.deep.include({ id: records[1].eventID, error: { status: 413, reason: "document is larger than the domain's HTTP payload limit" } });
        expect(fake.bodies.filter((b) => b.includes(records[1].eventID)).map((b) => b.split("\n").length - 1)).to.deep.equal([6, 4, 2]);
    });

    it("halves a batch the domain answers 413 to", async () => {
        fake.requestReply = (n) => (n === 1 ? { status: 413, body: { Message: "Request size exceeded" } } : undefined);
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 8);
        const r: any = await handler()(awslogsEvent(records));
        expect(r).to.include({ indexed: 8, requests: 3 });
        expect(fake.bodies[1].split("\n").length - 1).to.equal(8);
    });

    it("never sleeps or sends past the deadline the Lambda context allows", async () => {
        let clock = 0;
        const records = cloudTrailRecords("invictus_stratus_selected_events.json").slice(0, 2);
        fake.itemStatus = () => 503;
        const h = handler({
            now: () => clock,
            sleep: async (ms) => { clock += ms; },
            limits: { baseDelayMs: 2_000, maxDelayMs: 60_000, maxAttempts: 50, reserveMs: 15_000 },
            random: () => 1,
        });
        const err = await rejectionOf(h(awslogsEvent(records), { getRemainingTimeInMillis: () => 30_000 }));
        expect(err.message).to.match(/2 of 2 documents not indexed/);
        expect(clock).to.be.at.most(15_000);
        expect(fake.bodies.length).to.be.within(2, 4);
    });

    it("refuses to run with a broken environment, naming each problem", async () => {
        const saved = { ...process.env };
        try {
            delete process.env.OPENSEARCH_ENDPOINT;
            process.env.INDEX_PREFIX = "CloudTrail";
            const h = createCloudTrailShipperHandler();
            const err = await rejectionOf(h(awslogsEvent([])));
            expect(err.message).to.match(/OPENSEARCH_ENDPOINT is not set/);
            expect(err.message).to.match(/INDEX_PREFIX 'CloudTrail'/);
        } finally {
            process.env = saved;
        }
    });

    it("leaves the Lambda room for a full request and the dead-letter puts", () => {
        expect(SHIPPER_LIMITS.requestTimeoutMs + SHIPPER_LIMITS.reserveMs).to.be.below(SHIPPER_TIMEOUT_SECONDS * 1000);
        expect(SHIPPER_LIMITS.maxBatchBytes).to.be.at.most(10 * 1024 * 1024);
        expect(normalizeEndpoint("search-x.us-east-1.es.amazonaws.com/")).to.equal("https://search-x.us-east-1.es.amazonaws.com");
        expect(normalizeEndpoint("http://127.0.0.1:9200")).to.equal("http://127.0.0.1:9200");
    });

    it("enriches with geo through the injected lookup, only for routable addresses", async () => {
        const city = await maxmind.open<any>(GEOIP_CITY);
        const base = cloudTrailRecords("invictus_stratus_selected_events.json")[0];
        const ips = ["81.2.69.142", "AWS Internal", "10.0.0.1", "ec2.amazonaws.com", ""];
        const events = ips.map((ip, i) => ({ ...base, sourceIPAddress: ip, eventID: `geo-${i}` }));
        await handler({ geo: async () => makeGeoLookup(maxmind.validate, city) })(awslogsEvent(events));
        const docs = fake.store.get("cloudtrail-2023.07.10")!;
        expect(docs.get("geo-0").geo).to.include({ country_iso_code: "GB", city_name: "London" });
        for (let i = 1; i < ips.length; i++) expect(docs.get(`geo-${i}`), ips[i]).to.not.have.property("geo");
    });

    it("encodes payloads the way CloudWatch Logs does (round trip through the decoder)", async () => {
        const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
        const r: any = await handler()({ awslogs: { data: encodeAwslogsData(cwlPayload(records)) } });
        expect(r.indexed).to.equal(10);
    });
});
