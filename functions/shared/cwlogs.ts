import * as zlib from "zlib";

/**
 * CloudWatch Logs subscription payloads: base64 of gzip (zlib for the newer account-level policies) of
 * `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents[]}`. Lambda receives it as
 * `{awslogs: {data}}`; Kinesis and Firehose records carry the same compressed bytes.
 */

export interface CwlLogEvent {
    id: string;
    timestamp: number;
    message: string;
}

export interface CwlPayload {
    messageType: "DATA_MESSAGE" | "CONTROL_MESSAGE" | string;
    owner: string;
    logGroup: string;
    logStream: string;
    subscriptionFilters: string[];
    logEvents: CwlLogEvent[];
    policyLevel?: string;
}

export type CorruptStage = "base64" | "decompress" | "json" | "shape";

/** Why a payload could not be read, and at which step: the log line names the step. */
export interface CorruptPayload {
    ok: false;
    stage: CorruptStage;
    reason: string;
}

export type DecodeResult = { ok: true; payload: CwlPayload } | CorruptPayload;

/**
 * Strict base64 decode: Buffer.from silently skips bad characters (and takes base64url's `-`/`_`), which
 * would hide a corrupt payload. Decoding and re-encoding must give the text back: that holds exactly for
 * canonical standard base64 (what CloudWatch Logs and Firehose send), line breaks aside, and costs a
 * fifth of a character-class regex over the whole payload.
 */
export function strictBase64(text: string): Buffer | undefined {
    const compact = text.includes("\n") || text.includes("\r") ? text.replace(/[\r\n]/g, "") : text;
    if (compact.length % 4 !== 0) return undefined;
    const bytes = Buffer.from(compact, "base64");
    return bytes.toString("base64") === compact ? bytes : undefined;
}

/** gzip (1f 8b) or zlib (78 xx): the two wrappers CloudWatch Logs uses. */
export function isCompressed(buf: Buffer): boolean {
    if (buf.length < 2) return false;
    if (buf[0] === 0x1f && buf[1] === 0x8b) return true;
    return buf[0] === 0x78 && (buf[0] * 256 + buf[1]) % 31 === 0;
}

/** Decompress and validate the payload bytes (already base64-decoded). */
export function decodeCompressedPayload(bytes: Buffer): DecodeResult {
    let text: string;
    try {
        // unzipSync accepts both gzip and zlib headers.
        text = zlib.unzipSync(bytes).toString("utf8");
    } catch (err: any) {
        return { ok: false, stage: "decompress", reason: String(err?.message ?? err) };
    }
    let parsed: any;
    try {
        parsed = JSON.parse(text);
    } catch (err: any) {
        return { ok: false, stage: "json", reason: String(err?.message ?? err) };
    }
    if (!parsed || typeof parsed !== "object" || typeof parsed.messageType !== "string" || !Array.isArray(parsed.logEvents)) {
        return { ok: false, stage: "shape", reason: "not a CloudWatch Logs subscription payload (messageType/logEvents missing)" };
    }
    return { ok: true, payload: parsed as CwlPayload };
}

/** Decode the `awslogs.data` string of a Lambda subscription event. */
export function decodeAwslogsData(data: unknown): DecodeResult {
    if (typeof data !== "string" || data.length === 0) {
        return { ok: false, stage: "base64", reason: "awslogs.data is missing or not a string" };
    }
    const bytes = strictBase64(data);
    if (!bytes) return { ok: false, stage: "base64", reason: "awslogs.data is not valid base64" };
    return decodeCompressedPayload(bytes);
}

/** Build a payload the way CloudWatch Logs does (gzip + base64); tests and the benchmark use it. */
export function encodeAwslogsData(payload: CwlPayload): string {
    return zlib.gzipSync(Buffer.from(JSON.stringify(payload), "utf8")).toString("base64");
}
