import type { BulkResponse, BulkSend } from "./bulk";
import { CredentialSource, environmentCredentials, isClockSkewError, signingClock, SigningClock, signRequest } from "../shared/sigv4";

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
 * they are read for every request, never cached in the closure. Each request is signed when it is sent; a
 * 403 refusing the signature's time whose `Date` header shows our clock off by more than five minutes
 * corrects the signing clock (sigv4.ts `signingClock`) and is sent once more, within the same timeout.
 */

export { amzDate, environmentCredentials, signRequest } from "../shared/sigv4";
export type { AwsCredentials, CredentialSource, SignInput } from "../shared/sigv4";

export interface SignedBulkOptions {
    credentials?: CredentialSource;
    /** The local clock (default Date.now); signatures use it corrected by `clock`. */
    now?: () => number;
    clock?: SigningClock;
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
    const clock = opts.clock ?? signingClock(opts.now ?? Date.now);
    return (ndjson, timeoutMs) => new Promise<BulkResponse>((resolve, reject) => {
        const body = Buffer.from(ndjson, "utf8");
        let current: import("http").ClientRequest | undefined;
        const timer = setTimeout(() => {
            current?.destroy(Object.assign(new Error(`no complete response within ${timeoutMs} ms`), { name: "TimeoutError" }));
        }, timeoutMs);
        const send = (clockRetry: boolean): void => {
            let headers: Record<string, string>;
            try {
                headers = signRequest({
                    method: "POST", path: url.pathname, host: url.host, headers: { "content-type": "application/x-ndjson" },
                    body, region, service: "es", credentials: credentials(), now: clock.now(),
                });
            } catch (err) {
                clearTimeout(timer);
                reject(err);
                return;
            }
            const req = transport.request({
                protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, path: url.pathname, method: "POST", agent,
                headers: { ...headers, "content-length": String(body.length) },
            });
            current = req;
            req.on("error", (err: Error) => { clearTimeout(timer); reject(err); });
            req.on("response", (res: import("http").IncomingMessage) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (err: Error) => { clearTimeout(timer); reject(err); });
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = res.statusCode ?? 0;
                    if (clock.observe(res.headers.date) && status === 403 && !clockRetry && isClockSkewError(text)) {
                        send(true);
                        return;
                    }
                    clearTimeout(timer);
                    const contentType = res.headers["content-type"];
                    let parsed: unknown = text;
                    if ((contentType ?? "").includes("json")) {
                        try { parsed = JSON.parse(text); } catch { parsed = text; }
                    }
                    resolve({ status, body: parsed, contentType });
                });
            });
            req.end(body);
        };
        send(false);
    });
}
