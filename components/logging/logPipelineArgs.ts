/** LogPipeline's arguments and their validation, which runs before the component registers anything. */
import type * as pulumi from "@pulumi/pulumi";
import { wafAclLoggingRegion } from "./logPolicies";

/** Which trail an account×region gets; the caller decides (only the account's trail region gets one). */
export type TrailMode = "none" | "account" | "organization";

export interface LogPipelineArgs {
    /** Stage (`dev`, `prod`): part of physical names (trail, streams, layer) and tags. */
    stage: string;
    /** Account of the provider this pipeline is created with (plain: bucket and key policies name it). */
    accountId: string;
    /** Region of the provider this pipeline is created with (plain: policies and validation use it). */
    region: string;
    /**
     * `account`: a multi-region trail of this account; `organization`: the organization trail (management
     * account only); `none`: no trail, log group or shipper here (other regions, member accounts under an
     * organization trail). Pass a trail mode only for the account's trail region.
     */
    trail: TrailMode;
    /** AWS Organizations id (`o-…`) for an organization trail's write prefix; without it the prefix is `AWSLogs/*`, pinned to the trail. */
    organizationId?: string;
    /** SIEM domain ARN (security account). Used only in writer policies, never as a dependency of the roles. */
    domainArn: pulumi.Input<string>;
    /** SIEM domain endpoint (host or https URL): the shipper's OPENSEARCH_ENDPOINT and Firehose's cluster endpoint. */
    domainEndpoint: pulumi.Input<string>;
    /**
     * The SIEM domain's region (plain): the shipper signs SigV4 for it (OPENSEARCH_REGION), whatever region
     * the shipper runs in.
     */
    domainRegion: string;
    /** Local path of GeoLite2-City.mmdb, packaged as a Lambda layer (needed where the shipper or WAF runs). */
    geoipDatabasePath?: string;
    /** Local path of GeoLite2-ASN.mmdb; adds `geo.asn` / `geo.as_org` when set. */
    geoipAsnDatabasePath?: string;
    /** VPCs whose flow logs (custom format, every v2–v5 field) go to the `vpcflow` stream. */
    vpcFlowLogVpcIds?: string[];
    /** Web ACL ARNs logged from this region (CloudFront ACLs: us-east-1) into the `aws-waf-logs-…` stream. */
    wafWebAclArns?: string[];
    /** VPCs whose Route 53 Resolver query logs go to the `dns` stream. */
    dnsQueryLogVpcIds?: string[];
    /** Send Security Hub "Findings - Imported" events to the `securityhub` stream. */
    securityHubFindings: boolean;
    /** Days to keep raw logs: the trail's objects in S3 and every CloudWatch log group here. Default 90. */
    retentionDays?: number;
    /** Days to keep dead letters and Firehose failed documents. Default 90. */
    deadLetterRetentionDays?: number;
    /** Firehose's OpenSearch retry duration (0–7200 s) before a document goes to S3. Default 300. */
    firehoseRetrySeconds?: number;
    /** Firehose buffering towards OpenSearch. Defaults: 60 s, 5 MB. */
    firehoseBuffering?: { intervalSeconds?: number; sizeMb?: number };
    /** SNS topic for the failure-queue and dead-letter alarms. */
    alarmTopicArn?: pulumi.Input<string>;
    /**
     * Concurrency reserved for the shipper: its ceiling during an OpenSearch outage (retries cannot take the
     * account's pool from the Telegram function) and its guaranteed share. 0 = none. Default 10.
     */
    shipperReservedConcurrency?: number;
    /**
     * Concurrency reserved for the log relay, which ships this region's VPC flow, WAF, Resolver and Security Hub
     * logs when the region is not the SIEM's (`domainRegion`): its ceiling during an OpenSearch outage. 0 = none.
     * Default 5.
     */
    relayReservedConcurrency?: number;
    /** One SIEM index per log type per `month` (default) or `day` — the SIEM's `indexPeriod`. */
    indexPeriod?: "month" | "day";
}

export function validateLogPipelineArgs(name: string, a: LogPipelineArgs): void {
    const problems: string[] = [];
    if (!/^[a-z0-9-]{1,20}$/.test(a.stage)) problems.push(`stage '${a.stage}' must be 1–20 lower-case letters, digits or '-'`);
    if (!/^\d{12}$/.test(a.accountId)) problems.push(`accountId '${a.accountId}' is not a 12-digit account id`);
    if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(a.domainRegion ?? "")) problems.push(`domainRegion '${a.domainRegion}' is not a region name`);
    if (!["none", "account", "organization"].includes(a.trail)) problems.push(`trail must be none, account or organization, got '${a.trail}'`);
    if (a.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(a.organizationId)) problems.push(`organizationId '${a.organizationId}' is not an organization id (o-…)`);
    if (a.firehoseRetrySeconds !== undefined && !(Number.isInteger(a.firehoseRetrySeconds) && a.firehoseRetrySeconds >= 0 && a.firehoseRetrySeconds <= 7200)) {
        problems.push(`firehoseRetrySeconds must be 0–7200, got ${a.firehoseRetrySeconds}`);
    }
    for (const arn of a.wafWebAclArns ?? []) {
        const where = wafAclLoggingRegion(arn);
        if (!where) problems.push(`'${arn}' is not a WAFv2 web ACL ARN`);
        else if (where !== a.region) problems.push(`web ACL ${arn} must be logged from ${where}, not ${a.region}`);
    }
    for (const id of [...(a.vpcFlowLogVpcIds ?? []), ...(a.dnsQueryLogVpcIds ?? [])]) {
        if (!/^vpc-[0-9a-f]{8,17}$/.test(id)) problems.push(`'${id}' is not a VPC id`);
    }
    if (problems.length > 0) throw new Error(`LogPipeline ${name}: ${problems.join("; ")}`);
}
