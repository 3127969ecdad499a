/**
 * AWS Signature Version 4 for the services our functions call without an SDK (OpenSearch Service `es`,
 * SSM, DynamoDB), as documented (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * canonical request (method; canonical URI — the path normalized and each segment URI-encoded twice, as
 * every service but S3 expects; canonical query — each name and value URI-encoded, sorted after encoding;
 * sorted lower-case headers with trimmed values; signed header list; hex SHA-256 of the body) → string to
 * sign (`AWS4-HMAC-SHA256`, ISO basic time, scope, hash of the canonical request) → HMAC chain
 * `AWS4`+secret → date → region → service → `aws4_request`. URI-encoding leaves only RFC 3986's unreserved
 * characters (A–Z a–z 0–9 - _ . ~) as they are and writes everything else as %XY of its UTF-8 bytes. S3
 * encodes paths once and is refused here: the functions reach S3 through the SDK. Node's crypto only, so a
 * function signs its few AWS calls without loading an SDK (an SDK client costs ~100 ms of cold start).
 *
 * Credentials are the execution role's, which Lambda puts in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
 * read for every request, never cached in the closure. The session token is sent and signed as
 * `x-amz-security-token`.
 *
 * Time: a request must reach AWS within five minutes of its `x-amz-date` ("Protect against potential replay
 * attacks", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-signing.html), so every attempt is
 * signed when it is sent, never ahead. If the local clock is off by more than that, AWS refuses with
 * "Signature expired" / "Signature not yet current"; `signingClock` then takes the offset from the
 * response's `Date` header (as the SDKs' clock-skew correction does) so the retry is signed in AWS's time.
 */

export interface AwsCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
}

export type CredentialSource = () => AwsCredentials;

/** The execution role's credentials from the environment, as Lambda provides them. */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
        throw new Error("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the execution role)");
    }
    return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** Query parameters, decoded: a name to one value or to several (`?a=1&a=2`). */
export type QueryParams = Record<string, string | readonly string[]>;

export interface SignInput {
    method: string;
    /** Absolute path as it is sent: percent-encoded where it must be, the way `URL.pathname` writes it (`/_bulk`, `/caf%C3%A9`). */
    path: string;
    /** Query parameters, decoded; send them as `queryString(query)` after `?` (`requestTarget` does both). */
    query?: QueryParams;
    host: string;
    headers: Record<string, string>;
    body: Buffer;
    region: string;
    service: string;
    credentials: AwsCredentials;
    /** Epoch ms of the signature. */
    now: number;
}

/** `YYYYMMDD'T'HHMMSS'Z'`, the SigV4 time format (UTC). */
export function amzDate(ms: number): string {
    return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** SigV4's URI-encoding: everything but RFC 3986's unreserved characters as %XY (upper-case hex) of UTF-8. */
export function uriEncode(text: string): string {
    return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a path as sent: dot segments and empty segments removed (RFC 3986 normalization),
 * then every segment URI-encoded again — a `%` already on the wire becomes `%25`.
 */
export function canonicalPath(path: string): string {
    const segments: string[] = [];
    for (const segment of path.split("/")) {
        if (segment === "" || segment === ".") continue;
        if (segment === "..") segments.pop();
        else segments.push(uriEncode(segment));
    }
    const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
    return `/${segments.join("/")}${trailing}`;
}

/** The canonical query string, which is also a valid query string to send: encoded pairs sorted by name, then value. */
export function queryString(query: QueryParams | undefined): string {
    if (!query) return "";
    const pairs: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(query)) {
        for (const v of typeof value === "string" ? [value] : value) pairs.push([uriEncode(name), uriEncode(v)]);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return pairs.map(([n, v]) => `${n}=${v}`).join("&");
}

/** The request target to send for a signed path and query: `path` or `path?query`. */
export function requestTarget(path: string, query?: QueryParams): string {
    const q = queryString(query);
    return q === "" ? path : `${path}?${q}`;
}

/** Headers to send, `authorization` included. The `host` header is signed and must be sent as given. */
export function signRequest(input: SignInput): Record<string, string> {
    if (input.service === "s3") throw new Error("signRequest signs for services other than S3 (S3 encodes paths once); use the SDK's S3 client");
    const crypto = require("crypto");
    const time = amzDate(input.now);
    const date = time.slice(0, 8);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.headers)) {
        const name = k.toLowerCase();
        const value = String(v).trim().replace(/\s+/g, " ");
        // One header given twice (in different cases) is one canonical header with both values.
        headers[name] = name in headers ? `${headers[name]},${value}` : value;
    }
    const payloadHash = crypto.createHash("sha256").update(input.body).digest("hex");
    headers.host = input.host;
    headers["x-amz-date"] = time;
    // Signed, as the SDK's signer and the OpenSearch client send it for `es`.
    headers["x-amz-content-sha256"] = payloadHash;
    if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(";");
    const canonical = [
        input.method.toUpperCase(),
        canonicalPath(input.path),
        queryString(input.query),
        names.map((n) => `${n}:${headers[n]}\n`).join(""),
        signedHeaders,
        payloadHash,
    ].join("\n");
    const scope = `${date}/${input.region}/${input.service}/aws4_request`;
    const stringToSign = ["AWS4-HMAC-SHA256", time, scope, crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
    const hmac = (key: string | Buffer, data: string) => crypto.createHmac("sha256", key).update(data).digest();
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, date), input.region), input.service), "aws4_request");
    const signature = crypto.createHmac("sha256", signingKey).update(stringToSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
}

/** How far AWS lets a signature's time be from its own, and the skew beyond which we correct ours. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The time to sign with: the local clock, corrected by the offset AWS's `Date` header showed. */
export interface SigningClock {
    now(): number;
    /** Takes a response's `Date` header; true when it showed a skew beyond MAX_CLOCK_SKEW_MS (the offset changed). */
    observe(serverDate: string | string[] | undefined): boolean;
    readonly offsetMs: number;
}

export function signingClock(local: () => number = Date.now): SigningClock {
    let offset = 0;
    return {
        now: () => local() + offset,
        observe(serverDate) {
            const server = Date.parse(Array.isArray(serverDate) ? serverDate[0] : serverDate ?? "");
            if (!Number.isFinite(server)) return false;
            const here = local();
            if (Math.abs(server - (here + offset)) < MAX_CLOCK_SKEW_MS) return false;
            offset = server - here;
            return true;
        },
        get offsetMs() { return offset; },
    };
}

/** True for AWS's refusals of a signature's time (the SDKs' clock-skew error names and messages). */
export function isClockSkewError(text: string): boolean {
    return /Signature expired|Signature not yet current|RequestTimeTooSkewed|RequestExpired|request time and the current time is too large/i.test(text);
}
