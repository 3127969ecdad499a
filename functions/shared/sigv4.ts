/**
 * AWS Signature Version 4, as documented (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * canonical request (method, URI, empty query, sorted lower-case headers, signed header list, hex SHA-256
 * of the body) → string to sign (`AWS4-HMAC-SHA256`, ISO basic time, scope, hash of the canonical
 * request) → HMAC chain `AWS4`+secret → date → region → service → `aws4_request`. Node's crypto only, so
 * a function signs its few AWS calls without loading an SDK (an SDK client costs ~100 ms of cold start).
 *
 * Credentials are the execution role's, which Lambda puts in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
 * read for every request, never cached in the closure.
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
