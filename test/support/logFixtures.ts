import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { DEFAULT_VPC_FLOW_FIELDS } from "../../functions/vpcflow-transform/vpcflowTransform";

/** The security-log fixtures in test/fixtures (provenance beside each), wrapped the way CloudWatch Logs and Firehose deliver them. */

export const FIXTURES = path.join(__dirname, "..", "fixtures");
export const GEOIP_CITY = path.join(FIXTURES, "geoip", "GeoLite2-City-Test.mmdb");
export const GEOIP_ASN = path.join(FIXTURES, "geoip", "GeoLite2-ASN-Test.mmdb");

export const CLOUDTRAIL_FILES = [
    "invictus_stratus_selected_events.json",
    "invictus_original_delivery_file_20230710T1205Z.json",
    "aws_docs_example_events.json",
];

export function fixtureText(...parts: string[]): string {
    return fs.readFileSync(path.join(FIXTURES, ...parts), "utf8");
}

export function cloudTrailRecords(file: string): any[] {
    return JSON.parse(fixtureText("cloudtrail", file)).Records;
}

export function allCloudTrailRecords(): any[] {
    return CLOUDTRAIL_FILES.flatMap(cloudTrailRecords);
}

export interface CwlOptions {
    owner?: string;
    logGroup?: string;
    logStream?: string;
    /** First CloudWatch event id; ids count up from it, the way CWL ids are unique per event. */
    firstId?: bigint;
    messageType?: string;
    compress?: "gzip" | "zlib";
}

let nextId = 36_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

/** The decoded subscription payload for CloudTrail events (one log event per CloudTrail event). */
export function cwlPayload(events: unknown[], o: CwlOptions = {}): any {
    let id = o.firstId ?? (nextId += 1_000_000n);
    return {
        messageType: o.messageType ?? "DATA_MESSAGE",
        owner: o.owner ?? "123456789012",
        logGroup: o.logGroup ?? "aws-cloudtrail-logs-guardpost",
        logStream: o.logStream ?? "123456789012_CloudTrail_us-east-1",
        subscriptionFilters: ["guardpost-cloudtrail-shipper"],
        logEvents: events.map((e: any) => ({
            id: String(id++),
            timestamp: Date.parse(e?.eventTime ?? "") || 1_700_000_000_000,
            message: typeof e === "string" ? e : JSON.stringify(e),
        })),
    };
}

export function compress(payload: unknown, how: "gzip" | "zlib" = "gzip"): Buffer {
    const bytes = Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload), "utf8");
    return how === "zlib" ? zlib.deflateSync(bytes) : zlib.gzipSync(bytes);
}

/** A Lambda `awslogs` event, as the subscription filter invokes the shipper. */
export function awslogsEvent(events: unknown[], o: CwlOptions = {}): { awslogs: { data: string } } {
    return { awslogs: { data: compress(cwlPayload(events, o), o.compress).toString("base64") } };
}

export function awslogsEventFromPayload(payload: unknown): { awslogs: { data: string } } {
    return { awslogs: { data: compress(payload).toString("base64") } };
}

/** A Firehose transformation event with one record per entry (strings are sent as UTF-8 text). */
export function firehoseEvent(entries: Array<string | Buffer>, arrival = 1_700_000_000_000): any {
    return {
        invocationId: "invocation-guardpost-test",
        deliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/guardpost-test",
        region: "us-east-1",
        records: entries.map((e, i) => ({
            recordId: `49546986683135544286507457936321625675700192471156785154-${i}`,
            approximateArrivalTimestamp: arrival + i,
            data: (typeof e === "string" ? Buffer.from(e, "utf8") : e).toString("base64"),
        })),
    };
}

export function decodeData(data: string): string {
    return Buffer.from(data, "base64").toString("utf8");
}

/** The lines of a fixture file that carry data (no blank lines). */
export function fixtureLines(...parts: string[]): string[] {
    return fixtureText(...parts).split(/\r?\n/).filter((l) => l.trim() !== "");
}

/** Real v5 flow records, in the order of guardpost's flow log format (every v2–v5 field; absent ones as `-`). */
export function relayedFlowLines(fields: readonly string[] = DEFAULT_VPC_FLOW_FIELDS): string[] {
    const v5 = fixtureLines("vpcflow", "custom_v5_service_traffic_path.log");
    const header = v5[0].split(" ");
    return v5.slice(1).map(l => fields.map(f => (header.includes(f) ? l.split(" ")[header.indexOf(f)] : "-")).join(" "));
}
