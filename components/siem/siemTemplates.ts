/**
 * What the SIEM domain holds, as plain data: index templates per log type, the ISM retention policy and
 * the least-privilege writer role. Field names follow what guardpost's shippers write (`functions/`).
 */

import { deleteAfterDays, type IndexPeriod } from "../../model/siemSizing";

export const LOG_KINDS = ["cloudtrail", "vpcflow", "waf", "dns", "securityhub"] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/**
 * `<kind>-*`: every index of a log type — `<kind>-YYYY-MM` per month (the shipper by event time, Firehose's
 * `OneMonth` rotation by arrival time), and the daily names of `indexPeriod: day` and of domains from before
 * monthly indices (`cloudtrail-YYYY.MM.DD`, `<kind>-YYYY-MM-DD`).
 */
export function indexPattern(kind: LogKind): string {
    return `${kind}-*`;
}

/**
 * The date field each log type's documents carry, which its Dashboards index pattern filters on.
 * CloudTrail, VPC flow and WAF documents pass through guardpost's code, which adds `@timestamp`;
 * Route 53 Resolver query logs and Security Hub's EventBridge events reach Firehose untransformed, so
 * they keep their own time: the query's `query_timestamp` and the event's `time`.
 */
export const TIME_FIELD: Record<LogKind, string> = {
    cloudtrail: "@timestamp", vpcflow: "@timestamp", waf: "@timestamp", dns: "query_timestamp", securityhub: "time",
};

export const WRITER_ROLE = "guardpost_log_writer";
export const TEMPLATE_PRIORITY = 100;

/** Raised from 1000: CloudTrail and Security Hub documents carry many distinct fields across services. */
export const TOTAL_FIELDS_LIMIT: Record<LogKind, number> = { cloudtrail: 3000, vpcflow: 1000, waf: 2000, dns: 1000, securityhub: 3000 };

const keyword = { type: "keyword" };
const date = { type: "date" };
/** Some "IP" fields hold host names (`AWS Internal`, `signin.amazonaws.com`): keep the document, skip the value. */
const ip = { type: "ip", ignore_malformed: true };
const long = { type: "long" };

/**
 * Fields whose shape differs from one event to the next (CloudTrail `requestParameters`, a finding's
 * `Resources[].Details`). `flat_object` (OpenSearch 2.7+) keeps their leaves searchable as keywords
 * without adding mappings; before 2.7 they are stored but not indexed. Either way the value must be an
 * object (or a list of objects): OpenSearch rejects a concrete value there, so the shipper wraps one.
 */
export function unstableObject(engineMinor: number): object {
    return engineMinor >= 7 ? { type: "flat_object" } : { type: "object", enabled: false };
}

const geo = { properties: { location: { type: "geo_point" }, asn: long, country_iso_code: keyword, city_name: keyword, as_org: keyword } };

/** ASFF fields the SIEM filters on, typed; free-form maps (tags, details, product fields) as unstable objects. */
function securityHubFinding(unstable: object): Record<string, unknown> {
    const remoteIp = { properties: { RemoteIpDetails: { properties: { IpAddressV4: ip } } } };
    return {
        Id: keyword, AwsAccountId: keyword, GeneratorId: keyword, ProductArn: keyword, ProductName: keyword, CompanyName: keyword,
        Title: { type: "text", fields: { keyword: { type: "keyword", ignore_above: 1024 } } }, Types: keyword,
        CreatedAt: date, UpdatedAt: date, FirstObservedAt: date, LastObservedAt: date, ProcessedAt: date,
        Severity: { properties: { Label: keyword, Normalized: long, Original: keyword } },
        Compliance: { properties: { Status: keyword, SecurityControlId: keyword } }, Workflow: { properties: { Status: keyword } },
        RecordState: keyword, WorkflowState: keyword,
        ProductFields: unstable, UserDefinedFields: unstable, FindingProviderFields: unstable,
        Resources: { properties: { Type: keyword, Id: keyword, Region: keyword, Partition: keyword, Details: unstable, Tags: unstable } },
        Network: { properties: { SourceIpV4: ip, SourceIpV6: ip, DestinationIpV4: ip, DestinationIpV6: ip } },
        Action: { properties: { ActionType: keyword, NetworkConnectionAction: remoteIp, AwsApiCallAction: remoteIp } },
    };
}

function kindProperties(kind: LogKind, engineMinor: number): Record<string, unknown> {
    const unstable = unstableObject(engineMinor);
    switch (kind) {
        case "cloudtrail":
            return {
                eventTime: date, eventName: keyword, eventSource: keyword, errorCode: keyword, errorMessage: { type: "text" },
                awsRegion: keyword, recipientAccountId: keyword, sourceIPAddress: ip, userAgent: keyword, readOnly: { type: "boolean" },
                userIdentity: { properties: { arn: keyword, type: keyword, accountId: keyword, principalId: keyword, accessKeyId: keyword, userName: keyword,
                    sessionContext: { properties: { sessionIssuer: { properties: { arn: keyword, type: keyword } } } } } },
                principal: keyword, eventType: keyword,
                requestParameters: unstable, responseElements: unstable, additionalEventData: unstable, serviceEventDetails: unstable,
                cloud: { properties: { account: { properties: { id: keyword } }, region: keyword } },
                geo,
            };
        case "vpcflow":
            return {
                srcaddr: ip, dstaddr: ip, pkt_srcaddr: ip, pkt_dstaddr: ip, srcport: long, dstport: long, protocol: long,
                packets: long, bytes: long, start: long, end: long, action: keyword, log_status: keyword, account_id: keyword,
                interface_id: keyword, vpc_id: keyword, subnet_id: keyword, instance_id: keyword,
                geo,
            };
        case "waf":
            return {
                timestamp: { type: "date", format: "epoch_millis" }, action: keyword, terminatingRuleId: keyword, webaclId: keyword,
                httpSourceName: keyword, httpSourceId: keyword,
                httpRequest: { properties: { clientIp: ip, country: keyword, uri: keyword, httpMethod: keyword, host: keyword } },
                ruleGroupList: unstable, nonTerminatingMatchingRules: unstable, terminatingRuleMatchDetails: unstable, rateBasedRuleList: unstable,
                geo,
            };
        case "dns":
            // Resolver writes srcport as a string ("48701"); a long field takes it as a number.
            return {
                query_timestamp: date, query_name: keyword, query_type: keyword, query_class: keyword, rcode: keyword,
                srcaddr: ip, srcport: long, account_id: keyword, region: keyword, vpc_id: keyword, answers: unstable,
                geo,
            };
        case "securityhub":
            // The whole EventBridge event, as EventBridge hands it to Firehose: the finding is under detail.findings[].
            return {
                time: date, id: keyword, account: keyword, region: keyword, source: keyword, "detail-type": keyword, resources: keyword,
                detail: { properties: { findings: { properties: securityHubFinding(unstable) } } },
                geo,
            };
    }
}

/**
 * The composable template for one log type: `@timestamp` as date, explicit types for the fields
 * dashboards and detectors aggregate on, every other string a keyword (not text + keyword), date
 * detection off (a string that looks like a date once must not fix the field's type), and a raised
 * total-fields limit.
 */
/** Shards and replicas of every log index (config `siem.primaryShards`, `siem.replicas`). */
export interface IndexLayout { primaryShards: number; replicas: number }

/**
 * Slow-log thresholds: publishing slow logs to CloudWatch logs nothing until an index sets them
 * ("OpenSearch disables slow logs by default … you still must specify logging thresholds for each index",
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html).
 * A log search slower than 5 s, or a bulk item slower than 10 s, is worth a warning.
 */
export const SLOW_LOG_THRESHOLDS = {
    search: { slowlog: { threshold: { query: { warn: "5s", info: "2s" }, fetch: { warn: "1s" } } } },
    indexing: { slowlog: { threshold: { index: { warn: "10s", info: "5s" } } } },
};

export function indexTemplate(kind: LogKind, engineMinor: number, layout: IndexLayout = { primaryShards: 1, replicas: 1 }): { index_patterns: string[]; priority: number; template: any; _meta: any } {
    return {
        index_patterns: [indexPattern(kind)],
        priority: TEMPLATE_PRIORITY,
        template: {
            settings: {
                index: {
                    mapping: { total_fields: { limit: TOTAL_FIELDS_LIMIT[kind] } },
                    number_of_shards: layout.primaryShards,
                    // Replicas follow the node count: a replica never shares a node with its primary, so more
                    // than nodes - 1 stay unassigned and the cluster yellow (config validation refuses that).
                    number_of_replicas: layout.replicas,
                    refresh_interval: "30s",
                    ...SLOW_LOG_THRESHOLDS,
                },
            },
            mappings: {
                date_detection: false,
                dynamic_templates: [{ strings_as_keywords: { match_mapping_type: "string", mapping: { type: "keyword", ignore_above: 1024 } } }],
                properties: { "@timestamp": date, ...kindProperties(kind, engineMinor) },
            },
        },
        _meta: { managed_by: "guardpost", kind },
    };
}

export const ISM_POLICY_ID = "guardpost-log-retention";

/**
 * Deletes a log index once its newest record has reached the retention age: `deleteAfterDays` (retention +
 * the period's longest length) after the index was created. Attached to new indices by `ism_template`;
 * indices already managed are moved to a new version with `change_policy` (the IsmPolicy resource does that).
 */
export function retentionPolicy(retentionDays: number, period: IndexPeriod = "day"): object {
    const days = deleteAfterDays(retentionDays, period);
    return {
        description: `guardpost: keep security logs ${retentionDays} days (delete a ${period}ly index ${days} days after creation)`,
        default_state: "hot",
        states: [
            { name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: `${days}d` } }] },
            { name: "delete", actions: [{ retry: { count: 3, backoff: "exponential", delay: "1m" }, delete: {} }], transitions: [] },
        ],
        ism_template: [{ index_patterns: LOG_KINDS.map(indexPattern), priority: TEMPLATE_PRIORITY }],
    };
}

/**
 * `guardpost_log_writer`: bulk-write and create the daily indices of the log types, nothing else — no
 * document read, no delete, no other index. The security plugin evaluates a bulk request's automatic
 * index creation and dynamic mapping updates (`indices:admin/auto_create`, `.../mapping/auto_put`) as
 * `indices:admin/create` and `indices:admin/mapping/put`, so those two cover first writes of the day and
 * new fields. `cluster_composite_ops` carries the cluster-level `indices:data/write/bulk` of `_bulk`.
 * `cluster_monitor` and the index-level `mappings/get`, `settings/get` and `stats` (metadata only, never
 * documents) answer the pre-flight GETs Firehose makes before delivering — `_cluster/stats`, `_nodes/stats`,
 * `_all/_settings` and each log index's `_mapping` and `_stats`, the paths AWS's Firehose role policy lists.
 */
export function writerRole(): { clusterPermissions: string[]; indexPermissions: Array<{ index_patterns: string[]; allowed_actions: string[] }> } {
    return {
        clusterPermissions: ["cluster_composite_ops", "cluster_monitor", "indices:data/write/bulk"],
        indexPermissions: [{
            index_patterns: LOG_KINDS.map(indexPattern),
            allowed_actions: [
                "indices:data/write/bulk*", "indices:data/write/index", "indices:admin/create", "indices:admin/mapping/put",
                "indices:admin/mappings/get", "indices:monitor/settings/get", "indices:monitor/stats",
            ],
        }],
    };
}

/** The marker document that lets the anomaly detector be created on a fresh domain (see SiemDomain). */
export const CLOUDTRAIL_BOOTSTRAP_DOCUMENT = {
    eventVersion: "1.08",
    eventSource: "guardpost.siem",
    eventName: "GuardpostSiemBootstrap",
    eventType: "GuardpostInternal",
    readOnly: true,
    userIdentity: { type: "GuardpostBootstrap", arn: "guardpost:bootstrap" },
};

/**
 * Security-plugin audit logging (published to the AUDIT_LOGS log group): failed logins, missing
 * privileges, bad headers and every change to the security configuration (who edited a role mapping) —
 * but not every successful request, which for log writers would be one event per bulk call, and never
 * request bodies, which hold the log data itself.
 */
export function auditSettings(): Record<string, unknown> {
    return {
        enabled: true,
        audit: {
            enable_rest: true,
            enable_transport: false,
            disabled_rest_categories: ["AUTHENTICATED", "GRANTED_PRIVILEGES"],
            disabled_transport_categories: ["AUTHENTICATED", "GRANTED_PRIVILEGES"],
            log_request_body: false,
            resolve_bulk_requests: false,
            exclude_sensitive_headers: true,
        },
        compliance: { enabled: true, internal_config: true, external_config: false, read_metadata_only: true, write_metadata_only: true },
    };
}
