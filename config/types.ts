/**
 * The typed shape of a stack's config (what parseConfig hands the program) and the constants its keys
 * are checked against.
 */
import { PUBLISHING_FREQUENCIES, type ProtectionSwitches, type ThreatList } from "../model/detection";
import type { Partition } from "../model/partition";
import type { AccountServices } from "../model/services";
import type { PeopleGroups, SamlSignIn } from "../model/siemAccess";
import type { IndexPeriod } from "../model/siemSizing";

export const KNOWN_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1",
    "sa-east-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-south-1",
    "ap-south-2", "ap-east-1", "ap-east-2", "me-south-1", "me-central-1", "il-central-1", "af-south-1",
    "cn-north-1", "cn-northwest-1", "us-gov-east-1", "us-gov-west-1",
] as const;

export const STANDARD_SHORT_NAMES = ["fsbp", "cis-1.2", "cis-1.4", "cis-3.0", "pci-3.2.1", "nist-800-53"] as const;
export { PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS } from "../model/detection";
export const REPEAT_MODES = ["every", "new-and-escalations"] as const;
/** Defaults: the shipper may use at most 10 concurrent executions; Telegram always has 5 of its own. */
export const DEFAULT_SHIPPER_RESERVED = 10;
export const DEFAULT_TELEGRAM_RESERVED = 5;
/** The log relay (sources outside the home region) may use at most 5 concurrent executions per region. */
export const DEFAULT_RELAY_RESERVED = 5;
/**
 * Lambda keeps at least 100 concurrent executions unreserved: "You can reserve up to the Unreserved account
 * concurrency value … minus 100 for functions that don't have reserved concurrency"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html); a reservation past that
 * fails the deploy with "Specified ReservedConcurrentExecutions for function decreases account's
 * UnreservedConcurrentExecution below its minimum value of [100]".
 */
export const UNRESERVED_CONCURRENCY_FLOOR = 100;

export type AccountKind = "management" | "security" | "workload";

export interface AccountLogs {
    /** VPC ids whose flow logs go to the SIEM, by region. */
    vpcFlowLogs: Record<string, string[]>;
    /** Route 53 Resolver query logging for these VPC ids, by region. */
    dnsQueryLogs: Record<string, string[]>;
    /** WAFv2 web ACL ARNs; the region is read from each ARN (CloudFront ACLs: us-east-1). */
    wafWebAclArns: string[];
    /** Ship Security Hub findings of this account to the SIEM. */
    securityHubFindings: boolean;
    /** Ship this account's CloudTrail to the SIEM (off for accounts covered by the organization trail). */
    cloudTrail: boolean;
}

export interface AccountConfig {
    name: string;
    id: string;
    kind: AccountKind;
    regions: string[];
    /** Role the deployer assumes in this account. */
    roleArn: string;
    logs: AccountLogs;
    /** The account's Lambda concurrent-executions quota per region (Service Quotas L-B99A9384); default 1000. */
    lambdaConcurrencyQuota: number;
    /** The account's root e-mail address: GuardDuty and Detective name members by it. */
    email?: string;
    /** Enrolled in AWS Control Tower: its Config recorder and aggregator are Control Tower's (Config `skip`). */
    controlTower: boolean;
    /** Per service: manage (create), adopt (import what exists) or skip. */
    services: AccountServices;
    /** Buckets Malware Protection for S3 protects, by region (with `detection.protections.malwareProtectionS3`). */
    malwareProtectionS3Buckets: Record<string, string[]>;
}

/** A trusted IP list or threat intel set, exactly as DetectionBaseline takes it. */
export type ThreatListConfig = ThreatList;

/** The GuardDuty protection plan switches, exactly as DetectionBaseline takes them. */
export type ProtectionPlans = ProtectionSwitches;

export interface DetectionConfig {
    findingPublishingFrequency: (typeof PUBLISHING_FREQUENCIES)[number];
    protections: ProtectionPlans;
    trustedIpLists: ThreatListConfig[];
    threatIntelSets: ThreatListConfig[];
    detective: boolean;
    securityHub: {
        enabled: boolean;
        standards: string[];
        /** Organization mode: the root (`r-…`) or OUs (`ou-…`) the central configuration policy is associated with. */
        policyTargets: string[];
    };
    awsConfig: {
        enabled: boolean;
        /** Where IAM global types are recorded; default the home region (Security Hub's aggregation region). */
        globalResourcesRegion: string;
        /** The account holding the central Config/GuardDuty archive bucket: the security account unless named. */
        archiveAccount: string;
        /** Days the archive keeps Config history and exported findings (and their noncurrent versions). */
        archiveRetentionDays: number;
    };
    /** Export GuardDuty findings to the archive bucket (KMS) so they outlive GuardDuty's 90 days. */
    findingsExport: boolean;
}

export interface AlertsConfig {
    minSeverity: number;
    emails: string[];
    telegramChatId?: string;
    repeat: (typeof REPEAT_MODES)[number];
    quietMinutes: number;
    /** Concurrency reserved for the Telegram function in each region (0 = none). */
    telegramReservedConcurrency: number;
    /**
     * The second channel for alarms about failed deliveries (SNS topics not fed by guardpost's alert topic,
     * e.g. an on-call integration); each region's alarms use the topics in that region.
     */
    failureTopicArns: string[];
}

export interface SiemConfig {
    engineVersion: string;
    instanceType: string;
    instanceCount: number;
    dedicatedMasterType?: string;
    dedicatedMasterCount: number;
    zoneAwareness: boolean;
    availabilityZoneCount: number;
    volumeSizeGb: number;
    retentionDays: number;
    /** IAM role mapped to all_access + security_manager; default: the security account's deployer role. */
    adminRoleArn: string;
    allowedCidrs: string[];
    /** One index per log type per `month` (default) or `day`; see model/siemSizing.ts. */
    indexPeriod: IndexPeriod;
    /** Primary shards of every log index. Default 1. */
    primaryShards: number;
    /** Replicas of every log index; default 0 on one data node, else 1. */
    replicas: number;
    /** The Cognito / SAML groups people sign in as. */
    people: PeopleGroups;
    /** SAML sign-in; absent: Amazon Cognito. */
    saml?: SamlSignIn;
    /** Prefix of the Cognito hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`); default `guardpost-<stage>-<security account id>`. */
    cognitoDomainPrefix: string;
}

export interface LogsConfig {
    geoipDatabasePath: string;
    geoipAsnDatabasePath?: string;
    trailRegion: string;
    organizationTrail: boolean;
    retentionDays: number;
    firehoseRetrySeconds: number;
    /** Concurrency reserved for (and capping) the CloudTrail shipper (0 = none). */
    shipperReservedConcurrency: number;
    /** Concurrency reserved for (and capping) the log relay in each region outside the home region that relays (0 = none). */
    relayReservedConcurrency: number;
}

/**
 * How this stack shares an estate split over several stacks (README "Scale"): `all` (the default) is the
 * whole estate in one stack; `core` holds the SIEM and the accounts in `deploys` (by default the security
 * and management accounts) and admits the log writers of the `accountStacks`; `accounts` deploys only
 * the workload accounts in `deploys` and ships to the core's SIEM at `siemEndpoint`.
 */
export interface EstateConfig {
    part: "all" | "core" | "accounts";
    /** Names of the accounts this stack deploys; the other accounts are listed for reference only. */
    deploys: string[];
    /** core: the account stacks (`org/project/stack`) whose `siemWriterRoleArns` output the SIEM admits. */
    accountStacks: string[];
    /** accounts: the core stack's SIEM endpoint (its `siemEndpoint` output). */
    siemEndpoint?: string;
    /**
     * accounts: the core stack's security archive (its `archiveBucket` and `archiveKeyArn` outputs), where this
     * stack's Config recorders deliver; required when AWS Config is on.
     */
    archive?: { bucketName: string; kmsKeyArn: string };
}

export interface GuardpostConfig {
    estate: EstateConfig;
    stage: string;
    /** The one partition every account and region of the stack is in; every ARN is built from it. */
    partition: Partition;
    homeRegion: string;
    organization: boolean;
    accounts: AccountConfig[];
    securityAccount: AccountConfig;
    managementAccount?: AccountConfig;
    detection: DetectionConfig;
    alerts: AlertsConfig;
    siem: SiemConfig;
    logs: LogsConfig;
}

/** A config value as `pulumi config` hands it over: strings, with objects as JSON text. */
export type RawConfig = Record<string, string | undefined>;
