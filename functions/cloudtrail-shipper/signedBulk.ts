import type { BulkResponse, BulkSend } from "./bulk";

/**
 * `_bulk` over Node's own HTTP client, signed with AWS Signature Version 4 for service `es`: no
 * OpenSearch client and no SDK in the archive, and nothing on the hot path but one hash of the body, a
 * few HMACs and one request on a kept-alive connection.
 *
 * Signing follows the documented algorithm (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * canonical request (method, URI, empty query, sorted lower-case headers, signed header list, hex SHA-256
 * of the body) → string to sign (`AWS4-HMAC-SHA256`, ISO basic time, scope, hash of the canonical
 * request) → HMAC chain `AWS4`+secret → date → region → `es` → `aws4_request`. OpenSearch Service takes
 * SigV4 with service name `es` (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-signing-service-requests.html;
 * service name `es`, as https://docs.aws.amazon.com/sdk-for-php/v3/developer-guide/service_es-data-plane.html spells out).
 *
 * Credentials are the execution role's, which Lambda puts in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
 * they are read for every request, never cached in the closure.
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

export interface SignInput {
    method: string;
    /** Absolute path, already URI-encoded (e.g. `/_bulk`). */
    path: string;
    host: string;
    headers: Record<string, string>;
    body: Buffer;
    region: string;
    service: string;
    credentials: AwsCredentials;
    /** Epoch ms of the signature. */
    now: number;
}

/** `YYYYMMDD'T'HHMMSS'Z'`, the SigV4 time format. */
export function amzDate(ms: number): string {
    return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** Headers to send, `authorization` included. The `host` header is signed and must be sent as given. */
export function signRequest(input: SignInput): Record<string, string> {
    const crypto = require("crypto");
    const time = amzDate(input.now);
    const date = time.slice(0, 8);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = String(v).trim().replace(/\s+/g, " ");
    const payloadHash = crypto.createHash("sha256").update(input.body).digest("hex");
    headers.host = input.host;
    headers["x-amz-date"] = time;
    // Signed, as the SDK's signer and the OpenSearch client send it for `es`.
    headers["x-amz-content-sha256"] = payloadHash;
    if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(";");
    const canonical = [
        input.method,
        input.path,
        "",
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

export interface SignedBulkOptions {
    credentials?: CredentialSource;
    now?: () => number;
}

/**
 * A BulkSend to `<endpoint>/_bulk`: resolves with any HTTP status (JSON bodies parsed), rejects only on a
 * network error or when `timeoutMs` passes before the whole response has arrived. Connections are kept
 * alive between invocations of the same container.
 */
export function signedBulkSend(endpoint: string, region: string, opts: SignedBulkOptions = {}): BulkSend {
    const url = new URL("/_bulk", endpoint);
    const transport = url.protocol === "http:" ? require("http") : require("https");
    const agent = new transport.Agent({ keepAlive: true, maxSockets: 4 });
    const credentials = opts.credentials ?? (() => environmentCredentials());
    const now = opts.now ?? Date.now;
    return (ndjson, timeoutMs) => new Promise<BulkResponse>((resolve, reject) => {
        const body = Buffer.from(ndjson, "utf8");
        let headers: Record<string, string>;
        try {
            headers = signRequest({
                method: "POST", path: url.pathname, host: url.host, headers: { "content-type": "application/x-ndjson" },
                body, region, service: "es", credentials: credentials(), now: now(),
            });
        } catch (err) {
            reject(err);
            return;
        }
        const req = transport.request({
            protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, path: url.pathname, method: "POST", agent,
            headers: { ...headers, "content-length": String(body.length) },
        });
        const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no complete response within ${timeoutMs} ms`), { name: "TimeoutError" })), timeoutMs);
        req.on("error", (err: Error) => { clearTimeout(timer); reject(err); });
        req.on("response", (res: import("http").IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", (err: Error) => { clearTimeout(timer); reject(err); });
            res.on("end", () => {
                clearTimeout(timer);
                const text = Buffer.concat(chunks).toString("utf8");
                const contentType = res.headers["content-type"];
                let parsed: unknown = text;
                if ((contentType ?? "").includes("json")) {
                    try { parsed = JSON.parse(text); } catch { parsed = text; }
                }
                resolve({ status: res.statusCode ?? 0, body: parsed, contentType });
            });
        });
        req.end(body);
    });
}
