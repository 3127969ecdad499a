/**
 * De-duplication for `alerts.repeat = "new-and-escalations"`. GuardDuty republishes the same finding id
 * with a growing `service.count` every publishing period; this decides which of those reach people.
 *
 * Order of operations in the handler is read → decide → send → record. Recording only after a
 * successful send means a failed send is retried as if it never happened (no alert lost), at the price
 * of a possible duplicate when two deliveries of one event race — the right side to err on.
 */

/** Table schema shared with the component that creates the table. */
export const DEDUP_HASH_KEY = "pk";
export const DEDUP_TTL_ATTRIBUTE = "expiresAt";
/** GuardDuty keeps findings for 90 days; a record outliving that has nothing left to suppress. */
export const DEDUP_TTL_SECONDS = 90 * 24 * 3600;
export const DEFAULT_QUIET_MINUTES = 60;

export interface DedupRecord {
    key: string;
    /** Highest severity alerted so far. */
    severity: number;
    /** `service.count` at the last alert. */
    count: number;
    /** Epoch milliseconds of the last alert. */
    alertedAt: number;
}

export type DedupDecision =
    | { alert: true; reason: "new" | "escalation" | "repeat" }
    | { alert: false; reason: "unchanged" | "quiet-period" };

/** `signal` carries the Lambda deadline: a store call must give up when it aborts. */
export interface DedupStore {
    get(key: string, signal?: AbortSignal): Promise<DedupRecord | undefined>;
    /** Stores the record unless a newer alert was recorded meanwhile. */
    record(rec: DedupRecord, signal?: AbortSignal): Promise<void>;
}

export function dedupKey(f: { accountId: string; region: string; id: string }): string {
    return `${f.accountId}/${f.region}/${f.id}`;
}

/**
 * New id → alert; higher severity than ever alerted → alert at once (escalations never wait);
 * a grown count → alert only once the quiet period since the last alert has passed; else suppress.
 */
export function decide(
    prev: DedupRecord | undefined,
    current: { severity: number; count: number },
    nowMs: number,
    quietMs: number,
): DedupDecision {
    if (!prev) return { alert: true, reason: "new" };
    if (current.severity > prev.severity) return { alert: true, reason: "escalation" };
    if (current.count > prev.count) {
        return nowMs - prev.alertedAt >= quietMs ? { alert: true, reason: "repeat" } : { alert: false, reason: "quiet-period" };
    }
    return { alert: false, reason: "unchanged" };
}

/** What is written after an alert went out: severity and count never move backwards. */
export function nextRecord(
    key: string,
    prev: DedupRecord | undefined,
    current: { severity: number; count: number },
    nowMs: number,
): DedupRecord {
    return {
        key,
        severity: Math.max(prev?.severity ?? -Infinity, current.severity),
        count: Math.max(prev?.count ?? 0, current.count),
        alertedAt: nowMs,
    };
}

export function parseQuietMinutes(raw: string | undefined): number {
    if (raw === undefined || raw.trim() === "") return DEFAULT_QUIET_MINUTES;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`DEDUP_QUIET_MINUTES must be a non-negative number, got "${raw}"`);
    return n;
}

/** Minimal structural view of `DynamoDBClient` and its command classes, so tests can inject fakes. */
export interface DynamoLike {
    send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}
export interface DynamoCommands {
    GetItemCommand: new (input: any) => any;
    PutItemCommand: new (input: any) => any;
}

export function dynamoDedupStore(client: DynamoLike, commands: DynamoCommands, table: string): DedupStore {
    return {
        async get(key, signal) {
            const out = await client.send(new commands.GetItemCommand({
                TableName: table,
                Key: { [DEDUP_HASH_KEY]: { S: key } },
                ConsistentRead: true,
            }), signal ? { abortSignal: signal } : undefined);
            const item = out?.Item;
            if (!item) return undefined;
            return {
                key,
                severity: Number(item.severity?.N ?? "0"),
                count: Number(item.findingCount?.N ?? "0"),
                alertedAt: Number(item.alertedAt?.N ?? "0"),
            };
        },
        async record(rec, signal) {
            try {
                await client.send(new commands.PutItemCommand({
                    TableName: table,
                    Item: {
                        [DEDUP_HASH_KEY]: { S: rec.key },
                        severity: { N: String(rec.severity) },
                        findingCount: { N: String(rec.count) },
                        alertedAt: { N: String(rec.alertedAt) },
                        [DEDUP_TTL_ATTRIBUTE]: { N: String(Math.floor(rec.alertedAt / 1000) + DEDUP_TTL_SECONDS) },
                    },
                    // A slower concurrent invocation must not overwrite a newer alert's record.
                    ConditionExpression: "attribute_not_exists(#pk) OR #alertedAt < :alertedAt",
                    ExpressionAttributeNames: { "#pk": DEDUP_HASH_KEY, "#alertedAt": "alertedAt" },
                    ExpressionAttributeValues: { ":alertedAt": { N: String(rec.alertedAt) } },
                }), signal ? { abortSignal: signal } : undefined);
            } catch (err: any) {
                if (err?.name === "ConditionalCheckFailedException") return;
                throw err;
            }
        },
    };
}
