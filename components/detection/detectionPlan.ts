/**
 * The pure part of the detection baseline: argument validation, which GuardDuty features to declare, and
 * where threat lists live. No Pulumi imports, so every rule is testable on its own.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { partitionOf, resolveStandards } from "./securityHubStandards";
import type { DetectionBaselineArgs } from "./detectionArgs";
import { isThreatListUrl } from "../../model/threatListLocation";
import { SERVICE_MODES } from "../../model/services";
import {
    DETECTION_MODES, MAX_THREAT_INTEL_SETS, MAX_TRUSTED_IP_LISTS, ProtectionSwitches, PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS, ThreatList,
} from "../../model/detection";

export {
    DETECTION_MODES, MAX_THREAT_INTEL_SETS, MAX_TRUSTED_IP_LISTS, PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS,
} from "../../model/detection";
export type { DetectionMode, ProtectionSwitches, ThreatList } from "../../model/detection";

export interface FeaturePlan {
    name: string;
    enabled: boolean;
    additional: { name: string; enabled: boolean }[];
}

const SIMPLE_FEATURES: [string, keyof Omit<ProtectionSwitches, "agentManagement" | "runtimeMonitoring" | "eksRuntimeMonitoring" | "malwareProtectionS3">][] = [
    ["S3_DATA_EVENTS", "s3DataEvents"],
    ["EKS_AUDIT_LOGS", "eksAuditLogs"],
    ["EBS_MALWARE_PROTECTION", "ebsMalwareProtection"],
    ["RDS_LOGIN_EVENTS", "rdsLoginEvents"],
    ["LAMBDA_NETWORK_LOGS", "lambdaNetworkLogs"],
    ["AI_PROTECTION", "aiProtection"],
    ["AI_ANALYST", "aiAnalyst"],
];

/**
 * The features `MemberDetectorFeature` accepts in @pulumi/aws 7.48 (its `name` docs list seven): what the
 * administrator can set on the management account, which auto-enable never covers.
 */
export const MEMBER_FEATURES: readonly string[] = [
    "S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING", "LAMBDA_NETWORK_LOGS",
];

/**
 * One plan per GuardDuty feature to declare, in the order to apply them. Both runtime features are
 * always declared, the one not in use DISABLED: deleting a DetectorFeature (or an organization feature)
 * only forgets it and leaves the plan on and billed, so switching EKS_RUNTIME_MONITORING off, or
 * migrating to RUNTIME_MONITORING, must be an explicit disable. GuardDuty refuses only a request that
 * names both, and each feature resource is its own UpdateDetector request. The runtime feature in use
 * comes before the unused one (GuardDuty's migration order: enable the new, then disable the old), so
 * there is no gap in coverage while switching.
 */
export function planFeatures(p: ProtectionSwitches): FeaturePlan[] {
    const plans: FeaturePlan[] = SIMPLE_FEATURES.map(([name, key]) => ({ name, enabled: p[key], additional: [] }));
    const runtimeOn = p.runtimeMonitoring;
    const eksOn = p.eksRuntimeMonitoring && !runtimeOn;
    const runtime: FeaturePlan = {
        name: "RUNTIME_MONITORING",
        enabled: runtimeOn,
        additional: [
            { name: "EKS_ADDON_MANAGEMENT", enabled: runtimeOn && p.agentManagement.eks },
            { name: "ECS_FARGATE_AGENT_MANAGEMENT", enabled: runtimeOn && p.agentManagement.ecsFargate },
            { name: "EC2_AGENT_MANAGEMENT", enabled: runtimeOn && p.agentManagement.ec2 },
        ],
    };
    const eks: FeaturePlan = {
        name: "EKS_RUNTIME_MONITORING",
        enabled: eksOn,
        additional: [{ name: "EKS_ADDON_MANAGEMENT", enabled: eksOn && p.agentManagement.eks }],
    };
    plans.push(...(eksOn ? [eks, runtime] : [runtime, eks]));
    return plans;
}

export function enabledFeatureNames(p: ProtectionSwitches): string[] {
    return planFeatures(p).filter(f => f.enabled).map(f => f.name);
}

/** Lower-case slug for resource names and object keys. */
export function slug(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "list";
}

/**
 * The object key a repository list is uploaded to. It holds a digest of the content: GuardDuty reads a
 * list when it is activated, so a changed file must change the location to make the provider update the
 * set and GuardDuty read the new content.
 */
export function threatListKey(kind: "trusted-ip-lists" | "threat-intel-sets", list: ThreatList, content: Buffer | string): string {
    const digest = crypto.createHash("sha256").update(content).digest("hex").slice(0, 12);
    return `${kind}/${slug(list.name)}/${digest}/${path.basename(list.file ?? "list")}`;
}

/**
 * The location GuardDuty reads a list from: the `s3://<bucket>/<key>` URI, one of the forms GuardDuty documents
 * ("Format of location URL", https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-lists-create-activate.html)
 * and the one that names no endpoint. Endpoint URLs would not do everywhere: the global `s3.amazonaws.com` serves
 * no bucket of a region launched after March 20, 2019 directly (400 Bad Request,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html), and the legacy `s3-<region>` hosts
 * exist only for older regions — China and newer regions have only `s3.<region>`
 * (https://docs.aws.amazon.com/general/latest/gr/s3.html). See `model/threatListLocation.ts` for every form
 * accepted in config. `region` is kept for callers; the URI does not depend on it.
 */
export function threatListLocation(bucket: string, key: string, _region?: string): string {
    return `s3://${bucket}/${key}`;
}

/** Validation reads the component's own args; the type is shared, so the two cannot drift. */
export type ValidatedArgs = DetectionBaselineArgs;

const ACCOUNT_ID = /^\d{12}$/;

/** Throw one error listing every problem with the arguments, each naming the field and the fix. */
export function validateDetectionArgs(name: string, a: ValidatedArgs): void {
    const problems: string[] = [];
    const check = (ok: boolean, message: string) => { if (!ok) problems.push(message); };
    const region = (value: string, field: string) => {
        try { partitionOf(value); } catch (e) { problems.push(`${field}: ${(e as Error).message}`); }
    };

    check(ACCOUNT_ID.test(a.accountId ?? ""), `accountId must be a 12-digit account id, got '${a.accountId}'`);
    region(a.region, "region");
    region(a.homeRegion, "homeRegion");
    check((DETECTION_MODES as readonly string[]).includes(a.mode), `mode must be one of ${DETECTION_MODES.join(", ")}, got '${a.mode}'`);
    if (a.mode === "management") {
        check(ACCOUNT_ID.test(a.adminAccountId ?? ""), `adminAccountId is required in management mode (the security account to delegate to), got '${a.adminAccountId ?? ""}'`);
        check(a.adminAccountId !== a.accountId, "adminAccountId must differ from accountId: Detective and Security Hub refuse the management account as delegated admin");
    }
    if (a.findingPublishingFrequency !== undefined) {
        check((PUBLISHING_FREQUENCIES as readonly string[]).includes(a.findingPublishingFrequency),
            `findingPublishingFrequency must be one of ${PUBLISHING_FREQUENCIES.join(", ")}, got '${a.findingPublishingFrequency}'`);
    }
    validateProtections(a.protections, problems);
    validateLists("trustedIpLists", a.trustedIpLists ?? [], MAX_TRUSTED_IP_LISTS, a.baseDir ?? process.cwd(), problems);
    validateLists("threatIntelSets", a.threatIntelSets ?? [], MAX_THREAT_INTEL_SETS, a.baseDir ?? process.cwd(), problems);
    check(typeof a.detective === "boolean", "detective must be true or false");
    if (a.securityHub?.enabled) {
        try { resolveStandards(a.securityHub.standards ?? [], a.region); } catch (e) { problems.push(`securityHub.standards: ${(e as Error).message}`); }
    }
    check(typeof a.awsConfig?.enabled === "boolean" && typeof a.awsConfig?.includeGlobalResourceTypes === "boolean",
        "awsConfig needs boolean enabled and includeGlobalResourceTypes");
    validateServices(a, problems);
    if (problems.length > 0) {
        throw new Error(`DetectionBaseline ${name}: invalid arguments:\n  - ${problems.join("\n  - ")}`);
    }
}

function validateProtections(p: ProtectionSwitches | undefined, problems: string[]): void {
    if (!p) {
        problems.push("protections is required");
        return;
    }
    const flags = [...SIMPLE_FEATURES.map(([, key]) => key), "runtimeMonitoring", "eksRuntimeMonitoring"] as const;
    for (const key of flags) {
        if (typeof p[key] !== "boolean") problems.push(`protections.${key} must be true or false, got ${JSON.stringify(p[key])}`);
    }
    const agents = p.agentManagement;
    if (!agents || [agents.eks, agents.ecsFargate, agents.ec2].some(v => typeof v !== "boolean")) {
        problems.push("protections.agentManagement needs boolean eks, ecsFargate and ec2");
        return;
    }
    if (p.runtimeMonitoring && p.eksRuntimeMonitoring) {
        problems.push("protections.runtimeMonitoring and protections.eksRuntimeMonitoring cannot both be on: GuardDuty rejects RUNTIME_MONITORING with EKS_RUNTIME_MONITORING; keep runtimeMonitoring (it covers EKS) and turn eksRuntimeMonitoring off");
    }
    if (!p.runtimeMonitoring && !p.eksRuntimeMonitoring && (agents.eks || agents.ecsFargate || agents.ec2)) {
        problems.push("protections.agentManagement needs protections.runtimeMonitoring on: there is no agent to manage without runtime monitoring");
    }
    if (p.eksRuntimeMonitoring && (agents.ecsFargate || agents.ec2)) {
        problems.push("protections.agentManagement.ecsFargate and .ec2 need protections.runtimeMonitoring; EKS_RUNTIME_MONITORING only manages the EKS add-on");
    }
}

function validateLists(field: string, lists: ThreatList[], max: number, baseDir: string, problems: string[]): void {
    if (lists.length > max) {
        problems.push(`${field}: GuardDuty allows at most ${max} per account and region, got ${lists.length}`);
    }
    const names = new Set<string>();
    lists.forEach((list, i) => {
        const at = `${field}[${i}]`;
        if (!list.name || list.name.length > 300) problems.push(`${at}.name must be 1–300 characters`);
        if (names.has(slug(list.name ?? ""))) problems.push(`${at}.name '${list.name}' is used twice; give every list a unique name`);
        names.add(slug(list.name ?? ""));
        if (!(THREAT_LIST_FORMATS as readonly string[]).includes(list.format)) {
            problems.push(`${at}.format must be one of ${THREAT_LIST_FORMATS.join(", ")}, got '${list.format}'`);
        }
        if ((list.file === undefined) === (list.s3Url === undefined)) {
            problems.push(`${at}: give exactly one of file (a path in the repository) or s3Url`);
        } else if (list.file !== undefined && !fs.existsSync(path.resolve(baseDir, list.file))) {
            problems.push(`${at}.file '${list.file}' does not exist (relative to ${baseDir})`);
        } else if (list.s3Url !== undefined && !isThreatListUrl(list.s3Url)) {
            problems.push(`${at}.s3Url must be a location GuardDuty reads, such as s3://my-bucket/list.txt or https://s3.us-east-1.amazonaws.com/my-bucket/list.txt, got '${list.s3Url}'`);
        }
    });
}

/** The per-service plan: known modes, the ids `adopt` imports, and what each mode needs to be declared. */
function validateServices(a: ValidatedArgs, problems: string[]): void {
    const s = a.services;
    if (!s || !s.guardDuty || !s.securityHub || !s.config || !s.detective) {
        problems.push("services is required: {guardDuty, securityHub, config, detective}, each {mode: manage | adopt | skip} (model/services.ts managedServices())");
        return;
    }
    for (const key of ["guardDuty", "securityHub", "config", "detective"] as const) {
        if (!(SERVICE_MODES as readonly string[]).includes(s[key].mode)) problems.push(`services.${key}.mode must be one of ${SERVICE_MODES.join(", ")}, got '${s[key].mode}'`);
    }
    const declaresDetector = a.mode !== "member";
    if (declaresDetector && s.guardDuty.mode === "adopt" && !/^[0-9a-f]{32}$/.test(s.guardDuty.detectorIds?.[a.region] ?? "")) {
        problems.push(`services.guardDuty is adopt but detectorIds has no detector id for ${a.region}; give the existing one (aws guardduty list-detectors --region ${a.region})`);
    }
    if (a.detective && (a.mode === "admin" || a.mode === "standalone") && s.detective.mode === "adopt" && !s.detective.graphArns?.[a.region]) {
        problems.push(`services.detective is adopt but graphArns has no graph for ${a.region}; give the existing one (aws detective list-graphs --region ${a.region})`);
    }
    if (a.mode === "admin" && (s.guardDuty.mode === "skip" || (a.securityHub?.enabled && s.securityHub.mode === "skip"))) {
        problems.push("the delegated administrator cannot skip GuardDuty or Security Hub: it runs them for the organization");
    }
    if (a.awsConfig?.enabled && s.config.mode !== "skip" && !a.configDelivery) {
        problems.push("configDelivery is required when AWS Config is enabled and not skipped: the archive bucket, its key and the service-linked role ARN");
    }
    if (a.mode === "admin") {
        if (!a.organization) {
            problems.push("organization is required in admin mode: the accounts to enroll and the Security Hub policy targets");
        } else {
            for (const acct of a.organization.accounts) {
                const needsEmail = (acct.kind === "management" && acct.services.guardDuty.mode !== "skip")
                    || (a.detective && acct.services.detective.mode !== "skip");
                if (needsEmail && !/^[^\s@]+@[^\s@]+$/.test(acct.email ?? "")) {
                    problems.push(`organization.accounts[${acct.accountId}].email is required: GuardDuty and Detective add members by their root e-mail address`);
                }
            }
            if (a.securityHub?.enabled && a.region === a.homeRegion && a.organization.securityHubPolicyTargets.length === 0) {
                problems.push("organization.securityHubPolicyTargets is empty: central configuration needs the root (r-…) or OUs (ou-…) to associate its policy with");
            }
        }
    }
}

/**
 * The finding aggregator's linked regions: exactly the stack's other regions (`SPECIFIED_REGIONS`), or
 * `NO_REGIONS` when the stack has only the home region
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateFindingAggregator.html).
 */
export function aggregatorLinking(homeRegion: string, regions: readonly string[]): { linkingMode: "SPECIFIED_REGIONS" | "NO_REGIONS"; specifiedRegions?: string[] } {
    const linked = [...new Set(regions)].filter(r => r !== homeRegion).sort();
    return linked.length > 0 ? { linkingMode: "SPECIFIED_REGIONS", specifiedRegions: linked } : { linkingMode: "NO_REGIONS" };
}
