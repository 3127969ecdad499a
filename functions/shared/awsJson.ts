import { CredentialSource, environmentCredentials, isClockSkewError, signingClock, SigningClock, signRequest } from "./sigv4";

/**
 * A small client for AWS's JSON protocol (SSM, DynamoDB): one signed POST per operation, with the
 * operation in `X-Amz-Target` and the input as the JSON body — the wire form of the SDK's own inputs
 * for these two services (DynamoDB: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html;
 * SSM: https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonParameters.html). The
 * telegram function makes three such calls per cold start; loading the SDK clients for them cost more
 * than the rest of its cold start together (~120 ms of ~190 ms), this costs nothing to load.
 *
 * Errors carry the service's exception name (`__type` after the `#`) as `name`, as the SDK's do, so
 * callers can tell e.g. ConditionalCheckFailedException apart. Throttling, 5xx and network errors are
 * retried up to `maxAttempts`, each attempt bounded by `connectionTimeoutMs + requestTimeoutMs`; the
 * caller's AbortSignal ends everything at once (rejecting with its reason). Each attempt is signed when it
 * is sent; a refusal of the signature's time ("Signature expired", InvalidSignatureException) whose `Date`
 * header shows our clock off by more than five minutes corrects the signing clock and is retried.
 */

export interface AwsJsonLimits {
    maxAttempts: number;
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
}

export interface AwsJsonClientOptions {
    /** Signing name and endpoint prefix: `ssm`, `dynamodb`. */
    service: string;
    /** `X-Amz-Target` prefix: `AmazonSSM`, `DynamoDB_20120810`. */
    targetPrefix: string;
    /** `application/x-amz-json-<version>`: SSM speaks 1.1, DynamoDB 1.0. */
    jsonVersion: "1.0" | "1.1";
    region: string;
    limits: AwsJsonLimits;
    env?: NodeJS.ProcessEnv;
    credentials?: CredentialSource;
    sleep?: (ms: number) => Promise<void>;
    /** The time to sign with; default the local clock, corrected from AWS's `Date` header when skewed. */
    clock?: SigningClock;
}

export interface AwsJsonClient {
    call(operation: string, input: unknown, signal?: AbortSignal): Promise<any>;
}

/**
 * The service endpoint: `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` when set (the SDKs' own
 * override variables, https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else
 * the regional endpoint, `amazonaws.com.cn` in the China regions (https://docs.aws.amazon.com/general/latest/gr/ssm.html,
 * https://docs.aws.amazon.com/general/latest/gr/ddb.html).
 */
export function serviceEndpoint(service: string, region: string, env: NodeJS.ProcessEnv = process.env): string {
    const override = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || env.AWS_ENDPOINT_URL;
    if (override) return override.replace(/\/+$/, "");
    return `https://${service}.${region}.${region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"}`;
}

const RETRYABLE = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable|TooManyRequests/;

/** An Error named after the service's exception. */
function serviceError(status: number, text: string): Error & { status: number; retryable: boolean } {
    let body: any;
    try { body = JSON.parse(text); } catch { body = undefined; }
    const type = String(body?.__type ?? `HTTP${status}`);
    const name = type.includes("#") ? type.slice(type.lastIndexOf("#") + 1) : type;
    const err = new Error(String(body?.message ?? body?.Message ?? text.slice(0, 200) ?? `HTTP ${status}`)) as Error & { status: number; retryable: boolean };
    err.name = name;
    err.status = status;
    err.retryable = status >= 500 || status === 429 || RETRYABLE.test(name);
    return err;
}

export function awsJsonClient(o: AwsJsonClientOptions): AwsJsonClient {
    const env = o.env ?? process.env;
    const url = new URL("/", serviceEndpoint(o.service, o.region, env));
    const transport = url.protocol === "http:" ? require("http") : require("https");
    const agent = new transport.Agent({ keepAlive: true, maxSockets: 2 });
    const credentials = o.credentials ?? (() => environmentCredentials(env));
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const contentType = `application/x-amz-json-${o.jsonVersion}`;
    const clock = o.clock ?? signingClock();

    function attempt(operation: string, body: Buffer, signal: AbortSignal | undefined): Promise<any> {
        return new Promise((resolve, reject) => {
            const headers = signRequest({
                method: "POST", path: url.pathname, host: url.host, body, region: o.region, service: o.service,
                headers: { "content-type": contentType, "x-amz-target": `${o.targetPrefix}.${operation}` },
                credentials: credentials(), now: clock.now(),
            });
            const req = transport.request({
                protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, path: url.pathname, method: "POST", agent,
                headers: { ...headers, "content-length": String(body.length) },
            });
            const bound = o.limits.connectionTimeoutMs + o.limits.requestTimeoutMs;
            const timer = setTimeout(() => req.destroy(Object.assign(new Error(`${o.service} ${operation}: no response within ${bound} ms`), { name: "TimeoutError", retryable: true })), bound);
            const onAbort = () => req.destroy(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
            signal?.addEventListener("abort", onAbort, { once: true });
            const done = () => { clearTimeout(timer); signal?.removeEventListener("abort", onAbort); };
            req.on("error", (err: any) => {
                done();
                if (!signal?.aborted && err.retryable === undefined) err.retryable = true;
                reject(err);
            });
            req.on("response", (res: import("http").IncomingMessage) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (err: any) => { done(); reject(err); });
                res.on("end", () => {
                    done();
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = res.statusCode ?? 0;
                    const corrected = clock.observe(res.headers.date);
                    if (status < 200 || status >= 300) {
                        const err = serviceError(status, text);
                        // Signed with a skewed clock: the next attempt is signed in AWS's time.
                        if (corrected && isClockSkewError(`${err.name} ${err.message}`)) err.retryable = true;
                        return reject(err);
                    }
                    try { resolve(text === "" ? {} : JSON.parse(text)); } catch (err) { reject(err); }
                });
            });
            req.end(body);
        });
    }

    return {
        async call(operation, input, signal) {
            const body = Buffer.from(JSON.stringify(input ?? {}), "utf8");
            for (let n = 1; ; n++) {
                if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
                try {
                    return await attempt(operation, body, signal);
                } catch (err: any) {
                    if (signal?.aborted || !err?.retryable || n >= o.limits.maxAttempts) throw err;
                    // Jittered, short: the whole call must stay inside worstCaseAwsMs.
                    await sleep(100 + Math.floor(Math.random() * 100));
                }
            }
        },
    };
}

/**
 * An SDK-shaped view (`send(new XCommand(input), { abortSignal })`) over the client, for code written
 * against SDK clients (the dedup store): each command class names its operation.
 */
export function commandClient(client: AwsJsonClient): { send(command: { operation: string; input: unknown }, options?: { abortSignal?: AbortSignal }): Promise<any> } {
    return { send: (command, options) => client.call(command.operation, command.input, options?.abortSignal) };
}

/** A command class for `commandClient`: `new (jsonCommand("GetItem"))(input)`. */
export function jsonCommand(operation: string): new (input: unknown) => { operation: string; input: unknown } {
    return class {
        readonly operation = operation;
        constructor(readonly input: unknown) {}
    };
}
