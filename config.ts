/**
 * Stack configuration: read the `guardpost:` namespace, validate every key, and hand the program typed
 * objects. Nothing here declares resources, so bad config fails before any resource exists.
 */
import { PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS, type ProtectionSwitches, type ThreatList } from "./model/detection";
import { ConfigError, Issues, isRecord } from "./configErrors";

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
    securityHub: { enabled: boolean; standards: string[] };
    awsConfig: { enabled: boolean; globalResourcesRegion: string };
}

export interface AlertsConfig {
    minSeverity: number;
    emails: string[];
    telegramChatId?: string;
    repeat: (typeof REPEAT_MODES)[number];
    quietMinutes: number;
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
}

export interface LogsConfig {
    geoipDatabasePath: string;
    geoipAsnDatabasePath?: string;
    trailRegion: string;
    organizationTrail: boolean;
    retentionDays: number;
    firehoseRetrySeconds: number;
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
}

export interface GuardpostConfig {
    estate: EstateConfig;
    stage: string;
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

    const accounts = parseAccounts(read(raw, "accounts"), roleName, issues);
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

    const detection = parseDetection(read(raw, "detection"), accounts, issues);
    const alerts = parseAlerts(read(raw, "alerts"), issues);
    const siem = parseSiem(read(raw, "siem"), securityAccount, issues);
    const logs = parseLogs(read(raw, "logs"), homeRegion, organization, issues);
    const estate = parseEstate(read(raw, "estate"), accounts, issues);
    for (const account of accounts) {
        validateAccountLogs(account, issues);
    }
    if (accounts.length === 0) {
        issues.add("guardpost:accounts", "is missing or empty", "list every account: `- {name: security, id: \"111111111111\", kind: security, regions: [us-east-1]}`");
    }
    issues.throwIfAny();
    return {
        estate, stage, homeRegion, organization, accounts,
        securityAccount: securityAccount!, managementAccount,
        detection, alerts, siem, logs,
    };
}

function parseAccounts(value: unknown, roleName: string, issues: Issues): AccountConfig[] {
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
        let roleArn = id ? `arn:aws:iam::${id}:role/${roleName}` : "";
        if (entry.roleArn !== undefined) {
            roleArn = str(entry.roleArn, `${key}.roleArn`, issues, { pattern: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, hint: "an IAM role ARN such as arn:aws:iam::111111111111:role/guardpost-deployer" }) ?? "";
            const roleAccount = roleArn.split(":")[4];
            if (roleArn && id && roleAccount !== id) {
                issues.add(`${key}.roleArn`, `belongs to account ${roleAccount}, not ${id}`, `use a role in account ${id}`);
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
        if (name && id && kind && regions) {
            accounts.push({ name, id, kind, regions, roleArn, logs });
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
    const [, , , region, , resource] = arn.split(":");
    return resource.startsWith("global/") ? "us-east-1" : region;
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
        if (owner !== account.id) issues.add(`${at}.wafWebAclArns`, `${arn} belongs to account ${owner}, not ${account.id}`, "list each web ACL under the account that owns it");
        const r = wafRegion(arn);
        if (!account.regions.includes(r)) issues.add(`${at}.wafWebAclArns`, `${arn} logs in ${r}, which is not one of the account's regions`, `add ${r} to the account's regions`);
    }
}

function parseDetection(value: unknown, accounts: AccountConfig[], issues: Issues): DetectionConfig {
    const at = "guardpost:detection";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["findingPublishingFrequency", "protections", "trustedIpLists", "threatIntelSets", "detective", "securityHub", "awsConfig"], issues);
    const p = object(v.protections, `${at}.protections`, issues);
    unknownKeys(p, `${at}.protections`, ["s3DataEvents", "eksAuditLogs", "ebsMalwareProtection", "rdsLoginEvents", "lambdaNetworkLogs", "runtimeMonitoring", "eksRuntimeMonitoring", "agentManagement"], issues);
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
    unknownKeys(sh, `${at}.securityHub`, ["enabled", "standards"], issues);
    const standards = list(sh.standards ?? ["fsbp", "cis-3.0"], `${at}.securityHub.standards`, issues, (s, k) => oneOf(s, k, issues, STANDARD_SHORT_NAMES)) ?? [];
    const cfg = object(v.awsConfig, `${at}.awsConfig`, issues);
    unknownKeys(cfg, `${at}.awsConfig`, ["enabled", "globalResourcesRegion"], issues);
    const globalRegion = region(cfg.globalResourcesRegion ?? "us-east-1", `${at}.awsConfig.globalResourcesRegion`, issues) ?? "us-east-1";
    const threatList = (key: string) => list(v[key] ?? [], `${at}.${key}`, issues, (e, k) => parseThreatList(e, k, issues)) ?? [];
    return {
        findingPublishingFrequency: oneOf(v.findingPublishingFrequency ?? "FIFTEEN_MINUTES", `${at}.findingPublishingFrequency`, issues, PUBLISHING_FREQUENCIES) ?? "FIFTEEN_MINUTES",
        protections,
        trustedIpLists: threatList("trustedIpLists"),
        threatIntelSets: threatList("threatIntelSets"),
        detective: bool(v.detective, `${at}.detective`, issues, false),
        securityHub: { enabled: bool(sh.enabled, `${at}.securityHub.enabled`, issues, true), standards },
        awsConfig: { enabled: bool(cfg.enabled, `${at}.awsConfig.enabled`, issues, true), globalResourcesRegion: globalRegion },
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
        issues.add(at, hasFile ? "has both file and s3Url" : "has neither file nor s3Url", "give exactly one: file (a path in this repo) or s3Url (https://s3.amazonaws.com/bucket/key)");
    }
    const file = hasFile ? str(value.file, `${at}.file`, issues, { pattern: /^[^\0]+$/, hint: "a path relative to the repo" }) : undefined;
    const s3Url = hasUrl ? str(value.s3Url, `${at}.s3Url`, issues, { pattern: /^https:\/\/s3[.-]([a-z0-9-]+\.)?amazonaws\.com(\.cn)?\/[^/]+\/.+$/, hint: "https://s3.amazonaws.com/<bucket>/<key>" }) : undefined;
    return name && format ? { name, format, file, s3Url } : undefined;
}

function parseAlerts(value: unknown, issues: Issues): AlertsConfig {
    const at = "guardpost:alerts";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["minSeverity", "emails", "telegramChatId", "repeat", "quietMinutes"], issues);
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
    };
}

function parseSiem(value: unknown, security: AccountConfig | undefined, issues: Issues): SiemConfig {
    const at = "guardpost:siem";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["engineVersion", "instanceType", "instanceCount", "dedicatedMasterType", "dedicatedMasterCount", "zoneAwareness", "availabilityZoneCount", "volumeSizeGb", "retentionDays", "adminRoleArn", "allowedCidrs"], issues);
    const engineVersion = str(v.engineVersion ?? "OpenSearch_2.19", `${at}.engineVersion`, issues, { pattern: /^OpenSearch_2\.\d+$/, hint: "an OpenSearch 2.x engine such as OpenSearch_2.19" }) ?? "OpenSearch_2.19";
    const instanceType = str(v.instanceType ?? "t3.medium.search", `${at}.instanceType`, issues, { pattern: /^[a-z0-9]+\.[a-z0-9]+\.search$/, hint: "an OpenSearch instance type such as r6g.large.search" }) ?? "t3.medium.search";
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
    return { engineVersion, instanceType, instanceCount, dedicatedMasterType, dedicatedMasterCount, zoneAwareness, availabilityZoneCount, volumeSizeGb, retentionDays, adminRoleArn, allowedCidrs };
}

function parseLogs(value: unknown, homeRegion: string, organization: boolean, issues: Issues): LogsConfig {
    const at = "guardpost:logs";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["geoipDatabasePath", "geoipAsnDatabasePath", "trailRegion", "organizationTrail", "retentionDays", "firehoseRetrySeconds"], issues);
    const organizationTrail = bool(v.organizationTrail, `${at}.organizationTrail`, issues, false);
    if (organizationTrail && !organization) issues.add(`${at}.organizationTrail`, "is true but guardpost:organization is false", "set guardpost:organization: true, or use per-account trails");
    return {
        geoipDatabasePath: str(v.geoipDatabasePath ?? "geoip/GeoLite2-City.mmdb", `${at}.geoipDatabasePath`, issues, { pattern: /\.mmdb$/, hint: "a path to a GeoLite2-City .mmdb file (see the README)" }) ?? "",
        geoipAsnDatabasePath: v.geoipAsnDatabasePath === undefined ? undefined : str(v.geoipAsnDatabasePath, `${at}.geoipAsnDatabasePath`, issues, { pattern: /\.mmdb$/, hint: "a path to a GeoLite2-ASN .mmdb file" }),
        trailRegion: region(v.trailRegion ?? homeRegion, `${at}.trailRegion`, issues) ?? homeRegion,
        organizationTrail,
        retentionDays: num(v.retentionDays ?? 90, `${at}.retentionDays`, issues, { min: 1, max: 3653, integer: true, hint: "days to keep raw logs in S3 and CloudWatch" }) ?? 90,
        firehoseRetrySeconds: num(v.firehoseRetrySeconds ?? 300, `${at}.firehoseRetrySeconds`, issues, { min: 0, max: 7200, integer: true, hint: "Firehose's OpenSearch retry duration, 0–7200" }) ?? 300,
    };
}

const STACK_NAME = /^([\w.-]+\/){0,2}[\w.-]+$/;

function parseEstate(value: unknown, accounts: AccountConfig[], issues: Issues): EstateConfig {
    const at = "guardpost:estate";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["part", "deploys", "accountStacks", "siemEndpoint"], issues);
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
    return { part, deploys, accountStacks, siemEndpoint };
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
