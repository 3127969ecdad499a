import { FirehoseEvent, FirehoseRecord, FirehoseResponse, MessageOutcome, runFirehoseTransform } from "../shared/firehose";
import { jsonLog, LogFn } from "../shared/logLine";

/**
 * vpcflow-transform: Firehose transformation for VPC flow logs delivered straight to Firehose (plain
 * text, one flow record per Firehose record; a CloudWatch Logs gzip payload is accepted too). Each line
 * is parsed by the configured field list (env VPC_FLOW_FIELDS, the same list the FlowLog's custom format
 * is built from), numbers become numbers, `-` becomes absent, and `start` (epoch seconds) becomes the
 * ISO `@timestamp`. Header lines and NODATA / SKIPDATA records are Dropped; anything that does not fit
 * the field list is ProcessingFailed, so Firehose keeps it in S3.
 */

/** Every field of format versions 2–5, in AWS's documented order: the format the pipeline configures. */
export const DEFAULT_VPC_FLOW_FIELDS = [
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log-status",
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "sublocation-type", "sublocation-id",
    "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
];

// Arrays, not Sets, at module scope: the closure serializer copies plain arrays faithfully but not a
// Set's internal slots. The parser builds its Sets when it is created, at run time.

/** Field names AWS documents for VPC (v2–v8) and Transit Gateway flow logs; used to recognise headers. */
const KNOWN_FIELDS = [
    ...DEFAULT_VPC_FLOW_FIELDS,
    "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
    "ecs-task-arn", "ecs-task-id", "reject-reason", "resource-type",
    "tgw-id", "tgw-attachment-id", "tgw-src-vpc-account-id", "tgw-dst-vpc-account-id", "tgw-src-vpc-id",
    "tgw-dst-vpc-id", "tgw-src-subnet-id", "tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni",
    "tgw-src-az-id", "tgw-dst-az-id", "tgw-pair-attachment-id", "packets-lost-no-route",
    "packets-lost-blackhole", "packets-lost-mtu-exceeded", "packets-lost-ttl-expired",
];

const NUMERIC_FIELDS = [
    "version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp-flags", "traffic-path",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded", "packets-lost-ttl-expired",
];

/** `${version} ${srcaddr} …`, the FlowLog `logFormat` for a field list. */
export function vpcFlowLogFormat(fields: readonly string[]): string {
    return fields.map((f) => "${" + f + "}").join(" ");
}

/** Accepts `version srcaddr …` or the `${version} ${srcaddr} …` log-format form. */
export function parseFieldList(spec: string | undefined): { fields: string[]; problems: string[] } {
    if (!spec || spec.trim() === "") return { fields: [...DEFAULT_VPC_FLOW_FIELDS], problems: [] };
    const fields = spec.trim().split(/\s+/).map((t) => t.replace(/^\$\{(.*)\}$/, "$1"));
    const problems: string[] = [];
    const bad = fields.filter((f) => !/^[a-z0-9-]+$/.test(f));
    if (bad.length > 0) problems.push(`VPC_FLOW_FIELDS has invalid field names: ${bad.join(", ")}`);
    if (new Set(fields).size !== fields.length) problems.push("VPC_FLOW_FIELDS lists a field twice");
    return { fields, problems };
}

export type FlowParser = (line: string, arrivalMs?: number) => MessageOutcome;

/** Printable ASCII without `"` and `\`: inside quotes it is already a JSON string (nearly every flow log line). */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** 1–19 ASCII digits (a loop: cheaper than a regex for these short tokens, ten per line). */
function isDigits(s: string): boolean {
    const n = s.length;
    if (n === 0 || n > 19) return false;
    for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) return false;
    }
    return true;
}

/**
 * A parser for one field list; names and numeric columns are resolved once, not per line. The document
 * is written as JSON text directly — the same bytes `JSON.stringify` gives for the object with the fields
 * in order (absent `-` fields left out) and `@timestamp` last — because building a 29-key object per line
 * and stringifying it cost three times the rest of the transform.
 */
export function makeFlowParser(fields: readonly string[]): FlowParser {
    const headerWords = new Set([...KNOWN_FIELDS, ...fields]);
    const numeric = new Set(NUMERIC_FIELDS);
    const quotedKeys = fields.map((f) => JSON.stringify(f.replace(/-/g, "_")) + ":");
    const nextKeys = quotedKeys.map((k) => "," + k);
    const isNumber = fields.map((f) => numeric.has(f));
    const asciiKeys = quotedKeys.every((k) => /^[\x00-\x7f]*$/.test(k));
    const startAt = fields.indexOf("start");
    const statusAt = fields.indexOf("log-status");
    return (line, arrivalMs) => {
        // Flow log fields are separated by single spaces; anything else (tabs, runs of blanks, padding)
        // takes the general split.
        const plain = PLAIN_JSON_TEXT.test(line);
        let tokens = line.split(" ");
        if (!plain || tokens.includes("")) tokens = line.trim().split(/\s+/);
        if (headerWords.has(tokens[0]) && tokens.every((t) => headerWords.has(t))) return { result: "Dropped", reason: "header line" };
        if (tokens.length !== fields.length) {
            return { result: "ProcessingFailed", reason: `expected ${fields.length} fields, got ${tokens.length}` };
        }
        let json = "{";
        for (let i = 0; i < tokens.length; i++) {
            const raw = tokens[i];
            if (raw === "-") continue;
            let value: string;
            if (isNumber[i]) {
                if (!isDigits(raw)) return { result: "ProcessingFailed", reason: `field ${fields[i]} is not a number: '${raw.slice(0, 40)}'` };
                // Digits without a leading zero that fit a double exactly are already the JSON number.
                value = raw.length < 16 && (raw.length === 1 || raw.charCodeAt(0) !== 48) ? raw : String(Number(raw));
            } else {
                value = plain ? `"${raw}"` : JSON.stringify(raw);
            }
            json += (json.length > 1 ? nextKeys[i] : quotedKeys[i]) + value;
        }
        const status = statusAt >= 0 ? tokens[statusAt] : undefined;
        if (status === "NODATA" || status === "SKIPDATA") return { result: "Dropped", reason: `${status} record` };
        const start = startAt >= 0 && tokens[startAt] !== "-" && isNumber[startAt] ? Number(tokens[startAt]) * 1000 : arrivalMs;
        const when = typeof start === "number" ? new Date(start) : undefined;
        if (!when || Number.isNaN(when.getTime())) {
            return { result: "ProcessingFailed", reason: "no valid start time and no arrival timestamp" };
        }
        // A plain line gives plain ASCII: its tokens, the ASCII keys and the ISO time.
        return { result: "Ok", json: `${json}${json.length > 1 ? "," : ""}"@timestamp":"${when.toISOString()}"}`, ascii: plain && asciiKeys };
    };
}

export interface VpcflowTransformDeps {
    fields: string[];
    configProblems?: string[];
    maxResponseBytes?: number;
    log?: LogFn;
}

export function makeVpcflowTransformHandler(deps: VpcflowTransformDeps) {
    const log = deps.log ?? jsonLog;
    const problems = deps.configProblems ?? [];
    const parse = makeFlowParser(deps.fields);
    return async function vpcflowTransform(event: FirehoseEvent): Promise<FirehoseResponse> {
        if (problems.length > 0) {
            // Still answer every record: failing them keeps the data (in S3) where a throw would only retry.
            log("error", "vpcflow-transform is misconfigured; failing every record", { problems });
            return runFirehoseTransform(event, () => ({ result: "ProcessingFailed", reason: problems.join("; ") }), { log, kind: "vpcflow-transform", maxResponseBytes: deps.maxResponseBytes });
        }
        return runFirehoseTransform(
            event,
            (message: string, record: FirehoseRecord) => parse(message, record?.approximateArrivalTimestamp),
            { log, kind: "vpcflow-transform", maxResponseBytes: deps.maxResponseBytes },
        );
    };
}

/** Zero-argument factory for `callbackFactory`: reads VPC_FLOW_FIELDS once per container. */
export function createVpcflowTransformHandler() {
    const { fields, problems } = parseFieldList(process.env.VPC_FLOW_FIELDS);
    return makeVpcflowTransformHandler({ fields, configProblems: problems });
}
