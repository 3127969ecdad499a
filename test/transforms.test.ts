import { expect } from "chai";
import * as maxmind from "maxmind";
import { FirehoseResponse, MAX_RESPONSE_BYTES, PROCESSOR_BUFFER_MB, runFirehoseTransform, splitRecordData } from "../functions/shared/firehose";
import { makeGeoLookup } from "../functions/shared/geoip";
import { LogFn } from "../functions/shared/logLine";
import {
    createVpcflowTransformHandler, DEFAULT_VPC_FLOW_FIELDS, makeVpcflowTransformHandler, parseFieldList, vpcFlowLogFormat,
} from "../functions/vpcflow-transform/vpcflowTransform";
import { createWafTransformHandler, makeWafTransformHandler, transformWafMessage } from "../functions/waf-transform/wafTransform";
import { compress, cwlPayload, decodeData, firehoseEvent, fixtureLines, fixtureText, GEOIP_CITY } from "./support/logFixtures";
import { loadSerializedHandler } from "./support/serialized";

const quiet: LogFn = () => undefined;

/** The Firehose contract, checked on every response: each id once, in order, a valid result, base64 data. */
function expectContract(event: any, res: FirehoseResponse, limit = MAX_RESPONSE_BYTES): void {
    expect(res.records.map((r) => r.recordId)).to.deep.equal(event.records.map((r: any) => r.recordId));
    for (const r of res.records) {
        expect(["Ok", "Dropped", "ProcessingFailed"]).to.include(r.result);
        expect(r.data).to.be.a("string");
        expect(Buffer.from(r.data, "base64").toString("base64")).to.equal(r.data);
        if (r.result === "Ok") expect(() => JSON.parse(decodeData(r.data))).to.not.throw();
    }
    expect(Buffer.byteLength(JSON.stringify(res))).to.be.at.most(limit);
}

function okDocs(res: FirehoseResponse): any[] {
    return res.records.filter((r) => r.result === "Ok").map((r) => JSON.parse(decodeData(r.data)));
}

/** Flow-log fields AWS documents as integers. */
const NUMERIC = ["srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "version", "tcp-flags", "traffic-path",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded", "packets-lost-ttl-expired"];

const HEADER_FILES = ["default_v2_s3_style_with_header.log", "custom_v3_tcp_flags.log", "custom_v3_transit_gateway.log",
    "custom_v5_service_traffic_path.log", "custom_nat_gateway_no_version.log", "otel_custom_ecs_fields.log", "otel_transit_gateway_flow_v6.log"];

describe("vpcflow-transform", () => {
    for (const file of HEADER_FILES) {
        it(`parses ${file} by its field list, one record per line`, async () => {
            const lines = fixtureLines("vpcflow", file);
            const fields = lines[0].split(/\s+/);
            const event = firehoseEvent(lines.map((l) => `${l}\n`));
            const res = await makeVpcflowTransformHandler({ fields, log: quiet })(event);
            expectContract(event, res);
            expect(res.records[0].result).to.equal("Dropped");
            lines.slice(1).forEach((line, i) => {
                const out = res.records[i + 1];
                const tokens = line.trim().split(/\s+/);
                const status = tokens[fields.indexOf("log-status")];
                if (status === "NODATA" || status === "SKIPDATA") {
                    expect(out.result, line).to.equal("Dropped");
                    return;
                }
                expect(out.result, line).to.equal("Ok");
                const doc = JSON.parse(decodeData(out.data));
                fields.forEach((f, k) => {
                    const key = f.replace(/-/g, "_");
                    if (tokens[k] === "-") expect(doc, f).to.not.have.property(key);
                    else if (/^\d+$/.test(tokens[k]) && NUMERIC.includes(f)) expect(doc[key], f).to.equal(Number(tokens[k]));
                    else expect(doc[key], f).to.equal(tokens[k]);
                });
                const start = fields.indexOf("start");
                const expectedTime = start >= 0 ? Number(tokens[start]) * 1000 : event.records[i + 1].approximateArrivalTimestamp;
                expect(doc["@timestamp"]).to.equal(new Date(expectedTime).toISOString());
            });
        });
    }

    it("parses the CloudWatch-style default format (no header), drops NODATA and SKIPDATA, keeps IPv6 and ICMP", async () => {
        const lines = fixtureLines("vpcflow", "default_v2_cloudwatch_style.log");
        const fields = fixtureLines("vpcflow", "default_v2_s3_style_with_header.log")[0].split(" ");
        const event = firehoseEvent(lines);
        const res = await makeVpcflowTransformHandler({ fields, log: quiet })(event);
        expectContract(event, res);
        expect(res.records.map((r) => r.result)).to.deep.equal(["Ok", "Ok", "Dropped", "Dropped", "Ok", "Ok", "Ok"]);
        const docs = okDocs(res);
        expect(docs[0]).to.deep.equal({
            version: 2, account_id: "123456789010", interface_id: "eni-1235b8ca123456789", srcaddr: "172.31.16.139", dstaddr: "172.31.16.21",
            srcport: 20641, dstport: 22, protocol: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: "ACCEPT",
            log_status: "OK", "@timestamp": "2014-12-14T04:06:50.000Z",
        });
        expect(docs[2]).to.include({ protocol: 1, srcport: 0, action: "ACCEPT" });
        expect(docs[4].srcaddr).to.equal("2001:db8:1234:a100:8d6e:3477:df66:f105");
    });

    it("uses the v5 default field list, whose log format is what the FlowLog is configured with", async () => {
        const lines = fixtureLines("vpcflow", "custom_v5_service_traffic_path.log");
        const header = lines[0].split(" ");
        // Re-order a real v5 record into the default order the pipeline configures.
        const values = lines[2].split(" ");
        const line = DEFAULT_VPC_FLOW_FIELDS.map((f) => (header.includes(f) ? values[header.indexOf(f)] : "-")).join(" ");
        const { fields, problems } = parseFieldList(undefined);
        expect(problems).to.deep.equal([]);
        const res = await makeVpcflowTransformHandler({ fields, log: quiet })(firehoseEvent([line]));
        const [doc] = okDocs(res);
        expect(doc).to.include({ version: 5, srcaddr: "10.0.0.71", pkt_dst_aws_service: "S3", traffic_path: 8, flow_direction: "egress", region: "ap-southeast-2", tcp_flags: 3 });
        expect(vpcFlowLogFormat(DEFAULT_VPC_FLOW_FIELDS)).to.match(/^\$\{version\} \$\{account-id\} .* \$\{traffic-path\}$/);
        expect(parseFieldList(vpcFlowLogFormat(["version", "srcaddr"])).fields).to.deep.equal(["version", "srcaddr"]);
    });

    it("fails malformed lines and undecodable records without throwing, and returns every id", async () => {
        const fields = fixtureLines("vpcflow", "default_v2_s3_style_with_header.log")[0].split(" ");
        const good = fixtureLines("vpcflow", "default_v2_cloudwatch_style.log")[0];
        const entries: Array<string | Buffer> = [
            good.split(" ").slice(0, 10).join(" "),                 // too few fields
            `${good} extra`,                                        // too many
            good.replace(" 20641 ", " http "),                      // port not a number
            good.replace(" 4249 ", " -12 "),                        // negative byte count
            good.replace("1418530010", "99999999999999999999"),     // start overflows a date
            Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]),            // binary junk
            "",                                                     // empty record
            good,
        ];
        const event = firehoseEvent(entries);
        event.records.push({ recordId: "not-base64", approximateArrivalTimestamp: 1, data: "!!!" });
        event.records.push({ recordId: "no-data", approximateArrivalTimestamp: 1 });
        const res = await makeVpcflowTransformHandler({ fields, log: quiet })(event);
        expectContract(event, res);
        expect(res.records.map((r) => r.result)).to.deep.equal([
            "ProcessingFailed", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed",
            "Dropped", "Ok", "ProcessingFailed", "ProcessingFailed",
        ]);
        // Failed records carry their original bytes, as Firehose's processing-failed backup expects.
        expect(res.records[0].data).to.equal(event.records[0].data);
        expect(res.records[8].data).to.equal("", "input that was not base64 cannot be echoed as base64");
    });

    it("reads CloudWatch Logs gzip records: control messages dropped, one event indexed, several events failed with the reason", async () => {
        const fields = ["version", "interface-id", "srcaddr", "dstaddr"];
        const otel = JSON.parse(fixtureText("cwlogs-subscription", "otel_vpcflow_custom_data_message.json"));
        const single = { ...otel, logEvents: otel.logEvents.slice(0, 1) };
        const control = JSON.parse(fixtureText("cwlogs-subscription", "otel_control_message.json"));
        const event = firehoseEvent([compress(single), compress(otel), compress(control), compress(single, "zlib")]);
        const logs: string[] = [];
        const res = await makeVpcflowTransformHandler({ fields, log: (_l, msg, f) => logs.push(`${msg} ${JSON.stringify(f)}`) })(event);
        expectContract(event, res);
        expect(res.records.map((r) => r.result)).to.deep.equal(["Ok", "ProcessingFailed", "Dropped", "Ok"]);
        expect(okDocs(res)[0]).to.deep.equal({ version: 2, interface_id: "eni-1235b8ca123456789", srcaddr: "172.31.16.139", dstaddr: "172.31.16.21", "@timestamp": new Date(event.records[0].approximateArrivalTimestamp).toISOString() });
        expect(logs.join("\n")).to.contain("record holds 2 messages; an OpenSearch destination indexes one document per record");
    });

    it("answers the real Firehose fixture events (not flow logs) with ProcessingFailed for each record, never a throw", async () => {
        const h = makeVpcflowTransformHandler({ fields: [...DEFAULT_VPC_FLOW_FIELDS], log: quiet });
        for (const f of ["powertools_kinesisFirehosePutEvent.json", "powertools_kinesisFirehoseKinesisEvent.json", "powertools_kinesisFirehoseSQSEvent.json", "derived_firehose_event_with_cwlogs_gzip_records.json"]) {
            const event = JSON.parse(fixtureText("firehose", f));
            const res = await h(event);
            expectContract(event, res);
            for (const r of res.records) expect(r.result, f).to.be.oneOf(["ProcessingFailed", "Dropped"]);
        }
        const derived = JSON.parse(fixtureText("firehose", "derived_firehose_event_with_cwlogs_gzip_records.json"));
        expect((await h(derived)).records.map((r) => r.result)).to.deep.equal(["ProcessingFailed", "Dropped", "ProcessingFailed", "ProcessingFailed"]);
        expect(await h({} as any)).to.deep.equal({ records: [] });
    });

    it("fails every record (keeping the data) when VPC_FLOW_FIELDS is misconfigured", async () => {
        const { fields, problems } = parseFieldList("version ${srcaddr} src addr srcaddr");
        expect(problems.join(" ")).to.match(/twice/);
        const bad = parseFieldList("version SRC_ADDR");
        expect(bad.problems.join(" ")).to.match(/invalid field names: SRC_ADDR/);
        const event = firehoseEvent(fixtureLines("vpcflow", "default_v2_cloudwatch_style.log"));
        const res = await makeVpcflowTransformHandler({ fields, configProblems: problems, log: quiet })(event);
        expectContract(event, res);
        expect(res.records.every((r, i) => r.result === "ProcessingFailed" && r.data === event.records[i].data)).to.equal(true);
    });

    it("keeps the response under the limit by failing the records that would overflow it", async () => {
        const fields = fixtureLines("vpcflow", "default_v2_s3_style_with_header.log")[0].split(" ");
        const good = fixtureLines("vpcflow", "default_v2_cloudwatch_style.log")[0];
        const event = firehoseEvent(Array.from({ length: 200 }, () => good));
        const full = await makeVpcflowTransformHandler({ fields, log: quiet })(event);
        const exact = Buffer.byteLength(JSON.stringify(full));
        expect(full.records.every((r) => r.result === "Ok")).to.equal(true);
        // The size accounting is exact: the all-Ok response fits a limit of exactly its size, not one byte less.
        const atLimit = await makeVpcflowTransformHandler({ fields, log: quiet, maxResponseBytes: exact })(event);
        expect(atLimit.records.every((r) => r.result === "Ok")).to.equal(true);
        for (const limit of [exact - 1, Math.floor(exact / 2), 40_000]) {
            const res = await makeVpcflowTransformHandler({ fields, log: quiet, maxResponseBytes: limit })(event);
            expectContract(event, res, limit);
            const failed = res.records.filter((r) => r.result === "ProcessingFailed");
            expect(failed.length, String(limit)).to.be.greaterThan(0);
            expect(res.records.findIndex((r) => r.result === "ProcessingFailed")).to.equal(res.records.length - failed.length, "overflow is the tail");
        }
    });

    it("fits a processor-buffer-sized batch under 6 MB, and fails the tail of a 3 MB batch rather than breach", async () => {
        const fields = [...DEFAULT_VPC_FLOW_FIELDS];
        const line = DEFAULT_VPC_FLOW_FIELDS.map((f, i) => (NUMERIC.includes(f) ? String(1_600_000_000 + i) : `value-${f}`)).join(" ");
        const h = makeVpcflowTransformHandler({ fields, log: quiet });
        const buffered = firehoseEvent(Array.from({ length: Math.floor(PROCESSOR_BUFFER_MB * 1_000_000 / (line.length + 1)) }, () => line));
        const ok = await h(buffered);
        expectContract(buffered, ok);
        expect(ok.records.every((r) => r.result === "Ok")).to.equal(true);
        // Firehose's largest processor buffer: enrichment would need ~12 MB, so the tail must fail instead.
        const count = Math.floor(3_000_000 / (line.length + 1));
        const event = firehoseEvent(Array.from({ length: count }, () => line));
        const res = await h(event);
        expectContract(event, res);
        const okCount = res.records.filter((r) => r.result === "Ok").length;
        expect(okCount).to.be.within(1, count - 1);
        expect(res.records.slice(okCount).every((r) => r.result === "ProcessingFailed")).to.equal(true);
    });

    it("serialized handler reads VPC_FLOW_FIELDS from the environment and transforms a fixture batch", async () => {
        const lines = fixtureLines("vpcflow", "custom_v3_tcp_flags.log");
        process.env.VPC_FLOW_FIELDS = lines[0];
        try {
            const { handler, text } = await loadSerializedHandler("vpcflow-transform", createVpcflowTransformHandler);
            const event = firehoseEvent(lines);
            const res = await handler(event);
            expectContract(event, res);
            expect(res.records.map((r: any) => r.result)).to.deep.equal(["Dropped", ...lines.slice(1).map(() => "Ok")]);
            expect(okDocs(res)[7]).to.include({ tcp_flags: 19, dstport: 43638, srcaddr: "10.0.0.62", "@timestamp": "2019-08-27T19:12:13.000Z" });
            expect(text).to.not.contain("require(\"maxmind\")");
        } finally {
            delete process.env.VPC_FLOW_FIELDS;
        }
    });
});

describe("waf-transform", () => {
    const wafLogs = () => [...fixtureLines("waf", "aws_docs_waf_log_examples.ndjson"), ...fixtureLines("waf", "otel_waf_logs.ndjson")];

    it("adds the ISO @timestamp to every real WAF log and leaves the rest as WAF wrote it", async () => {
        const lines = wafLogs();
        const event = firehoseEvent(lines.map((l) => `${l}\n`));
        const res = await makeWafTransformHandler({ log: quiet })(event);
        expectContract(event, res);
        expect(res.records.every((r) => r.result === "Ok")).to.equal(true);
        okDocs(res).forEach((doc, i) => {
            const original = JSON.parse(lines[i]);
            const { "@timestamp": ts, ...rest } = doc;
            expect(rest).to.deep.equal(original);
            expect(ts).to.equal(new Date(original.timestamp).toISOString());
            expect(doc).to.not.have.property("geo");
        });
    });

    it("adds geo for the client IP when a database is configured", async () => {
        const city = await maxmind.open<any>(GEOIP_CITY);
        const geo = makeGeoLookup(maxmind.validate, city);
        const lines = wafLogs().slice(0, 3).map((l, i) => {
            const o = JSON.parse(l);
            o.httpRequest.clientIp = ["81.2.69.142", "10.1.2.3", "2001:218::1"][i];
            return JSON.stringify(o);
        });
        const res = await makeWafTransformHandler({ geo: async () => geo, log: quiet })(firehoseEvent(lines));
        const docs = okDocs(res);
        expect(docs[0].geo).to.include({ country_iso_code: "GB", city_name: "London" });
        expect(docs[1]).to.not.have.property("geo");
        expect(docs[2].geo).to.include({ country_iso_code: "JP" });
    });

    it("fails records that are not WAF JSON, and falls back to the arrival time without a timestamp", () => {
        const arrival = Date.UTC(2024, 0, 2, 3, 4, 5);
        expect(transformWafMessage("{not json", arrival, undefined).result).to.equal("ProcessingFailed");
        expect(transformWafMessage("[1,2]", arrival, undefined).result).to.equal("ProcessingFailed");
        expect(transformWafMessage('"text"', arrival, undefined).result).to.equal("ProcessingFailed");
        expect(transformWafMessage('{"timestamp":"yesterday"}', arrival, undefined)).to.deep.include({ result: "ProcessingFailed" });
        expect(transformWafMessage('{"timestamp":"1576280412771"}', arrival, undefined)).to.deep.equal({ result: "Ok", doc: { timestamp: "1576280412771", "@timestamp": "2019-12-13T23:40:12.771Z" } });
        expect(transformWafMessage('{"action":"ALLOW"}', arrival, undefined)).to.deep.equal({ result: "Ok", doc: { action: "ALLOW", "@timestamp": "2024-01-02T03:04:05.000Z" } });
    });

    it("serialized handler transforms with and without GEOIP_DATABASE", async () => {
        const line = JSON.parse(wafLogs()[0]);
        line.httpRequest.clientIp = "175.16.199.1";
        const event = firehoseEvent([JSON.stringify(line), "garbage"]);
        for (const db of [undefined, GEOIP_CITY]) {
            if (db) process.env.GEOIP_DATABASE = db;
            try {
                const { handler } = await loadSerializedHandler("waf-transform", createWafTransformHandler);
                const res = await handler(event);
                expectContract(event, res);
                expect(res.records.map((r: any) => r.result)).to.deep.equal(["Ok", "ProcessingFailed"]);
                const [doc] = okDocs(res);
                if (db) expect(doc.geo).to.include({ country_iso_code: "CN", city_name: "Changchun" });
                else expect(doc).to.not.have.property("geo");
            } finally {
                delete process.env.GEOIP_DATABASE;
            }
        }
    });
});

describe("firehose contract helpers", () => {
    it("splits plain text into lines and CloudWatch Logs payloads into messages", () => {
        expect(splitRecordData(Buffer.from("a\r\nb\n\n").toString("base64"))).to.deep.equal({ ok: true, messages: ["a", "b"], cwl: false });
        const payload = cwlPayload(["one", "two"]);
        expect(splitRecordData(compress(payload).toString("base64"))).to.deep.equal({ ok: true, messages: ["one", "two"], cwl: true });
        expect(splitRecordData(compress("{}").toString("base64"))).to.deep.include({ ok: false });
        expect(splitRecordData("abc")).to.deep.equal({ ok: false, reason: "data is not valid base64" });
    });

    it("turns a throwing transform into ProcessingFailed for that record only", () => {
        const event = firehoseEvent(["boom", "fine"]);
        const res = runFirehoseTransform(event, (m) => { if (m === "boom") throw new Error("bad"); return { result: "Ok", doc: { m } }; }, { log: quiet, kind: "test" });
        expect(res.records.map((r) => r.result)).to.deep.equal(["ProcessingFailed", "Ok"]);
    });
});
