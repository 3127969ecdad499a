/**
 * Stack configuration: read the `guardpost:` namespace, validate every key, and hand the program typed
 * objects. Nothing here declares resources, so bad config fails before any resource exists.
 */
import { PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS, type ProtectionSwitches, type ThreatList } from "./model/detection";
import { ConfigError, Issues, isRecord } from "./configErrors";
import { partitionOf, partitionOfArn, type Partition } from "./model/partition";
import { canRecordIamGlobalTypes, NO_IAM_GLOBAL_RECORDING } from "./model/awsRegions";
import { THREAT_LIST_URL } from "./model/threatListLocation";
import {
    DEFAULT_ADOPTED_CONFIG_NAME, managedServices, SERVICE_MODES, type AccountServices, type ServiceMode,
} from "./model/services";
import { DEFAULT_PEOPLE_GROUPS, GROUP_NAME, type PeopleGroups, type SamlSignIn } from "./model/siemAccess";
import { INDEX_PERIODS, sizingIssues, type IndexPeriod } from "./model/siemSizing";
import { relayedSources, shipsSecurityHubFrom, wafLoggingRegion } from "./model/logPaths";

export { ConfigError } from "./configErrors";

export const KNOWN_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1",
    "sa-east-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-south-1",
    "ap-south-2", "ap-east-1", "ap-east-2", "me-south-1", "me-central-1", "il-central-1", "af-south-1",
    "cn-north-1", "cn-northwest-1", "us-gov-east-1", "us-gov-west-1",
] as const;

export const STANDARD_SHORT_NAMES = ["fsbp", "cis-1.2", "cis-1.4", "cis-3.0", "pci-3.2.1", "nist-800-53"] as const;
export { PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS } from "./model/detection";
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

const NAMESPACE = "guardpost";

function read(raw: RawConfig, key: string): unknown {
    const value = raw[`${NAMESPACE}:${key}`];
    if (value === undefined) return undefined;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** Parse and validate the whole `guardpost:` namespace; throws one ConfigError listing every problem. */
export function parseConfig(raw: RawConfig): GuardpostConfig {
    const issues = new Issues();
    const stage = str(read(raw, "stage"), "guardpost:stage", issues, { pattern: /^[a-z][a-z0-9-]{0,15}$/, hint: "a stage name of lower-case letters, digits and '-' (at most 16), e.g. dev or prod — it appears in every alert" }) ?? "";
    const homeRegion = region(read(raw, "homeRegion"), "guardpost:homeRegion", issues) ?? "us-east-1";
    const organization = bool(read(raw, "organization"), "guardpost:organization", issues, false);
    const roleName = str(read(raw, "deployerRoleName") ?? "guardpost-deployer", "guardpost:deployerRoleName", issues, { pattern: /^[\w+=,.@-]{1,64}$/, hint: "an IAM role name such as guardpost-deployer" }) ?? "guardpost-deployer";

    const partition = stackPartition(homeRegion, read(raw, "accounts"), issues);
    const accounts = parseAccounts(read(raw, "accounts"), roleName, issues, partition);
    const security = accounts.filter(a => a.kind === "security");
    const management = accounts.filter(a => a.kind === "management");
    if (accounts.length > 0 && security.length !== 1) {
        issues.add("guardpost:accounts", security.length === 0 ? "no account has kind 'security'" : `${security.length} accounts have kind 'security' (${security.map(a => a.name).join(", ")})`, "mark exactly one account `kind: security`: it hosts the delegated admin and the SIEM");
    }
    if (organization && management.length !== 1) {
        issues.add("guardpost:accounts", `organization mode needs exactly one account of kind 'management', found ${management.length}`, "add the organization's management account with `kind: management`, or set guardpost:organization to false");
    }
    if (!organization && management.length > 0) {
        issues.add("guardpost:accounts", `account '${management[0].name}' has kind 'management' but guardpost:organization is false`, "set guardpost:organization: true, or give that account kind 'workload'");
    }
    const securityAccount = security[0];
    if (securityAccount && !securityAccount.regions.includes(homeRegion)) {
        issues.add("guardpost:homeRegion", `'${homeRegion}' is not one of the security account's regions (${securityAccount.regions.join(", ")})`, `add ${homeRegion} to the regions of account '${securityAccount.name}'`);
    }
    const managementAccount = management[0];
    if (organization && managementAccount && securityAccount) {
        const missing = securityAccount.regions.filter(r => !managementAccount.regions.includes(r));
        if (missing.length > 0) {
            issues.add(`guardpost:accounts[${managementAccount.name}].regions`, `the management account must delegate admin in every region of the security account; missing ${missing.join(", ")}`, `add ${missing.join(", ")} to the management account's regions`);
        }
    }

    if (organization && securityAccount) validateNoBlindRegion(accounts, securityAccount, managementAccount, issues);
    const detection = parseDetection(read(raw, "detection"), accounts, issues, homeRegion, organization);
    validateAccountServices(accounts, organization, detection, issues);
    if (organization && detection.securityHub.enabled && detection.awsConfig.enabled) validateCentralConfigurationReach(accounts, issues);
    const alerts = parseAlerts(read(raw, "alerts"), issues);
    const siem = parseSiem(read(raw, "siem"), securityAccount, issues, stage);
    const logs = parseLogs(read(raw, "logs"), homeRegion, organization, issues);
    const estate = parseEstate(read(raw, "estate"), accounts, issues);
    validateEstateArchive(estate, detection.awsConfig.enabled, issues);
    for (const account of accounts) {
        validateAccountLogs(account, issues);
    }
    // Every log source has a path to the SIEM: Firehose in the home region, the log relay elsewhere (model/logPaths.ts).
    checkLambdaConcurrency(accounts, alerts, logs, homeRegion, organization, detection.securityHub.enabled, issues);
    if (accounts.length === 0) {
        issues.add("guardpost:accounts", "is missing or empty", "list every account: `- {name: security, id: \"111111111111\", kind: security, regions: [us-east-1]}`");
    }
    issues.throwIfAny();
    return {
        estate, stage, partition, homeRegion, organization, accounts,
        securityAccount: securityAccount!, managementAccount,
        detection, alerts, siem, logs,
    };
}

function parseAccounts(value: unknown, roleName: string, issues: Issues, partition: Partition): AccountConfig[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        issues.add("guardpost:accounts", `must be a list, got ${describe(value)}`, "write it as a YAML list of {name, id, kind, regions}");
        return [];
    }
    const seenNames = new Set<string>();
    const seenIds = new Set<string>();
    const accounts: AccountConfig[] = [];
    value.forEach((entry, i) => {
        const at = `guardpost:accounts[${i}]`;
        if (!isRecord(entry)) {
            issues.add(at, `must be an object, got ${describe(entry)}`, "give {name, id, kind, regions}");
            return;
        }
        const name = str(entry.name, `${at}.name`, issues, { pattern: /^[a-z][a-z0-9-]{0,30}$/, hint: "lower-case letters, digits and '-', e.g. 'workload-a'" });
        const key = name ? `guardpost:accounts[${name}]` : at;
        const id = str(typeof entry.id === "number" ? String(entry.id) : entry.id, `${key}.id`, issues, { pattern: /^\d{12}$/, hint: "the 12-digit AWS account id, quoted so YAML keeps leading zeros: \"012345678901\"" });
        const kind = oneOf(entry.kind ?? "workload", `${key}.kind`, issues, ["management", "security", "workload"] as const);
        const regions = list(entry.regions, `${key}.regions`, issues, (r, k) => region(r, k, issues));
        if (regions && regions.length === 0) issues.add(`${key}.regions`, "is empty", "list at least one region, e.g. [us-east-1]");
        if (regions && new Set(regions).size !== regions.length) issues.add(`${key}.regions`, `lists a region twice (${regions.join(", ")})`, "list each region once");
        let roleArn = id ? `arn:${partition}:iam::${id}:role/${roleName}` : "";
        if (entry.roleArn !== undefined) {
            roleArn = str(entry.roleArn, `${key}.roleArn`, issues, { pattern: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, hint: "an IAM role ARN such as arn:aws:iam::111111111111:role/guardpost-deployer" }) ?? "";
            const roleAccount = roleArn.split(":")[4];
            if (roleArn && id && roleAccount !== id) {
                issues.add(`${key}.roleArn`, `belongs to account ${roleAccount}, not ${id}`, `use a role in account ${id}`);
            }
            if (roleArn && partitionOfArn(roleArn) !== partition) {
                issues.add(`${key}.roleArn`, `is in partition '${partitionOfArn(roleArn)}' but the stack's regions are in '${partition}'`, `use arn:${partition}:iam::${id ?? "<account>"}:role/… — one stack deploys into one partition`);
            }
        }
        if (name) {
            if (seenNames.has(name)) issues.add(`${key}.name`, `'${name}' is used by two accounts`, "give every account a unique name");
            seenNames.add(name);
        }
        if (id) {
            if (seenIds.has(id)) issues.add(`${key}.id`, `${id} is listed twice`, "list each account once, with all its regions");
            seenIds.add(id);
        }
        const logs = parseAccountLogs(entry.logs, `${key}.logs`, issues);
        const lambdaConcurrencyQuota = num(entry.lambdaConcurrencyQuota ?? 1000, `${key}.lambdaConcurrencyQuota`, issues, { min: 0, max: 10_000_000, integer: true, hint: "the account's Lambda concurrent executions quota per region (aws lambda get-account-settings → AccountLimit.ConcurrentExecutions)" }) ?? 1000;
        unknownKeys(entry, key, ["name", "id", "kind", "regions", "roleArn", "logs", "email", "controlTower", "services", "malwareProtectionS3Buckets", "lambdaConcurrencyQuota"], issues);
        const malwareProtectionS3Buckets = entry.malwareProtectionS3Buckets === undefined ? {} : bucketsByRegion(entry.malwareProtectionS3Buckets, `${key}.malwareProtectionS3Buckets`, regions ?? [], issues);
        const email = entry.email === undefined ? undefined : str(entry.email, `${key}.email`, issues, { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, hint: "the account's root e-mail address, e.g. aws-payments@example.com" });
        const controlTower = bool(entry.controlTower, `${key}.controlTower`, issues, false);
        const services = parseServices(entry.services, `${key}.services`, regions ?? [], controlTower, issues);
        if (name && id && kind && regions) {
            accounts.push({ name, id, kind, regions, roleArn, logs, lambdaConcurrencyQuota, email, controlTower, services, malwareProtectionS3Buckets });
        }
    });
    return accounts;
}

function parseAccountLogs(value: unknown, at: string, issues: Issues): AccountLogs {
    const logs: AccountLogs = { vpcFlowLogs: {}, dnsQueryLogs: {}, wafWebAclArns: [], securityHubFindings: true, cloudTrail: true };
    if (value === undefined) return logs;
    if (!isRecord(value)) {
        issues.add(at, `must be an object, got ${describe(value)}`, "give {vpcFlowLogs, dnsQueryLogs, wafWebAclArns, securityHubFindings, cloudTrail}");
        return logs;
    }
    unknownKeys(value, at, ["vpcFlowLogs", "dnsQueryLogs", "wafWebAclArns", "securityHubFindings", "cloudTrail"], issues);
    logs.vpcFlowLogs = vpcsByRegion(value.vpcFlowLogs, `${at}.vpcFlowLogs`, issues);
    logs.dnsQueryLogs = vpcsByRegion(value.dnsQueryLogs, `${at}.dnsQueryLogs`, issues);
    logs.wafWebAclArns = list(value.wafWebAclArns ?? [], `${at}.wafWebAclArns`, issues, (v, k) => str(v, k, issues, {
        pattern: /^arn:aws(-cn|-us-gov)?:wafv2:[a-z0-9-]+:\d{12}:(regional|global)\/webacl\/[\w-]+\/[\w-]+$/,
        hint: "a WAFv2 web ACL ARN such as arn:aws:wafv2:us-east-1:111111111111:regional/webacl/main/abcd-1234",
    })) ?? [];
    logs.securityHubFindings = bool(value.securityHubFindings, `${at}.securityHubFindings`, issues, true);
    logs.cloudTrail = bool(value.cloudTrail, `${at}.cloudTrail`, issues, true);
    return logs;
}

function vpcsByRegion(value: unknown, at: string, issues: Issues): Record<string, string[]> {
    if (value === undefined) return {};
    if (!isRecord(value)) {
        issues.add(at, `must map regions to VPC id lists, got ${describe(value)}`, "write e.g. {us-east-1: [vpc-0123456789abcdef0]}");
        return {};
    }
    const out: Record<string, string[]> = {};
    for (const [r, ids] of Object.entries(value)) {
        const reg = region(r, `${at}.${r}`, issues);
        const vpcs = list(ids, `${at}.${r}`, issues, (v, k) => str(v, k, issues, { pattern: /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/, hint: "a VPC id such as vpc-0123456789abcdef0" }));
        if (reg && vpcs) out[reg] = vpcs;
    }
    return out;
}

/** Where a web ACL's logs must be delivered: its own region, or us-east-1 for CloudFront (global) ACLs. */
export function wafRegion(arn: string): string {
    return wafLoggingRegion(arn);
}

function validateAccountLogs(account: AccountConfig, issues: Issues): void {
    const at = `guardpost:accounts[${account.name}].logs`;
    for (const [kind, byRegion] of [["vpcFlowLogs", account.logs.vpcFlowLogs], ["dnsQueryLogs", account.logs.dnsQueryLogs]] as const) {
        for (const r of Object.keys(byRegion)) {
            if (!account.regions.includes(r)) issues.add(`${at}.${kind}.${r}`, `region ${r} is not one of the account's regions (${account.regions.join(", ")})`, `add ${r} to the account's regions or remove these VPCs`);
        }
    }
    for (const arn of account.logs.wafWebAclArns) {
        const owner = arn.split(":")[4];
        const arnPartition = partitionOfArn(arn);
        const partition = account.regions.length > 0 ? safePartition(account.regions[0]) : undefined;
        if (partition && arnPartition !== partition) issues.add(`${at}.wafWebAclArns`, `${arn} is in partition '${arnPartition}', the account's regions in '${partition}'`, `list web ACLs of partition ${partition} only`);
        if (owner !== account.id) issues.add(`${at}.wafWebAclArns`, `${arn} belongs to account ${owner}, not ${account.id}`, "list each web ACL under the account that owns it");
        const r = wafRegion(arn);
        if (!account.regions.includes(r)) issues.add(`${at}.wafWebAclArns`, `${arn} logs in ${r}, which is not one of the account's regions`, `add ${r} to the account's regions`);
    }
}

function parseDetection(value: unknown, accounts: AccountConfig[], issues: Issues, homeRegion: string, organization: boolean): DetectionConfig {
    const at = "guardpost:detection";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["findingPublishingFrequency", "protections", "trustedIpLists", "threatIntelSets", "detective", "securityHub", "awsConfig", "findingsExport"], issues);
    const p = object(v.protections, `${at}.protections`, issues);
    unknownKeys(p, `${at}.protections`, ["s3DataEvents", "eksAuditLogs", "ebsMalwareProtection", "rdsLoginEvents", "lambdaNetworkLogs", "runtimeMonitoring", "eksRuntimeMonitoring", "agentManagement", "aiProtection", "aiAnalyst", "malwareProtectionS3"], issues);
    const agents = object(p.agentManagement, `${at}.protections.agentManagement`, issues);
    unknownKeys(agents, `${at}.protections.agentManagement`, ["eks", "ecsFargate", "ec2"], issues);
    const protections: ProtectionPlans = {
        s3DataEvents: bool(p.s3DataEvents, `${at}.protections.s3DataEvents`, issues, true),
        eksAuditLogs: bool(p.eksAuditLogs, `${at}.protections.eksAuditLogs`, issues, true),
        ebsMalwareProtection: bool(p.ebsMalwareProtection, `${at}.protections.ebsMalwareProtection`, issues, true),
        rdsLoginEvents: bool(p.rdsLoginEvents, `${at}.protections.rdsLoginEvents`, issues, true),
        lambdaNetworkLogs: bool(p.lambdaNetworkLogs, `${at}.protections.lambdaNetworkLogs`, issues, true),
        runtimeMonitoring: bool(p.runtimeMonitoring, `${at}.protections.runtimeMonitoring`, issues, false),
        eksRuntimeMonitoring: bool(p.eksRuntimeMonitoring, `${at}.protections.eksRuntimeMonitoring`, issues, false),
        aiProtection: bool(p.aiProtection, `${at}.protections.aiProtection`, issues, false),
        aiAnalyst: bool(p.aiAnalyst, `${at}.protections.aiAnalyst`, issues, false),
        malwareProtectionS3: bool(p.malwareProtectionS3, `${at}.protections.malwareProtectionS3`, issues, false),
        agentManagement: {
            eks: bool(agents.eks, `${at}.protections.agentManagement.eks`, issues, false),
            ecsFargate: bool(agents.ecsFargate, `${at}.protections.agentManagement.ecsFargate`, issues, false),
            ec2: bool(agents.ec2, `${at}.protections.agentManagement.ec2`, issues, false),
        },
    };
    if (protections.runtimeMonitoring && protections.eksRuntimeMonitoring) {
        issues.add(`${at}.protections`, "runtimeMonitoring and eksRuntimeMonitoring are both true; GuardDuty rejects enabling both", "keep runtimeMonitoring (it covers EKS) and set eksRuntimeMonitoring: false");
    }
    const agentOn = Object.values(protections.agentManagement).some(Boolean);
    if (agentOn && !protections.runtimeMonitoring) {
        issues.add(`${at}.protections.agentManagement`, "agent management is on but runtimeMonitoring is off", "set protections.runtimeMonitoring: true, or turn agent management off");
    }
    const sh = object(v.securityHub, `${at}.securityHub`, issues);
    unknownKeys(sh, `${at}.securityHub`, ["enabled", "standards", "policyTargets"], issues);
    const standards = list(sh.standards ?? ["fsbp", "cis-3.0"], `${at}.securityHub.standards`, issues, (s, k) => oneOf(s, k, issues, STANDARD_SHORT_NAMES)) ?? [];
    const securityHubEnabled = bool(sh.enabled, `${at}.securityHub.enabled`, issues, true);
    const policyTargets = list(sh.policyTargets ?? [], `${at}.securityHub.policyTargets`, issues, (t, k) => str(t, k, issues, { pattern: /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/, hint: "the organization root id (r-…) or an OU id (ou-…-…), from `aws organizations list-roots`" })) ?? [];
    if (organization && securityHubEnabled && policyTargets.length === 0) {
        issues.add(`${at}.securityHub.policyTargets`, "is empty: Security Hub central configuration needs a root or OUs to associate its policy with, or existing accounts get no standards", "set it to your organization's root id, e.g. [r-ab12] (`aws organizations list-roots --query 'Roots[0].Id'`), or to the OU ids to cover");
    }
    if (!organization && policyTargets.length > 0) {
        issues.add(`${at}.securityHub.policyTargets`, "is set but guardpost:organization is false", "remove it: standalone accounts subscribe their standards themselves");
    }
    const cfg = object(v.awsConfig, `${at}.awsConfig`, issues);
    unknownKeys(cfg, `${at}.awsConfig`, ["enabled", "globalResourcesRegion", "archiveAccount", "archiveRetentionDays"], issues);
    // Security Hub's Config.1 passes only where global types are recorded; with cross-Region aggregation
    // the home (aggregation) region is where they are expected (https://docs.aws.amazon.com/securityhub/latest/userguide/controls-to-disable.html).
    const globalRegion = region(cfg.globalResourcesRegion ?? homeRegion, `${at}.awsConfig.globalResourcesRegion`, issues) ?? homeRegion;
    if (!canRecordIamGlobalTypes(globalRegion)) {
        issues.add(`${at}.awsConfig.globalResourcesRegion`, `${globalRegion} (${NO_IAM_GLOBAL_RECORDING[globalRegion]}) opened to AWS Config after February 2022, and AWS Config cannot record IAM users, groups, roles and policies there`, "choose a region AWS Config supported before February 2022, e.g. the home region or us-east-1 (https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html)");
    }
    const archiveAccount = str(cfg.archiveAccount ?? accounts.find(a => a.kind === "security")?.name ?? "security", `${at}.awsConfig.archiveAccount`, issues, { pattern: /^[a-z][a-z0-9-]{0,30}$/, hint: "the name of a configured account, e.g. log-archive" }) ?? "";
    const archive = accounts.find(a => a.name === archiveAccount);
    if (accounts.length > 0 && !archive) {
        issues.add(`${at}.awsConfig.archiveAccount`, `'${archiveAccount}' is not a configured account`, `name one of: ${accounts.map(a => a.name).join(", ")}`);
    } else if (archive && !archive.regions.includes(homeRegion)) {
        issues.add(`${at}.awsConfig.archiveAccount`, `account '${archiveAccount}' does not operate in the home region ${homeRegion}, where the archive bucket lives`, `add ${homeRegion} to its regions`);
    }
    const threatList = (key: string) => list(v[key] ?? [], `${at}.${key}`, issues, (e, k) => parseThreatList(e, k, issues)) ?? [];
    return {
        findingPublishingFrequency: oneOf(v.findingPublishingFrequency ?? "FIFTEEN_MINUTES", `${at}.findingPublishingFrequency`, issues, PUBLISHING_FREQUENCIES) ?? "FIFTEEN_MINUTES",
        protections,
        trustedIpLists: threatList("trustedIpLists"),
        threatIntelSets: threatList("threatIntelSets"),
        detective: bool(v.detective, `${at}.detective`, issues, false),
        securityHub: { enabled: securityHubEnabled, standards, policyTargets },
        awsConfig: {
            enabled: bool(cfg.enabled, `${at}.awsConfig.enabled`, issues, true), globalResourcesRegion: globalRegion, archiveAccount,
            archiveRetentionDays: num(cfg.archiveRetentionDays ?? 2557, `${at}.awsConfig.archiveRetentionDays`, issues, { min: 90, max: 36500, integer: true, hint: "days to keep Config history and exported findings; 2557 = 7 years" }) ?? 2557,
        },
        findingsExport: bool(v.findingsExport, `${at}.findingsExport`, issues, true),
    };
}

function parseThreatList(value: unknown, at: string, issues: Issues): ThreatListConfig | undefined {
    if (!isRecord(value)) {
        issues.add(at, `must be an object, got ${describe(value)}`, "give {name, format, file} or {name, format, s3Url}");
        return undefined;
    }
    const name = str(value.name, `${at}.name`, issues, { pattern: /^[\w.-]{1,300}$/, hint: "letters, digits, '.', '_' or '-'" });
    const format = oneOf(value.format ?? "TXT", `${at}.format`, issues, THREAT_LIST_FORMATS);
    const hasFile = value.file !== undefined;
    const hasUrl = value.s3Url !== undefined;
    if (hasFile === hasUrl) {
        issues.add(at, hasFile ? "has both file and s3Url" : "has neither file nor s3Url", "give exactly one: file (a path in this repo) or s3Url (s3://bucket/key or https://s3.<region>.amazonaws.com/bucket/key)");
    }
    const file = hasFile ? str(value.file, `${at}.file`, issues, { pattern: /^[^\0]+$/, hint: "a path relative to the repo" }) : undefined;
    const s3Url = hasUrl ? str(value.s3Url, `${at}.s3Url`, issues, { pattern: THREAT_LIST_URL, hint: "a location GuardDuty reads: s3://<bucket>/<key>, https://s3.<region>.amazonaws.com/<bucket>/<key> or https://<bucket>.s3.<region>.amazonaws.com/<key> (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html)" }) : undefined;
    return name && format ? { name, format, file, s3Url } : undefined;
}

function parseAlerts(value: unknown, issues: Issues): AlertsConfig {
    const at = "guardpost:alerts";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["minSeverity", "emails", "telegramChatId", "repeat", "quietMinutes", "telegramReservedConcurrency", "failureTopicArns"], issues);
    const minSeverity = num(v.minSeverity ?? 4, `${at}.minSeverity`, issues, { min: 1, max: 10, hint: "GuardDuty severities run 1.0–10.0; 4 = Medium and above, 7 = High and above" }) ?? 4;
    const emails = list(v.emails ?? [], `${at}.emails`, issues, (e, k) => str(e, k, issues, { pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, hint: "an address like secops@example.com" })) ?? [];
    const chat = v.telegramChatId === undefined ? undefined : String(v.telegramChatId);
    if (chat !== undefined && !/^(-?\d{1,20}|@[A-Za-z][\w]{4,31})$/.test(chat)) {
        issues.add(`${at}.telegramChatId`, `'${chat}' is not a Telegram chat id`, "use the numeric id (groups start with -100…) or @channelusername");
    }
    return {
        minSeverity,
        emails,
        telegramChatId: chat,
        repeat: oneOf(v.repeat ?? "every", `${at}.repeat`, issues, REPEAT_MODES) ?? "every",
        quietMinutes: num(v.quietMinutes ?? 60, `${at}.quietMinutes`, issues, { min: 1, max: 10080, integer: true, hint: "minutes between repeat alerts for a growing count" }) ?? 60,
        failureTopicArns: list(v.failureTopicArns ?? [], `${at}.failureTopicArns`, issues, (t, k) => str(t, k, issues, { pattern: /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, hint: "an SNS topic ARN (one per region with alerts: an alarm notifies topics in its own region)" })) ?? [],
        telegramReservedConcurrency: num(v.telegramReservedConcurrency ?? DEFAULT_TELEGRAM_RESERVED, `${at}.telegramReservedConcurrency`, issues, { min: 0, max: 1000, integer: true, hint: "concurrent executions kept for the Telegram function in each region, 0 for none" }) ?? DEFAULT_TELEGRAM_RESERVED,
    };
}

function parseSiem(value: unknown, security: AccountConfig | undefined, issues: Issues, stage = "dev"): SiemConfig {
    const at = "guardpost:siem";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["engineVersion", "instanceType", "instanceCount", "dedicatedMasterType", "dedicatedMasterCount", "zoneAwareness", "availabilityZoneCount", "volumeSizeGb", "retentionDays", "adminRoleArn", "allowedCidrs",
        "indexPeriod", "primaryShards", "replicas", "people", "saml", "cognitoDomainPrefix"], issues);
    const engineVersion = str(v.engineVersion ?? "OpenSearch_2.19", `${at}.engineVersion`, issues, { pattern: /^OpenSearch_2\.\d+$/, hint: "an OpenSearch 2.x engine such as OpenSearch_2.19" }) ?? "OpenSearch_2.19";
    const instanceType = str(v.instanceType ?? "r6g.large.search", `${at}.instanceType`, issues, { pattern: /^[a-z0-9]+\.[a-z0-9]+\.search$/, hint: "an OpenSearch instance type such as r6g.large.search" }) ?? "r6g.large.search";
    const instanceCount = num(v.instanceCount ?? 1, `${at}.instanceCount`, issues, { min: 1, max: 80, integer: true, hint: "data nodes, 1–80" }) ?? 1;
    const dedicatedMasterCount = num(v.dedicatedMasterCount ?? 0, `${at}.dedicatedMasterCount`, issues, { min: 0, max: 5, integer: true, hint: "0, 3 or 5" }) ?? 0;
    if (![0, 3, 5].includes(dedicatedMasterCount)) issues.add(`${at}.dedicatedMasterCount`, `${dedicatedMasterCount} dedicated masters cannot form a safe quorum`, "use 0, 3 or 5");
    const dedicatedMasterType = v.dedicatedMasterType === undefined ? undefined : str(v.dedicatedMasterType, `${at}.dedicatedMasterType`, issues, { pattern: /^[a-z0-9]+\.[a-z0-9]+\.search$/, hint: "e.g. m6g.large.search" });
    if (dedicatedMasterCount > 0 && !dedicatedMasterType) issues.add(`${at}.dedicatedMasterType`, "is missing while dedicatedMasterCount > 0", "set an instance type such as m6g.large.search");
    const zoneAwareness = bool(v.zoneAwareness, `${at}.zoneAwareness`, issues, false);
    const availabilityZoneCount = num(v.availabilityZoneCount ?? (zoneAwareness ? 2 : 1), `${at}.availabilityZoneCount`, issues, { min: 1, max: 3, integer: true, hint: "2 or 3 with zone awareness" }) ?? 1;
    if (zoneAwareness && availabilityZoneCount < 2) issues.add(`${at}.availabilityZoneCount`, "must be 2 or 3 with zoneAwareness", "set availabilityZoneCount: 2 or 3");
    if (zoneAwareness && instanceCount % availabilityZoneCount !== 0) issues.add(`${at}.instanceCount`, `${instanceCount} data nodes cannot spread evenly over ${availabilityZoneCount} zones`, `use a multiple of ${availabilityZoneCount}`);
    const volumeSizeGb = num(v.volumeSizeGb ?? 20, `${at}.volumeSizeGb`, issues, { min: 10, max: 16384, integer: true, hint: "gp3 GiB per data node" }) ?? 20;
    const retentionDays = num(v.retentionDays ?? 90, `${at}.retentionDays`, issues, { min: 1, max: 3650, integer: true, hint: "days before the ISM policy deletes an index" }) ?? 90;
    const adminRoleArn = v.adminRoleArn === undefined
        ? security?.roleArn ?? ""
        : str(v.adminRoleArn, `${at}.adminRoleArn`, issues, { pattern: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, hint: "an IAM role ARN" }) ?? "";
    const allowedCidrs = list(v.allowedCidrs ?? [], `${at}.allowedCidrs`, issues, (c, k) => str(c, k, issues, { pattern: /^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$|^[0-9a-fA-F:]+\/\d{1,3}$/, hint: "a CIDR such as 203.0.113.0/24" })) ?? [];
    const indexPeriod = oneOf(v.indexPeriod ?? "month", `${at}.indexPeriod`, issues, INDEX_PERIODS) ?? "month";
    const primaryShards = num(v.primaryShards ?? 1, `${at}.primaryShards`, issues, { min: 1, max: 64, integer: true, hint: "primary shards per log index; aim for 10–50 GiB per shard" }) ?? 1;
    const replicas = num(v.replicas ?? (instanceCount > 1 ? 1 : 0), `${at}.replicas`, issues, { min: 0, max: 5, integer: true, hint: "replicas per log index, at most instanceCount - 1" }) ?? 0;
    for (const i of sizingIssues({ retentionDays, indexPeriod, primaryShards, replicas, dataNodes: instanceCount, instanceType })) issues.add(i.key, i.problem, i.fix);
    const people = parsePeople(v.people, `${at}.people`, issues);
    const saml = v.saml === undefined ? undefined : parseSaml(v.saml, `${at}.saml`, issues);
    if (saml && allowedCidrs.length === 0) {
        issues.add(`${at}.allowedCidrs`, "is empty while siem.saml is set; SAML browsers reach the domain unsigned, so its access policy must admit them by source address", "list the networks your analysts sign in from, e.g. [203.0.113.0/24]");
    }
    const cognitoDomainPrefix = str(v.cognitoDomainPrefix ?? `guardpost-${stage}-${security?.id ?? "000000000000"}`, `${at}.cognitoDomainPrefix`, issues, { pattern: /^(?!.*aws)(?!.*amazon)(?!.*cognito)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, hint: "lower-case letters, digits and '-', without 'aws', 'amazon' or 'cognito' (Cognito's rule for domain prefixes)" }) ?? "";
    return { engineVersion, instanceType, instanceCount, dedicatedMasterType, dedicatedMasterCount, zoneAwareness, availabilityZoneCount, volumeSizeGb, retentionDays, adminRoleArn, allowedCidrs,
        indexPeriod, primaryShards, replicas, people, saml, cognitoDomainPrefix };
}

function parsePeople(value: unknown, at: string, issues: Issues): PeopleGroups {
    const v = object(value, at, issues);
    unknownKeys(v, at, ["analystGroup", "adminGroup"], issues);
    const group = (k: keyof PeopleGroups) => str(v[k] ?? DEFAULT_PEOPLE_GROUPS[k], `${at}.${k}`, issues, { pattern: GROUP_NAME, hint: "a group name of letters, digits and _+=,.@- (at most 128)" }) ?? DEFAULT_PEOPLE_GROUPS[k];
    const people = { analystGroup: group("analystGroup"), adminGroup: group("adminGroup") };
    if (people.analystGroup === people.adminGroup) issues.add(`${at}.adminGroup`, `is the same group as analystGroup ('${people.adminGroup}')`, "give admins their own group");
    return people;
}

function parseSaml(value: unknown, at: string, issues: Issues): SamlSignIn | undefined {
    if (!isRecord(value)) {
        issues.add(at, `must be an object, got ${describe(value)}`, "give {entityId, metadataUrl} or {entityId, metadataFile}");
        return undefined;
    }
    unknownKeys(value, at, ["entityId", "metadataUrl", "metadataFile", "rolesKey", "subjectKey", "sessionTimeoutMinutes"], issues);
    const entityId = str(value.entityId, `${at}.entityId`, issues, { pattern: /^\S{1,512}$/, hint: "the IdP's entity id (the entityID attribute of its metadata)" });
    if ((value.metadataUrl === undefined) === (value.metadataFile === undefined)) {
        issues.add(at, value.metadataUrl === undefined ? "has neither metadataUrl nor metadataFile" : "has both metadataUrl and metadataFile", "give exactly one: metadataUrl (https://…, fetched by pulumi up) or metadataFile (a path in this repo)");
    }
    const metadataUrl = value.metadataUrl === undefined ? undefined : str(value.metadataUrl, `${at}.metadataUrl`, issues, { pattern: /^https:\/\/\S+$/, hint: "an https:// URL of the IdP metadata XML" });
    const metadataFile = value.metadataFile === undefined ? undefined : str(value.metadataFile, `${at}.metadataFile`, issues, { pattern: /\.xml$/, hint: "a path to the IdP metadata .xml file" });
    const rolesKey = str(value.rolesKey ?? "Role", `${at}.rolesKey`, issues, { pattern: /^\S{1,256}$/, hint: "the SAML attribute that carries the user's groups" }) ?? "Role";
    const subjectKey = value.subjectKey === undefined ? undefined : str(value.subjectKey, `${at}.subjectKey`, issues, { pattern: /^\S{1,256}$/, hint: "the SAML attribute that carries the user name" });
    const sessionTimeoutMinutes = num(value.sessionTimeoutMinutes ?? 60, `${at}.sessionTimeoutMinutes`, issues, { min: 1, max: 1440, integer: true, hint: "Dashboards session length" }) ?? 60;
    return entityId ? { entityId, metadataUrl, metadataFile, rolesKey, subjectKey, sessionTimeoutMinutes } : undefined;
}

function parseLogs(value: unknown, homeRegion: string, organization: boolean, issues: Issues): LogsConfig {
    const at = "guardpost:logs";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["geoipDatabasePath", "geoipAsnDatabasePath", "trailRegion", "organizationTrail", "retentionDays", "firehoseRetrySeconds", "shipperReservedConcurrency", "relayReservedConcurrency"], issues);
    const organizationTrail = bool(v.organizationTrail, `${at}.organizationTrail`, issues, false);
    if (organizationTrail && !organization) issues.add(`${at}.organizationTrail`, "is true but guardpost:organization is false", "set guardpost:organization: true, or use per-account trails");
    return {
        geoipDatabasePath: str(v.geoipDatabasePath ?? "geoip/GeoLite2-City.mmdb", `${at}.geoipDatabasePath`, issues, { pattern: /\.mmdb$/, hint: "a path to a GeoLite2-City .mmdb file (see the README)" }) ?? "",
        geoipAsnDatabasePath: v.geoipAsnDatabasePath === undefined ? undefined : str(v.geoipAsnDatabasePath, `${at}.geoipAsnDatabasePath`, issues, { pattern: /\.mmdb$/, hint: "a path to a GeoLite2-ASN .mmdb file" }),
        trailRegion: region(v.trailRegion ?? homeRegion, `${at}.trailRegion`, issues) ?? homeRegion,
        organizationTrail,
        retentionDays: num(v.retentionDays ?? 90, `${at}.retentionDays`, issues, { min: 1, max: 3653, integer: true, hint: "days to keep raw logs in S3 and CloudWatch" }) ?? 90,
        firehoseRetrySeconds: num(v.firehoseRetrySeconds ?? 300, `${at}.firehoseRetrySeconds`, issues, { min: 0, max: 7200, integer: true, hint: "Firehose's OpenSearch retry duration, 0–7200" }) ?? 300,
        shipperReservedConcurrency: num(v.shipperReservedConcurrency ?? DEFAULT_SHIPPER_RESERVED, `${at}.shipperReservedConcurrency`, issues, { min: 0, max: 1000, integer: true, hint: "concurrent executions reserved for (and capping) the CloudTrail shipper, 0 for none" }) ?? DEFAULT_SHIPPER_RESERVED,
        relayReservedConcurrency: num(v.relayReservedConcurrency ?? DEFAULT_RELAY_RESERVED, `${at}.relayReservedConcurrency`, issues, { min: 0, max: 1000, integer: true, hint: "concurrent executions reserved for (and capping) the log relay in each relaying region, 0 for none" }) ?? DEFAULT_RELAY_RESERVED,
    };
}

// ---- organizations as they are: partition, regions without an admin, adopt/skip per service ----

function safePartition(region: string): Partition | undefined {
    try { return partitionOf(region); } catch { return undefined; }
}

/**
 * One partition per stack: providers, role ARNs and policies are built for it, and an organization never
 * spans partitions. Every account's regions must be in the home region's partition.
 */
function stackPartition(homeRegion: string, rawAccounts: unknown, issues: Issues): Partition {
    const partition = safePartition(homeRegion) ?? "aws";
    if (!Array.isArray(rawAccounts)) return partition;
    rawAccounts.forEach((entry, i) => {
        if (!isRecord(entry) || !Array.isArray(entry.regions)) return;
        const name = typeof entry.name === "string" ? entry.name : String(i);
        for (const r of entry.regions) {
            const p = typeof r === "string" ? safePartition(r) : undefined;
            if (p && p !== partition) {
                issues.add(`guardpost:accounts[${name}].regions`, `${r} is in partition '${p}' but the home region ${homeRegion} is in '${partition}'`, `deploy each partition (aws, aws-cn, aws-us-gov) from its own stack; remove ${r} here`);
            }
        }
    });
    return partition;
}

/**
 * In an organization, GuardDuty enables members, Security Hub configures them and Detective adds them only
 * in regions where the delegated administrator operates (GuardDuty is regional:
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_organizations.html). A member region the
 * security account does not operate in would have no detector at all.
 */
function validateNoBlindRegion(accounts: AccountConfig[], security: AccountConfig, management: AccountConfig | undefined, issues: Issues): void {
    for (const account of accounts) {
        for (const r of account.regions) {
            if (security.regions.includes(r)) continue;
            issues.add(`guardpost:accounts[${account.name}].regions`,
                `${r} has no delegated administrator: the security account '${security.name}' does not operate there, so nothing enables GuardDuty, Security Hub or Detective for '${account.name}' in ${r}`,
                `add ${r} to the regions of '${security.name}'${management && !management.regions.includes(r) ? ` and of the management account '${management.name}'` : ""}, or remove it from '${account.name}'`);
        }
    }
}

/**
 * Security Hub's central configuration applies its policy "in the home Region and all linked Regions", with no
 * policy for only some of them (https://docs.aws.amazon.com/securityhub/latest/userguide/aggregation-central-configuration.html),
 * and the aggregator links every region any account uses. So an enrolled account gets Security Hub and its
 * standards in each of those regions; where guardpost records no AWS Config for it, the Critical control
 * Config.1 fails. Each account in Security Hub with Config on must therefore operate in every region of the estate.
 */
function validateCentralConfigurationReach(accounts: AccountConfig[], issues: Issues): void {
    const used = new Map<string, string[]>();
    for (const a of accounts) for (const r of a.regions) used.set(r, [...(used.get(r) ?? []), a.name]);
    for (const account of accounts) {
        if (account.services.securityHub.mode === "skip" || account.services.config.mode === "skip") continue;
        const missing = [...used.keys()].filter(r => !account.regions.includes(r));
        if (missing.length === 0) continue;
        issues.add(`guardpost:accounts[${account.name}].regions`,
            `Security Hub's central configuration turns on its standards for '${account.name}' in every region of the organization, ` +
            `but guardpost records AWS Config for it only in ${account.regions.join(", ")}: in ${missing.map(r => `${r} (used by ${used.get(r)!.join(", ")})`).join(", ")} ` +
            `the Critical control Config.1 would fail`,
            `add ${missing.join(", ")} to the regions of '${account.name}', or set its services.securityHub to skip (self-managed)`);
    }
}

const SERVICE_KEYS = ["guardDuty", "securityHub", "config", "detective"] as const;

function parseServices(value: unknown, at: string, regions: string[], controlTower: boolean, issues: Issues): AccountServices {
    const services = managedServices();
    if (controlTower) {
        // Control Tower owns this account's recorder (aws-controltower-BaselineConfigRecorder) and
        // aggregator; a second recorder fails (MaxNumberOfConfigurationRecordersExceededException).
        services.config.mode = "skip";
    }
    if (value === undefined) return services;
    if (!isRecord(value)) {
        issues.add(at, `must be an object, got ${describe(value)}`, "give {guardDuty, securityHub, config, detective}, each manage | adopt | skip");
        return services;
    }
    unknownKeys(value, at, [...SERVICE_KEYS], issues);
    const modeOf = (key: string, v: unknown): { mode?: ServiceMode; rest: Record<string, unknown> } => {
        if (v === undefined) return { rest: {} };
        if (typeof v === "string") return { mode: oneOf(v, `${at}.${key}`, issues, SERVICE_MODES), rest: {} };
        if (isRecord(v)) return { mode: oneOf(v.mode ?? "manage", `${at}.${key}.mode`, issues, SERVICE_MODES), rest: v };
        issues.add(`${at}.${key}`, `${describe(v)} is not allowed`, "use manage, adopt or skip, or {mode: adopt, …ids}");
        return { rest: {} };
    };
    const idsByRegion = (v: unknown, key: string, pattern: RegExp, hint: string): Record<string, string> => {
        if (v === undefined) return {};
        if (!isRecord(v)) {
            issues.add(key, `must map regions to ids, got ${describe(v)}`, `write e.g. {${regions[0] ?? "us-east-1"}: …}`);
            return {};
        }
        const out: Record<string, string> = {};
        for (const [r, id] of Object.entries(v)) {
            if (!regions.includes(r)) issues.add(`${key}.${r}`, `${r} is not one of the account's regions (${regions.join(", ")})`, "list ids only for the account's regions");
            const parsed = str(id, `${key}.${r}`, issues, { pattern, hint });
            if (parsed) out[r] = parsed;
        }
        return out;
    };

    const gd = modeOf("guardDuty", value.guardDuty);
    if (isRecord(value.guardDuty)) unknownKeys(gd.rest, `${at}.guardDuty`, ["mode", "detectorIds"], issues);
    if (gd.mode) services.guardDuty.mode = gd.mode;
    services.guardDuty.detectorIds = idsByRegion(gd.rest.detectorIds, `${at}.guardDuty.detectorIds`, /^[0-9a-f]{32}$/, "the 32-character detector id from `aws guardduty list-detectors --region <region>`");

    const sh = modeOf("securityHub", value.securityHub);
    if (isRecord(value.securityHub)) unknownKeys(sh.rest, `${at}.securityHub`, ["mode"], issues);
    if (sh.mode) services.securityHub.mode = sh.mode;

    const cfg = modeOf("config", value.config);
    if (isRecord(value.config)) unknownKeys(cfg.rest, `${at}.config`, ["mode", "recorderName", "deliveryChannelName"], issues);
    if (cfg.mode) {
        if (controlTower && cfg.mode !== "skip") {
            issues.add(`${at}.config`, `is '${cfg.mode}' but the account is enrolled in Control Tower, whose recorder and aggregator own AWS Config there`, "remove it (Control Tower accounts skip Config), or set controlTower: false if the account is not governed by Control Tower");
        } else {
            services.config.mode = cfg.mode;
        }
    }
    if (services.config.mode === "adopt") {
        const name = (k: string) => str(cfg.rest[k] ?? DEFAULT_ADOPTED_CONFIG_NAME, `${at}.config.${k}`, issues, { pattern: /^[\w.-]{1,256}$/, hint: "the name from `aws configservice describe-configuration-recorders` / `describe-delivery-channels` (usually 'default')" }) ?? DEFAULT_ADOPTED_CONFIG_NAME;
        services.config.recorderName = name("recorderName");
        services.config.deliveryChannelName = name("deliveryChannelName");
    }

    const det = modeOf("detective", value.detective);
    if (isRecord(value.detective)) unknownKeys(det.rest, `${at}.detective`, ["mode", "graphArns"], issues);
    if (det.mode) services.detective.mode = det.mode;
    services.detective.graphArns = idsByRegion(det.rest.graphArns, `${at}.detective.graphArns`, /^arn:aws(-cn|-us-gov)?:detective:[a-z0-9-]+:\d{12}:graph:[0-9a-f]+$/, "the graph ARN from `aws detective list-graphs --region <region>`");
    return services;
}

/** Which accounts declare their own detector, graph and hub, and so which adopt ids are needed. */
function bucketsByRegion(value: unknown, at: string, regions: string[], issues: Issues): Record<string, string[]> {
    if (!isRecord(value)) {
        issues.add(at, `must map regions to bucket names, got ${describe(value)}`, "write e.g. {us-east-1: [uploads-bucket]}");
        return {};
    }
    const out: Record<string, string[]> = {};
    for (const [r, names] of Object.entries(value)) {
        if (!regions.includes(r)) issues.add(`${at}.${r}`, `${r} is not one of the account's regions (${regions.join(", ")})`, "list buckets under the region they are in");
        const parsed = list(names, `${at}.${r}`, issues, (b, k) => str(b, k, issues, { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, hint: "an S3 bucket name" }));
        if (parsed) out[r] = parsed;
    }
    return out;
}

function validateAccountServices(accounts: AccountConfig[], organization: boolean, detection: DetectionConfig, issues: Issues): void {
    const protectedBuckets = accounts.flatMap(a => Object.values(a.malwareProtectionS3Buckets).flat());
    if (detection.protections.malwareProtectionS3 && protectedBuckets.length === 0) {
        issues.add("guardpost:detection.protections.malwareProtectionS3", "is on but no account lists malwareProtectionS3Buckets: Malware Protection for S3 protects named buckets", "list them per account, e.g. `malwareProtectionS3Buckets: {us-east-1: [uploads]}`, or turn the switch off");
    }
    if (!detection.protections.malwareProtectionS3 && protectedBuckets.length > 0) {
        issues.add("guardpost:detection.protections.malwareProtectionS3", `is off but accounts list buckets to protect (${protectedBuckets.join(", ")})`, "set protections.malwareProtectionS3: true, or remove the buckets");
    }
    for (const account of accounts) {
        const at = `guardpost:accounts[${account.name}].services`;
        const s = account.services;
        const member = organization && account.kind === "workload";
        if (organization && account.kind === "security") {
            for (const key of ["guardDuty", "securityHub"] as const) {
                if (s[key].mode === "skip") issues.add(`${at}.${key}`, "is 'skip' on the delegated administrator, which must run the service to administer the organization", "use manage or adopt");
            }
        }
        if (member && s.guardDuty.mode === "skip") {
            issues.add(`${at}.guardDuty`, "is 'skip', but the delegated administrator enables GuardDuty in every organization account (auto-enable ALL)", "remove it: an existing detector is enrolled as it is (adopt and manage mean the same for members)");
        }
        const declaresDetector = !member && s.guardDuty.mode === "adopt";
        if (declaresDetector) {
            const missing = account.regions.filter(r => !s.guardDuty.detectorIds[r]);
            if (missing.length > 0) issues.add(`${at}.guardDuty.detectorIds`, `adopting GuardDuty needs the existing detector id in ${missing.join(", ")}`, "run `aws guardduty list-detectors --region <region>` in the account and add {<region>: <id>}");
        }
        const ownsGraph = organization ? account.kind === "security" : true;
        if (detection.detective && ownsGraph && s.detective.mode === "adopt") {
            const missing = account.regions.filter(r => !s.detective.graphArns[r]);
            if (missing.length > 0) issues.add(`${at}.detective.graphArns`, `adopting Detective needs the existing behavior graph ARN in ${missing.join(", ")}`, "run `aws detective list-graphs --region <region>` in the account and add {<region>: <arn>}");
        }
        if (organization && account.kind !== "security" && !account.email) {
            const needs = [
                account.kind === "management" && s.guardDuty.mode !== "skip" ? "GuardDuty" : "",
                account.kind === "management" && detection.securityHub.enabled && s.securityHub.mode !== "skip" ? "Security Hub" : "",
                detection.detective && s.detective.mode !== "skip" ? "Detective" : "",
            ].filter(Boolean);
            if (needs.length > 0) issues.add(`guardpost:accounts[${account.name}].email`, `is missing: the delegated administrator adds this account as a ${needs.join(" and ")} member, which names it by its root e-mail address`, "add `email: <the account's root e-mail>` (`aws organizations describe-account --account-id <id>`)");
        }
    }
}

const STACK_NAME = /^([\w.-]+\/){0,2}[\w.-]+$/;

function parseEstate(value: unknown, accounts: AccountConfig[], issues: Issues): EstateConfig {
    const at = "guardpost:estate";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["part", "deploys", "accountStacks", "siemEndpoint", "archiveBucket", "archiveKeyArn"], issues);
    const part = oneOf(v.part ?? "all", `${at}.part`, issues, ["all", "core", "accounts"] as const) ?? "all";
    const names = accounts.map(a => a.name);
    const core = accounts.filter(a => a.kind !== "workload").map(a => a.name);
    const deploys = v.deploys === undefined
        ? (part === "core" ? core : part === "all" ? names : [])
        : list(v.deploys, `${at}.deploys`, issues, (d, k) => str(d, k, issues, { pattern: /^[a-z][a-z0-9-]{0,30}$/, hint: "an account name from guardpost:accounts" })) ?? [];
    for (const d of deploys) {
        if (!names.includes(d)) issues.add(`${at}.deploys`, `'${d}' is not one of guardpost:accounts`, "list the account under guardpost:accounts too, or remove it here");
    }
    if (part === "accounts") {
        if (deploys.length === 0) issues.add(`${at}.deploys`, "is missing or empty for an accounts stack", "list the workload accounts this stack deploys");
        const notWorkload = accounts.filter(a => deploys.includes(a.name) && a.kind !== "workload").map(a => a.name);
        if (notWorkload.length > 0) {
            issues.add(`${at}.deploys`, `an accounts stack deploys only workload accounts, not ${notWorkload.join(", ")}`, "deploy the security and management accounts in the core stack (guardpost:estate.part: core)");
        }
    }
    if (part === "core") {
        const missing = core.filter(n => !deploys.includes(n));
        if (missing.length > 0) issues.add(`${at}.deploys`, `the core stack must deploy ${missing.join(", ")}`, "keep the security and management accounts in the core stack: delegation and the SIEM live there");
    }
    const accountStacks = v.accountStacks === undefined ? [] : list(v.accountStacks, `${at}.accountStacks`, issues, (n, k) => str(n, k, issues, { pattern: STACK_NAME, hint: "a stack name such as acme/guardpost/prod-accounts-1" })) ?? [];
    if (part !== "core" && accountStacks.length > 0) issues.add(`${at}.accountStacks`, `is only read by the core stack, but part is '${part}'`, "remove it, or set part: core");
    const siemEndpoint = v.siemEndpoint === undefined ? undefined
        : str(v.siemEndpoint, `${at}.siemEndpoint`, issues, { pattern: /^(https:\/\/)?[a-z0-9.-]+\.(es\.amazonaws\.com(\.cn)?|aos\.[a-z0-9-]+\.on\.aws)\/?$/, hint: "the core stack's siemEndpoint output, e.g. search-siem-prod-abc123.ap-northeast-2.es.amazonaws.com" });
    if (part === "accounts" && v.siemEndpoint === undefined) issues.add(`${at}.siemEndpoint`, "is missing for an accounts stack", "copy the core stack's siemEndpoint output here: pulumi stack output siemEndpoint --stack <core>");
    if (part !== "accounts" && v.siemEndpoint !== undefined) issues.add(`${at}.siemEndpoint`, `is only read by an accounts stack, but part is '${part}'`, "remove it, or set part: accounts");
    const archiveBucket = v.archiveBucket === undefined ? undefined
        : str(v.archiveBucket, `${at}.archiveBucket`, issues, { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, hint: "the core stack's archiveBucket output" });
    const archiveKeyArn = v.archiveKeyArn === undefined ? undefined
        : str(v.archiveKeyArn, `${at}.archiveKeyArn`, issues, { pattern: /^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, hint: "the core stack's archiveKeyArn output (a KMS key ARN)" });
    if (part !== "accounts" && (archiveBucket !== undefined || archiveKeyArn !== undefined)) {
        issues.add(`${at}.archiveBucket`, `is only read by an accounts stack, but part is '${part}'`, "remove archiveBucket and archiveKeyArn, or set part: accounts");
    }
    const archive = archiveBucket && archiveKeyArn ? { bucketName: archiveBucket, kmsKeyArn: archiveKeyArn } : undefined;
    return { part, deploys, accountStacks, siemEndpoint, archive };
}

/** An accounts stack's Config recorders deliver to the core's archive, which only the core declares. */
function validateEstateArchive(estate: EstateConfig, configEnabled: boolean, issues: Issues): void {
    if (estate.part === "accounts" && configEnabled && !estate.archive) {
        issues.add("guardpost:estate.archiveBucket", "is missing for an accounts stack with AWS Config on: its recorders deliver to the core stack's archive",
            "copy the core's outputs here: pulumi stack output archiveBucket / archiveKeyArn --stack <core> (estate.archiveBucket, estate.archiveKeyArn)");
    }
}

// ---- small typed readers; each records a problem and returns undefined instead of throwing ----

function describe(v: unknown): string {
    if (v === undefined) return "nothing";
    if (typeof v === "string") return `'${v}'`;
    return JSON.stringify(v);
}

function object(v: unknown, at: string, issues: Issues): Record<string, unknown> {
    if (v === undefined) return {};
    if (isRecord(v)) return v;
    issues.add(at, `must be an object, got ${describe(v)}`, "write it as a YAML mapping");
    return {};
}

function unknownKeys(v: Record<string, unknown>, at: string, known: string[], issues: Issues): void {
    for (const k of Object.keys(v)) {
        if (!known.includes(k)) issues.add(`${at}.${k}`, "is not a known key", `known keys: ${known.join(", ")}`);
    }
}

function str(v: unknown, at: string, issues: Issues, rule: { pattern: RegExp; hint: string }): string | undefined {
    if (typeof v !== "string" || !rule.pattern.test(v)) {
        issues.add(at, v === undefined ? "is missing" : `${describe(v)} is not valid`, `use ${rule.hint}`);
        return undefined;
    }
    return v;
}

function bool(v: unknown, at: string, issues: Issues, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v === "boolean") return v;
    issues.add(at, `${describe(v)} is not a boolean`, "use true or false");
    return fallback;
}

function num(v: unknown, at: string, issues: Issues, rule: { min: number; max: number; integer?: boolean; hint: string }): number | undefined {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < rule.min || n > rule.max || (rule.integer && !Number.isInteger(n))) {
        issues.add(at, `${describe(v)} is out of range`, `use ${rule.integer ? "a whole number" : "a number"} from ${rule.min} to ${rule.max} (${rule.hint})`);
        return undefined;
    }
    return n;
}

function oneOf<T extends string>(v: unknown, at: string, issues: Issues, allowed: readonly T[]): T | undefined {
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    issues.add(at, `${describe(v)} is not allowed`, `use one of: ${allowed.join(", ")}`);
    return undefined;
}

function region(v: unknown, at: string, issues: Issues): string | undefined {
    return oneOf(v, at, issues, KNOWN_REGIONS);
}

function list<T>(v: unknown, at: string, issues: Issues, item: (e: unknown, at: string) => T | undefined): T[] | undefined {
    if (!Array.isArray(v)) {
        issues.add(at, `must be a list, got ${describe(v)}`, "write it as a YAML list");
        return undefined;
    }
    const out: T[] = [];
    v.forEach((e, i) => {
        const parsed = item(e, `${at}[${i}]`);
        if (parsed !== undefined) out.push(parsed);
    });
    return out;
}

/** Secrets a stack's config makes necessary: `guardpost:<key>` → why it is needed. */
export function requiredSecrets(cfg: GuardpostConfig): Record<string, string> {
    const needed: Record<string, string> = {};
    if (cfg.alerts.telegramChatId) needed["guardpost:telegramBotToken"] = "alerts.telegramChatId is set, so the Telegram function needs the bot token";
    return needed;
}

/**
 * The secrets this stack needs but does not have, as one ConfigError naming the command that sets each.
 * Pulumi.yaml cannot declare a key optional (a declared key without a default is required in every stack,
 * https://github.com/pulumi/pulumi/issues/21797), so the program checks the keys where they are used.
 */
export function missingSecrets(raw: RawConfig, cfg: GuardpostConfig, stack: string): ConfigError | undefined {
    const issues = Object.entries(requiredSecrets(cfg))
        .filter(([key]) => raw[key] === undefined || raw[key] === "")
        .map(([key, why]) => ({ key, problem: `is not set, but ${why}`, fix: `run \`pulumi config set --secret ${key} <value> --stack ${stack}\`` }));
    return issues.length > 0 ? new ConfigError(issues) : undefined;
}

/**
 * Concurrency guardpost reserves in one account × region: the shipper where the trail is, the log relay where
 * sources outside the home region are relayed, Telegram everywhere.
 */
export function reservedConcurrencyIn(cfg: Pick<GuardpostConfig, "alerts" | "logs" | "homeRegion" | "organization"> & { detection: { securityHub: { enabled: boolean } } },
    account: AccountConfig, region: string): number {
    const trailHome = account.regions.includes(cfg.logs.trailRegion) ? cfg.logs.trailRegion : account.regions[0];
    const hasTrail = region === trailHome && (cfg.logs.organizationTrail ? account.kind === "management" : account.logs.cloudTrail);
    const securityHub = shipsSecurityHubFrom({ securityHubEnabled: cfg.detection.securityHub.enabled, organization: cfg.organization, homeRegion: cfg.homeRegion, account }, region);
    const relays = relayedSources(account.logs, region, cfg.homeRegion, securityHub).length > 0;
    return (hasTrail ? cfg.logs.shipperReservedConcurrency : 0) + (relays ? cfg.logs.relayReservedConcurrency : 0)
        + (cfg.alerts.telegramChatId ? cfg.alerts.telegramReservedConcurrency : 0);
}

/**
 * Reservations must leave the account's unreserved pool at 100 or more in every region (quota per region),
 * or Lambda refuses them at deploy time — checked here, before anything is created.
 */
function checkLambdaConcurrency(accounts: AccountConfig[], alerts: AlertsConfig, logs: LogsConfig, homeRegion: string, organization: boolean, securityHub: boolean, issues: Issues): void {
    for (const account of accounts) {
        for (const region of account.regions) {
            const reserved = reservedConcurrencyIn({ alerts, logs, homeRegion, organization, detection: { securityHub: { enabled: securityHub } } }, account, region);
            const room = account.lambdaConcurrencyQuota - UNRESERVED_CONCURRENCY_FLOOR;
            if (reserved > 0 && reserved > room) {
                issues.add(`guardpost:accounts[${account.name}].lambdaConcurrencyQuota`,
                    `guardpost reserves ${reserved} concurrent executions in ${region} (logs.shipperReservedConcurrency, logs.relayReservedConcurrency where it relays, alerts.telegramReservedConcurrency) but a quota of ${account.lambdaConcurrencyQuota} leaves only ${Math.max(0, room)} above the 100 Lambda keeps unreserved`,
                    `request a higher "Concurrent executions" quota (Service Quotas, code L-B99A9384) in ${region} and set lambdaConcurrencyQuota to it, or lower the reservations (0 = none)`);
            }
        }
    }
}
