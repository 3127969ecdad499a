import type { LogFn } from "../shared/logLine";

/**
 * How a bulk shipper (cloudtrail-shipper, and log-relay which reuses its bulk and dead-letter code) paces its
 * `_bulk` requests and keeps time for the dead letters before Lambda's deadline.
 */
export const BULK_SHIPPING_LIMITS = {
    /** NDJSON bytes per `_bulk` request (AWS caps bodies at 10 MiB on small instance types). */
    maxBatchBytes: 5 * 1024 * 1024,
    /** Tries per document inside one invocation, the first included. */
    maxAttempts: 6,
    baseDelayMs: 250,
    maxDelayMs: 8_000,
    requestTimeoutMs: 30_000,
    /** Kept free before the Lambda deadline for the dead-letter puts and the error path. */
    reserveMs: 15_000,
    /** Time budget when no Lambda context tells the remaining time (local runs). */
    defaultBudgetMs: 60_000,
};

/** What a bulk shipper takes from its caller besides its work: logging and time, replaced in tests. */
export interface BulkShipperRuntime {
    log?: LogFn;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
}
