/**
 * How many shards the SIEM domain holds once it has run for longer than its retention, and whether that
 * fits the cluster — a pure function of the stack's `siem` config, shared by config validation and the
 * SiemDomain component (no Pulumi, no I/O).
 *
 * The index design it bounds (README "Index naming"): every log type writes to one index per period —
 * `<kind>-YYYY-MM` (month) or `<kind>-YYYY-MM-DD` / `cloudtrail-YYYY.MM.DD` (day) — named from the
 * record's own time (CloudTrail: event time; Firehose: its arrival time, which it fixes per record). ISM
 * deletes an index `retentionDays + periodDays` after it was created, when its newest record has reached
 * the retention age. A period's index therefore exists from its first record until one retention plus one
 * period later, and the number alive at once is bounded by the periods that fit in that span.
 */

export const INDEX_PERIODS = ["month", "day"] as const;
export type IndexPeriod = (typeof INDEX_PERIODS)[number];

/** Longest and shortest length of a period in days (months run 28–31 days). */
export const PERIOD_DAYS: Record<IndexPeriod, { min: number; max: number }> = {
    month: { min: 28, max: 31 },
    day: { min: 1, max: 1 },
};

/** The log types guardpost writes, one index series each. */
export const LOG_KIND_COUNT = 5;

/**
 * AWS's limit of 1,000 shards per data node: "there's a limit of 1,000 shards per node"
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/bp.html#bp-sharding-strategy,
 * and sizing-domains.html#bp-sharding: creating an index that would pass it fails). From OpenSearch 2.17
 * AWS raises the cap with the heap (1,000 per 16 GiB of JVM heap, at most 4,000 per node; AWS's sizing
 * notes, https://raw.githubusercontent.com/aws/agent-toolkit-for-aws/main/skills/specialized-skills/analytics-skills/amazon-opensearch-service/references/sizing.md).
 * The budget takes the lower of 1,000 and 25 per GiB of heap, which stays below the cap on every version.
 */
export const MAX_SHARDS_PER_NODE = 1000;
/**
 * "Aim for 25 shards or fewer per GiB of heap memory" (same page). The heap is half the instance's RAM, at
 * most 32 GiB: "OpenSearch Service uses half of an instance's RAM for the Java heap, up to a heap size of
 * 32 GiB" (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-cloudwatchmetrics.html).
 */
export const SHARDS_PER_HEAP_GIB = 25;
export const MAX_HEAP_GIB = 32;

/**
 * Primary shards of the plugins' own indices on a guardpost domain, an estimate from the plugins' documented
 * defaults (each index has one primary):
 * - ~18 single configuration indices: security, Dashboards (`.kibana_1`), job-scheduler lock, ISM config,
 *   four anomaly-detection indices, alerting config/alerts/lock, notifications config, Security Analytics
 *   detectors, rules (two), log types, correlations;
 * - 31 ISM history indices: `history.max_age` 24h, `history.rollover_retention_period` 30d
 *   (https://docs.opensearch.org/latest/im-plugin/ism/settings/);
 * - 9 Alerting history indices (alerts, findings, comments: one per 30 days, kept 60 days —
 *   https://docs.opensearch.org/latest/observing-your-data/alerting/settings/);
 * - 15 Security Analytics history indices: alerts and findings per detector type (cloudtrail, dns) and
 *   correlations, one per 30 days, kept 60 days (https://docs.opensearch.org/latest/security-analytics/settings/);
 * - 2 anomaly-detection result indices.
 * It is not measured on a real domain; `GET _cat/shards` on a running one is the check (README).
 */
export const SYSTEM_PRIMARY_SHARDS = 75;

/**
 * Memory (GiB) of the smallest size of each instance family OpenSearch Service offers, equal to the EC2
 * instance of the same name (https://aws.amazon.com/ec2/instance-types/); larger sizes double it per step.
 */
const FAMILY_BASE_GIB: Record<string, { base: string; gib: number }> = {
    t3: { base: "small", gib: 2 },
    c5: { base: "large", gib: 4 }, c6g: { base: "large", gib: 4 }, c7g: { base: "large", gib: 4 }, c7i: { base: "large", gib: 4 },
    m5: { base: "large", gib: 8 }, m6g: { base: "large", gib: 8 }, m7g: { base: "large", gib: 8 }, m7i: { base: "large", gib: 8 },
    r5: { base: "large", gib: 16 }, r6g: { base: "large", gib: 16 }, r6gd: { base: "large", gib: 16 }, r7g: { base: "large", gib: 16 },
    r7gd: { base: "large", gib: 16 }, r7i: { base: "large", gib: 16 }, or1: { base: "large", gib: 16 }, or2: { base: "large", gib: 16 },
    om2: { base: "large", gib: 8 }, i3: { base: "large", gib: 15.25 }, i4g: { base: "large", gib: 16 }, im4gn: { base: "large", gib: 8 },
};
const SIZE_STEPS = ["small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
/** Multiplier of each size relative to `large` (12xlarge is 24×, not a power of two). */
const SIZE_FACTOR: Record<string, number> = { small: 0.25, medium: 0.5, large: 1, xlarge: 2, "2xlarge": 4, "4xlarge": 8, "8xlarge": 16, "12xlarge": 24, "16xlarge": 32 };

/** RAM of an OpenSearch instance type (`r6g.large.search`), or undefined when guardpost does not know it. */
export function instanceMemoryGiB(instanceType: string): number | undefined {
    const m = /^([a-z0-9]+)\.([a-z0-9]+)\.search$/.exec(instanceType);
    if (!m) return undefined;
    const family = FAMILY_BASE_GIB[m[1]];
    if (!family || !SIZE_STEPS.includes(m[2])) return undefined;
    // T3 comes only as small and medium; every other family starts at large.
    if (m[1] === "t3" ? !["small", "medium"].includes(m[2]) : ["small", "medium"].includes(m[2])) return undefined;
    return family.gib * SIZE_FACTOR[m[2]] / SIZE_FACTOR[family.base];
}

export function heapGiB(instanceType: string): number | undefined {
    const ram = instanceMemoryGiB(instanceType);
    return ram === undefined ? undefined : Math.min(ram / 2, MAX_HEAP_GIB);
}

export interface ShardBudgetInput {
    retentionDays: number;
    indexPeriod: IndexPeriod;
    /** Primary shards of every log index (the index templates' `number_of_shards`). */
    primaryShards: number;
    /** Replicas of every log index (the templates' `number_of_replicas`). */
    replicas: number;
    /** Data nodes (dedicated masters hold no shards). */
    dataNodes: number;
    instanceType: string;
}

export interface ShardBudget {
    /** Log indices of one type alive at once, at most. */
    indicesPerKind: number;
    /** Log shards (primaries and replicas) of all five types at steady state. */
    logShards: number;
    /** The plugins' own shards (estimate, `SYSTEM_PRIMARY_SHARDS` with one replica where a second node exists). */
    systemShards: number;
    total: number;
    /** `total` spread over the data nodes (OpenSearch balances shard counts across nodes). */
    perNode: number;
    heapGiB?: number;
    /** The tighter of the 1,000-per-node limit and 25 per GiB of heap. */
    limitPerNode?: number;
}

/**
 * Indices of one log type alive at once: one per period started within the last `retention + longest
 * period` days (after that ISM deletes it), plus the current one, plus one for ISM's own delay (its job runs
 * every 5–8 minutes and not while the cluster is red: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ism.html).
 */
export function indicesPerKind(retentionDays: number, period: IndexPeriod): number {
    const { min, max } = PERIOD_DAYS[period];
    return Math.floor((retentionDays + max) / min) + 2;
}

/** Days after creation at which ISM deletes a log index: every record in it is then at least `retentionDays` old. */
export function deleteAfterDays(retentionDays: number, period: IndexPeriod): number {
    return retentionDays + PERIOD_DAYS[period].max;
}

export function steadyStateShards(i: ShardBudgetInput): ShardBudget {
    const perKind = indicesPerKind(i.retentionDays, i.indexPeriod);
    const logShards = LOG_KIND_COUNT * perKind * i.primaryShards * (1 + i.replicas);
    const systemShards = SYSTEM_PRIMARY_SHARDS * (1 + Math.min(1, i.dataNodes - 1));
    const total = logShards + systemShards;
    const heap = heapGiB(i.instanceType);
    const limitPerNode = heap === undefined ? undefined : Math.min(MAX_SHARDS_PER_NODE, Math.floor(heap * SHARDS_PER_HEAP_GIB));
    return { indicesPerKind: perKind, logShards, systemShards, total, perNode: Math.ceil(total / i.dataNodes), heapGiB: heap, limitPerNode };
}

export interface SizingIssue { key: string; problem: string; fix: string }

/**
 * Every way the config does not fit the cluster, each naming the key to change. Replicas beyond
 * `dataNodes - 1` can never be assigned (a copy never shares a node with its primary), so the cluster
 * would be yellow forever.
 */
export function sizingIssues(i: ShardBudgetInput, at = "guardpost:siem"): SizingIssue[] {
    const issues: SizingIssue[] = [];
    if (i.replicas > i.dataNodes - 1) {
        issues.push({
            key: `${at}.replicas`,
            problem: `${i.replicas} replica(s) on ${i.dataNodes} data node(s) can never be assigned, so the cluster stays yellow`,
            fix: `use replicas: ${Math.max(0, i.dataNodes - 1)} (at most instanceCount - 1), or raise ${at}.instanceCount`,
        });
    }
    const b = steadyStateShards(i);
    if (b.limitPerNode === undefined) {
        issues.push({
            key: `${at}.instanceType`,
            problem: `'${i.instanceType}' is an instance type guardpost cannot size (its heap sets the shard limit)`,
            fix: `use one of the families ${Object.keys(FAMILY_BASE_GIB).join(", ")} (e.g. m6g.large.search, r6g.large.search)`,
        });
        return issues;
    }
    if (b.perNode > b.limitPerNode) {
        const bound = b.limitPerNode === MAX_SHARDS_PER_NODE ? "AWS's limit of 1,000 shards per node" : `${SHARDS_PER_HEAP_GIB} shards per GiB of heap (${b.heapGiB} GiB on ${i.instanceType})`;
        const fixes = [
            i.indexPeriod === "day" ? `${at}.indexPeriod: month (${LOG_KIND_COUNT * indicesPerKind(i.retentionDays, "month") * i.primaryShards * (1 + i.replicas)} log shards instead of ${b.logShards})` : undefined,
            i.primaryShards > 1 ? `a lower ${at}.primaryShards` : undefined,
            `a shorter ${at}.retentionDays`,
            `a larger ${at}.instanceType or more ${at}.instanceCount`,
        ].filter(Boolean);
        issues.push({
            key: i.indexPeriod === "day" ? `${at}.indexPeriod` : `${at}.instanceType`,
            problem: `at steady state the domain holds ${b.total} shards (${b.logShards} log shards in ${b.indicesPerKind} indices per log type, `
                + `${b.systemShards} plugin shards), ${b.perNode} per data node — more than ${b.limitPerNode} (${bound})`,
            fix: `set ${fixes.join(", or ")}`,
        });
    }
    return issues;
}
