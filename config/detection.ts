/**
 * `guardpost:detection` (GuardDuty plans and lists, Security Hub, Detective, AWS Config and its archive),
 * and each account's services (manage, adopt or skip), checked against it.
 */
import { PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS } from "../model/detection";
import { Issues, isRecord } from "../configErrors";
import { canRecordIamGlobalTypes, NO_IAM_GLOBAL_RECORDING } from "../model/awsRegions";
import { THREAT_LIST_URL } from "../model/threatListLocation";
import {
    DEFAULT_ADOPTED_CONFIG_NAME, managedServices, SERVICE_MODES, type AccountServices, type ServiceMode,
} from "../model/services";
import { STANDARD_SHORT_NAMES, type AccountConfig, type DetectionConfig, type ProtectionPlans, type ThreatListConfig } from "./types";
import { bool, describe, list, num, object, oneOf, region, str, unknownKeys } from "./readers";

export function parseDetection(value: unknown, accounts: AccountConfig[], issues: Issues, homeRegion: string, organization: boolean): DetectionConfig {
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

// ---- organizations as they are: adopt/skip per service ----

const SERVICE_KEYS = ["guardDuty", "securityHub", "config", "detective"] as const;

export function parseServices(value: unknown, at: string, regions: string[], controlTower: boolean, issues: Issues): AccountServices {
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
    if (isRecord(value.config)) unknownKeys(cfg.rest, `${at}.config`, ["mode", "recorderName", "deliveryChannelName", "serviceLinkedRole"], issues);
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

    if (cfg.rest.serviceLinkedRole !== undefined) {
        const role = oneOf(cfg.rest.serviceLinkedRole, `${at}.config.serviceLinkedRole`, issues, ["manage", "adopt"] as const);
        if (role && services.config.mode === "skip") {
            issues.add(`${at}.config.serviceLinkedRole`, "is set while Config is skip (guardpost declares nothing for Config here)", "remove it, or set config.mode to manage or adopt");
        } else if (role) services.config.serviceLinkedRole = role;
    }

    const det = modeOf("detective", value.detective);
    if (isRecord(value.detective)) unknownKeys(det.rest, `${at}.detective`, ["mode", "graphArns"], issues);
    if (det.mode) services.detective.mode = det.mode;
    services.detective.graphArns = idsByRegion(det.rest.graphArns, `${at}.detective.graphArns`, /^arn:aws(-cn|-us-gov)?:detective:[a-z0-9-]+:\d{12}:graph:[0-9a-f]+$/, "the graph ARN from `aws detective list-graphs --region <region>`");
    return services;
}

/** Which accounts declare their own detector, graph and hub, and so which adopt ids are needed. */
export function validateAccountServices(accounts: AccountConfig[], organization: boolean, detection: DetectionConfig, issues: Issues): void {
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

/**
 * Security Hub's central configuration applies its policy "in the home Region and all linked Regions", with no
 * policy for only some of them (https://docs.aws.amazon.com/securityhub/latest/userguide/aggregation-central-configuration.html),
 * and the aggregator links every region any account uses. So an enrolled account gets Security Hub and its
 * standards in each of those regions; where guardpost records no AWS Config for it, the Critical control
 * Config.1 fails. Each account in Security Hub with Config on must therefore operate in every region of the estate.
 */
export function validateCentralConfigurationReach(accounts: AccountConfig[], issues: Issues): void {
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
