/**
 * The REST plumbing shared by guardpost's OpenSearch dynamic providers: a SigV4-signing client, bounded
 * retries with backoff, and errors that say what to fix.
 *
 * These functions are serialized into every dynamic resource's `__provider` and run inside `pulumi up`,
 * so they must capture nothing: node_modules are `require`d inside the function bodies (captured by
 * reference), and credentials are resolved per call from the AWS SDK chain — never held in a closure,
 * so no secret can land in state.
 */
import { assumeRoleRefused, isCredentialRefusal, OPENSEARCH_PROVIDER_SESSION } from "../../../model/sessionName";

export interface RetryOptions {
    /** First backoff delay. Default 500 ms. */
    initialDelayMs?: number;
    /** Largest single backoff delay. Default 15 s. */
    maxDelayMs?: number;
    /** Give up once this much time has passed since the first attempt. Default 300 s. */
    timeoutSeconds?: number;
}

/** Where and as whom to talk to the domain. Plain values only: they are stored in state. */
export interface ConnectionInputs {
    /** Domain endpoint: a host name (`search-x.eu-west-1.es.amazonaws.com`) or full URL; `http://127.0.0.1:PORT` for tests. */
    endpoint: string;
    /** Region of the domain, for the SigV4 scope. */
    region: string;
    /** IAM role to assume for signing (mapped to all_access + security_manager); none: the default chain's identity. */
    roleArn?: string;
    /** Backoff bounds while the domain is processing a change. */
    retry?: RetryOptions;
}

export interface OsRequest {
    method: "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
    path: string;
    body?: unknown;
    querystring?: Record<string, string | number | boolean>;
    headers?: Record<string, string>;
}

export interface OsResponse {
    statusCode: number;
    body: any;
}

/** An HTTP answer the caller did not expect, with what OpenSearch said. */
export interface OpenSearchApiError extends Error {
    statusCode?: number;
    body?: unknown;
    retryable: boolean;
    /** Set when the endpoint's name no longer resolves: the domain has been deleted. */
    domainGone?: boolean;
}

export function baseUrl(endpoint: string): string {
    const e = String(endpoint).trim().replace(/\/+$/, "");
    if (!e) throw new Error("OpenSearch endpoint is empty");
    return /^https?:\/\//i.test(e) ? e : `https://${e}`;
}

/**
 * A client for one method call; credentials come from the SDK chain each time it signs. A refusal to issue
 * them (STS AccessDenied: the trust policy does not admit the caller or the session name) is not a domain
 * that is still processing: it fails at once, naming the role, the session name and the fix.
 */
export function createClient(conn: ConnectionInputs): any {
    const { Client } = require("@opensearch-project/opensearch");
    const { AwsSigv4Signer } = require("@opensearch-project/opensearch/aws");
    const providers = require("@aws-sdk/credential-providers");
    const roleArn = conn.roleArn;
    const credentials = roleArn
        ? providers.fromTemporaryCredentials({
            params: { RoleArn: roleArn, RoleSessionName: OPENSEARCH_PROVIDER_SESSION, DurationSeconds: 900 },
            clientConfig: { region: conn.region },
        })
        : providers.fromNodeProviderChain();
    const getCredentials = async () => {
        try {
            return await credentials();
        } catch (e: any) {
            if (!isCredentialRefusal(e)) throw e;
            const refused = roleArn
                ? assumeRoleRefused(roleArn, OPENSEARCH_PROVIDER_SESSION, `${e?.name ?? "Error"}: ${e?.message ?? e}`)
                : new Error(`no AWS credentials for signing OpenSearch requests: ${e?.name ?? "Error"}: ${e?.message ?? e}`);
            throw Object.assign(refused, { retryable: false, credentials: true });
        }
    };
    return new Client({
        ...AwsSigv4Signer({ region: conn.region, service: "es", getCredentials }),
        node: baseUrl(conn.endpoint),
        // Our own bounded backoff below replaces the transport's immediate retries.
        maxRetries: 0,
        requestTimeout: 30_000,
    });
}

/** The most useful sentence in an OpenSearch, AWS, security-plugin or Dashboards error body. */
export function reasonOf(body: any): string {
    if (body === undefined || body === null || body === "") return "(no body)";
    if (typeof body === "string") return body.slice(0, 500);
    const e = body.error;
    if (e && typeof e === "object") return `${e.type ?? "error"}: ${e.reason ?? JSON.stringify(e).slice(0, 300)}`;
    return String(body.Message ?? body.message ?? e ?? JSON.stringify(body).slice(0, 500));
}

function authError(conn: ConnectionInputs, req: OsRequest, statusCode: number, body: unknown): OpenSearchApiError {
    const who = conn.roleArn
        ? `the IAM role ${conn.roleArn}`
        : "the identity of the AWS default credential chain (no roleArn was given)";
    const err = new Error(
        `OpenSearch at ${baseUrl(conn.endpoint)} refused ${req.method} ${req.path} with ${statusCode} (${reasonOf(body)}). ` +
        `guardpost's OpenSearch providers sign requests as ${who}. That role must be allowed by the domain access policy ` +
        `and mapped in fine-grained access control to both 'all_access' and 'security_manager' — make it the domain's master ` +
        `user (advancedSecurityOptions.masterUserOptions.masterUserArn), which AWS maps to both.`) as OpenSearchApiError;
    err.statusCode = statusCode;
    err.body = body;
    err.retryable = false;
    return err;
}

/**
 * One request. Statuses in `ok` (always 2xx) return normally; 401/403 throw the role-mapping hint; other
 * statuses throw an `OpenSearchApiError`, marked retryable for 429/5xx and for 409 when `retryConflict`.
 */
export async function send(client: any, conn: ConnectionInputs, req: OsRequest, ok: number[] = [], retryConflict = false): Promise<OsResponse> {
    let statusCode: number | undefined;
    let body: unknown;
    try {
        const res = await client.transport.request(
            { method: req.method, path: req.path, body: req.body, querystring: req.querystring },
            { headers: req.headers, ignore: ok },
        );
        statusCode = res.statusCode;
        body = res.body;
    } catch (e: any) {
        // The signer's credential refusal arrives as is or wrapped by the client: never worth a retry.
        const refusal = e?.credentials ? e : e?.meta?.meta?.error?.credentials ? e.meta.meta.error : undefined;
        if (refusal) throw refusal;
        // No HTTP answer at all (the client reports statusCode null): connection refused, reset, DNS, timeout.
        if (e?.meta?.statusCode == null) {
            const err = new Error(`OpenSearch at ${baseUrl(conn.endpoint)}: ${req.method} ${req.path} failed: ${e?.message ?? e}`) as OpenSearchApiError;
            err.retryable = true;
            // A domain's endpoint is a DNS name AWS removes with the domain: NXDOMAIN means it is gone, not busy.
            err.domainGone = /\bENOTFOUND\b/.test(`${e?.message} ${e?.meta?.meta?.error?.code ?? ""} ${e?.code ?? ""}`);
            throw err;
        }
        statusCode = e.meta.statusCode;
        body = e.meta.body;
    }
    const code = statusCode as number;
    if ((code >= 200 && code < 300) || ok.includes(code)) return { statusCode: code, body };
    if (code === 401 || code === 403) throw authError(conn, req, code, body);
    const err = new Error(`OpenSearch at ${baseUrl(conn.endpoint)}: ${req.method} ${req.path} answered ${code}: ${reasonOf(body)}`) as OpenSearchApiError;
    err.statusCode = code;
    err.body = body;
    err.retryable = code === 429 || code >= 500 || (code === 409 && retryConflict);
    throw err;
}

/**
 * Runs `op` (which may be a whole read-modify-write) until it succeeds, a non-retryable error occurs, or
 * the time budget is spent. A domain that is still applying a change answers 409/429/5xx for minutes.
 */
export async function withRetry<T>(conn: ConnectionInputs, what: string, op: (client: any) => Promise<T>): Promise<T> {
    const initial = conn.retry?.initialDelayMs ?? 500;
    const max = conn.retry?.maxDelayMs ?? 15_000;
    const deadline = Date.now() + (conn.retry?.timeoutSeconds ?? 300) * 1000;
    const client = createClient(conn);
    try {
        for (let attempt = 0; ; attempt++) {
            try {
                return await op(client);
            } catch (e: any) {
                const delay = Math.min(max, initial * 2 ** Math.min(attempt, 20));
                // Equal jitter: spreads concurrent providers without ever waiting less than half the step.
                const wait = delay / 2 + Math.random() * (delay / 2);
                // A deleted domain is not a busy one: no retry brings it back (see withRetryUnlessGone).
                if (!e?.retryable || e?.domainGone || attempt >= 49 || Date.now() + wait > deadline) {
                    if (e?.retryable) e.message = `${what}: gave up after ${attempt + 1} attempts: ${e.message}`;
                    throw e;
                }
                await new Promise(resolve => setTimeout(resolve, wait));
            }
        }
    } finally {
        await client.close?.();
    }
}

/**
 * `withRetry` for a delete: if the domain itself no longer exists — its endpoint's name no longer resolves,
 * or the endpoint answers 404 to `GET /`, which a live domain never does — there is nothing left to delete,
 * so it returns at once instead of retrying for the whole budget. `pulumi destroy` deletes these resources
 * before the domain (they depend on it), so this is for domains deleted outside Pulumi.
 */
export async function withRetryUnlessGone<T>(conn: ConnectionInputs, what: string, op: (client: any) => Promise<T>): Promise<T | undefined> {
    try {
        return await withRetry(conn, what, async client => {
            try {
                return await op(client);
            } catch (e: any) {
                if (e?.domainGone) throw e;
                if ((e?.retryable || e?.statusCode === 404) && await domainAnswers404(client, conn)) throw Object.assign(e, { domainGone: true, retryable: false });
                throw e;
            }
        });
    } catch (e: any) {
        if (e?.domainGone) return undefined;
        throw e;
    }
}

async function domainAnswers404(client: any, conn: ConnectionInputs): Promise<boolean> {
    try {
        const res = await send(client, conn, { method: "GET", path: "/" }, [404]);
        return res.statusCode === 404;
    } catch (e: any) {
        return e?.domainGone === true;
    }
}

/**
 * What `read` reports: the live value cut to the shape of what guardpost asked for — keys the server adds
 * (timestamps, versions, defaults) are left out, so `pulumi refresh` shows only drift in what guardpost
 * manages. Arrays are compared element by element when both sides are arrays of the same length.
 */
export function projectLike(actual: any, desired: any): any {
    if (desired === undefined) return undefined;
    if (Array.isArray(desired)) {
        if (!Array.isArray(actual) || actual.length !== desired.length) return actual;
        return actual.map((a, i) => projectLike(a, desired[i]));
    }
    if (desired && typeof desired === "object") {
        if (!actual || typeof actual !== "object" || Array.isArray(actual)) return actual;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(desired)) if (actual[k] !== undefined) out[k] = projectLike(actual[k], desired[k]);
        return out;
    }
    // OpenSearch hands settings back as strings ("1" for 1): the same value is no drift.
    if (actual !== null && typeof actual !== "object" && String(actual) === String(desired)) return desired;
    return actual;
}

/** Picks the connection inputs out of a dynamic resource's inputs/outputs. */
export function connectionOf(props: any): ConnectionInputs {
    if (!props?.endpoint) throw new Error("OpenSearch provider: 'endpoint' is required");
    if (!props?.region) throw new Error("OpenSearch provider: 'region' is required");
    return { endpoint: props.endpoint, region: props.region, roleArn: props.roleArn || undefined, retry: props.retry };
}

/** JSON with sorted keys, so diffs don't depend on key order. */
export function stableStringify(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
    if (v && typeof v === "object") {
        return `{${Object.keys(v).filter(k => (v as any)[k] !== undefined).sort()
            .map(k => `${JSON.stringify(k)}:${stableStringify((v as any)[k])}`).join(",")}}`;
    }
    return JSON.stringify(v ?? null);
}

/**
 * A dynamic provider diff over the desired inputs: `replaceKeys` (and the endpoint: another domain) force
 * a replacement; outputs the provider added (ids, merge bookkeeping) are not compared.
 */
export function diffInputs(olds: any, news: any, replaceKeys: string[], outputOnly: string[] = [],
    deleteBeforeReplace = false): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
    const keys = new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})]);
    // Not desired state: the serialized provider itself and the retry tuning. (A plain array, because the
    // closure serializer captures a module-level Set without its contents.)
    const ignored = ["__provider", "retry", ...outputOnly];
    const changed = [...keys].filter(k => !ignored.includes(k) &&
        stableStringify(olds?.[k]) !== stableStringify(news?.[k]));
    const replaces = changed.filter(k => k === "endpoint" || replaceKeys.includes(k));
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: deleteBeforeReplace && replaces.length > 0 };
}

/** Sets the shared provider inputs on a dynamic resource's props. */
export function withVersion<T extends object>(args: T, version: string): T & { version: string } {
    return { ...args, version };
}

/**
 * A provider whose `read` reports the resource gone when the domain itself no longer exists (its endpoint's
 * name no longer resolves: AWS removes the name with the domain) instead of failing `pulumi refresh`: an empty
 * result, as for a 404 on the resource, and Pulumi drops it from the state.
 */
export function readsGoneDomainAsDeleted(provider: { read?: (id: string, props: any) => Promise<any>; [k: string]: any }): any {
    // Not named `read`: the closure serializer writes the method as a function of that name, which would hide it.
    const readLive = provider.read;
    if (!readLive) return provider;
    return {
        ...provider,
        read: async (id: string, props: any) => {
            try {
                return await readLive(id, props);
            } catch (e: any) {
                if (e?.domainGone) return {};
                throw e;
            }
        },
    };
}
