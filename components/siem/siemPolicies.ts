/**
 * Pure pieces of the SIEM domain: argument validation, cluster sizing and the IAM/KMS/CloudWatch
 * policy documents. No Pulumi resources here, so each rule is testable on its own.
 */
import { cidrTooBroad, MIN_IPV4_PREFIX, MIN_IPV6_PREFIX } from "../../model/siemAccess";

/** How big and how available the domain is. Dev: one small node; prod: three AZs with dedicated masters. */
export interface SiemSizing {
    /** Data node type, e.g. `t3.medium.search` (dev) or `r6g.large.search` (prod). T2 types lack encryption at rest and FGAC. */
    instanceType: string;
    /** Data nodes; a multiple of `availabilityZones` when that is above 1. */
    instanceCount: number;
    /** Dedicated master type (e.g. `m6g.large.search`); omit for none (fine for dev, not for prod). */
    dedicatedMasterType?: string;
    /** Dedicated masters: 3 or 5. Default 3 when `dedicatedMasterType` is set. */
    dedicatedMasterCount?: number;
    /** Zone awareness: 1 (off), 2 or 3 availability zones. Default 1. */
    availabilityZones?: 1 | 2 | 3;
    /** gp3 EBS volume per data node, GiB (10–16384 here; the instance type sets the real ceiling). */
    volumeSizeGiB: number;
    /** gp3 provisioned IOPS (3000–16000); default: the gp3 baseline. */
    iops?: number;
    /** gp3 throughput in MiB/s (125–1000); default: the gp3 baseline. */
    throughputMiBps?: number;
}

export const TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10";
export const DEFAULT_RETENTION_DAYS = 90;
/** Published log types; the slow logs have thresholds in every log index template (siemTemplates.ts). */
export const LOG_TYPES = ["AUDIT_LOGS", "INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS"] as const;

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;

export function isRoleArn(value: string): boolean {
    return ROLE_ARN.test(value);
}

/** Throws when `value` is not an IAM role ARN: a wildcard or an account principal must never reach the policy. */
export function requireRoleArn(what: string, value: string): string {
    if (!isRoleArn(value)) throw new Error(`SiemDomain: ${what} must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got '${value}'`);
    return value;
}

/** `OpenSearch_2.13` → 13; anything that is not OpenSearch 2.x is refused. */
export function engineMinor(engineVersion: string): number {
    const m = /^OpenSearch_2\.(\d{1,2})$/.exec(engineVersion);
    if (!m) throw new Error(`SiemDomain: engineVersion must be 'OpenSearch_2.<minor>' (e.g. OpenSearch_2.13), got '${engineVersion}'`);
    return Number(m[1]);
}

export function validateDomainName(name: string): void {
    if (!/^[a-z][a-z0-9-]{2,27}$/.test(name)) {
        throw new Error(`SiemDomain: domain name '${name}' must be 3–28 characters of lower-case letters, digits and '-', starting with a letter`);
    }
}

export function validateSizing(s: SiemSizing): void {
    const fail = (msg: string) => { throw new Error(`SiemDomain: ${msg}`); };
    if (!/^[a-z0-9]+\.[a-z0-9]+\.search$/.test(s.instanceType)) fail(`instanceType '${s.instanceType}' is not an OpenSearch instance type (e.g. r6g.large.search)`);
    if (s.instanceType.startsWith("t2.")) fail(`instanceType '${s.instanceType}': T2 types support neither encryption at rest nor fine-grained access control`);
    if (!Number.isInteger(s.instanceCount) || s.instanceCount < 1 || s.instanceCount > 80) fail(`instanceCount must be an integer 1–80, got ${s.instanceCount}`);
    const azs = s.availabilityZones ?? 1;
    if (![1, 2, 3].includes(azs)) fail(`availabilityZones must be 1, 2 or 3, got ${azs}`);
    if (azs > 1 && s.instanceCount % azs !== 0) fail(`instanceCount ${s.instanceCount} must be a multiple of availabilityZones ${azs}, so every zone holds the same number of nodes`);
    if (s.dedicatedMasterType !== undefined && !/^[a-z0-9]+\.[a-z0-9]+\.search$/.test(s.dedicatedMasterType)) fail(`dedicatedMasterType '${s.dedicatedMasterType}' is not an OpenSearch instance type`);
    if (s.dedicatedMasterCount !== undefined) {
        if (s.dedicatedMasterType === undefined) fail("dedicatedMasterCount needs dedicatedMasterType");
        if (![3, 5].includes(s.dedicatedMasterCount)) fail(`dedicatedMasterCount must be 3 or 5 (a quorum that survives a lost node), got ${s.dedicatedMasterCount}`);
    }
    if (!Number.isInteger(s.volumeSizeGiB) || s.volumeSizeGiB < 10 || s.volumeSizeGiB > 16384) fail(`volumeSizeGiB must be an integer 10–16384, got ${s.volumeSizeGiB}`);
    if (s.iops !== undefined && (!Number.isInteger(s.iops) || s.iops < 3000 || s.iops > 16000)) fail(`gp3 iops must be 3000–16000, got ${s.iops}`);
    if (s.throughputMiBps !== undefined && (!Number.isInteger(s.throughputMiBps) || s.throughputMiBps < 125 || s.throughputMiBps > 1000)) fail(`gp3 throughputMiBps must be 125–1000, got ${s.throughputMiBps}`);
}

export function validateRetention(days: number): void {
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`SiemDomain: retentionDays must be an integer 1–3650, got ${days}`);
}

/** Validates CIDR blocks for the Dashboards IP allow-list; `0.0.0.0/0` would make the condition meaningless. */
export function validateCidrs(cidrs: string[]): void {
    for (const c of cidrs) {
        const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(c);
        const v6 = /^[0-9a-fA-F:]+\/(\d{1,3})$/.exec(c);
        const ok = v4 ? v4.slice(1, 5).every(o => Number(o) <= 255) && Number(v4[5]) <= 32 : v6 ? Number(v6[1]) <= 128 && c.includes(":") : false;
        if (!ok) throw new Error(`SiemDomain: allowedCidrs entry '${c}' is not a CIDR block`);
        if (/\/0$/.test(c)) throw new Error(`SiemDomain: allowedCidrs entry '${c}' allows every address; omit allowedCidrs instead`);
    }
}

/** The domain's `clusterConfig` and `ebsOptions` from the sizing. */
export interface ClusterSettings {
    clusterConfig: {
        instanceType: string; instanceCount: number; dedicatedMasterEnabled: boolean; dedicatedMasterType?: string;
        dedicatedMasterCount?: number; zoneAwarenessEnabled: boolean; zoneAwarenessConfig?: { availabilityZoneCount: number };
    };
    ebsOptions: { ebsEnabled: boolean; volumeType: string; volumeSize: number; iops?: number; throughput?: number };
}

export function clusterSettings(s: SiemSizing): ClusterSettings {
    const azs = s.availabilityZones ?? 1;
    const masters = s.dedicatedMasterType !== undefined;
    return {
        clusterConfig: {
            instanceType: s.instanceType,
            instanceCount: s.instanceCount,
            dedicatedMasterEnabled: masters,
            ...(masters ? { dedicatedMasterType: s.dedicatedMasterType, dedicatedMasterCount: s.dedicatedMasterCount ?? 3 } : {}),
            zoneAwarenessEnabled: azs > 1,
            ...(azs > 1 ? { zoneAwarenessConfig: { availabilityZoneCount: azs } } : {}),
        },
        ebsOptions: {
            ebsEnabled: true,
            volumeType: "gp3",
            volumeSize: s.volumeSizeGiB,
            ...(s.iops !== undefined ? { iops: s.iops } : {}),
            ...(s.throughputMiBps !== undefined ? { throughput: s.throughputMiBps } : {}),
        },
    };
}

function uniqueSorted(xs: string[]): string[] {
    return [...new Set(xs)].sort();
}

/**
 * The domain access policy: named IAM roles — and, only with SAML sign-in, any principal from `allowedCidrs`:
 * browsers send unsigned requests, so AWS's SAML setup admits them by source address and FGAC authenticates each
 * request (an IAM identity FGAC maps to no role gets nothing). Never an unconditional `Principal: "*"`.
 * - the admin role (Dashboards users), limited to `allowedCidrs` when given;
 * - the deployer role (signs the dynamic providers' requests from CI), not IP-limited;
 * - every log writer role: enough HTTP verbs to bulk-index (and for Firehose's pre-flight GETs), no DELETE.
 * What each may do inside the cluster is then decided by fine-grained access control.
 */
export function domainAccessPolicy(p: { domainArn: string; adminRoleArn: string; deployerRoleArn: string; writerRoleArns: string[]; allowedCidrs?: string[];
    /** IAM roles Cognito hands people (analysts, admins): "The Amazon Cognito authenticated role needs es:ESHttp* permissions for the domain (/*)" (cognito-auth.html). */
    peopleRoleArns?: string[];
    /** SAML sign-in: browsers reach the domain unsigned, so the policy admits any principal — from `allowedCidrs` only (saml.html, "Modifying the domain access policy"); FGAC then authenticates. */
    samlBrowsers?: boolean; }): object {
    const resource = `${p.domainArn}/*`;
    requireRoleArn("adminRoleArn", p.adminRoleArn);
    requireRoleArn("deployerRoleArn", p.deployerRoleArn);
    const writers = uniqueSorted(p.writerRoleArns.map((a, i) => requireRoleArn(`writerRoleArns[${i}]`, a)));
    const statements: object[] = [
        {
            Sid: "Admins",
            Effect: "Allow",
            Principal: { AWS: [p.adminRoleArn] },
            Action: "es:ESHttp*",
            Resource: resource,
            ...(p.allowedCidrs?.length ? { Condition: { IpAddress: { "aws:SourceIp": uniqueSorted(p.allowedCidrs) } } } : {}),
        },
        { Sid: "Deployer", Effect: "Allow", Principal: { AWS: [p.deployerRoleArn] }, Action: "es:ESHttp*", Resource: resource },
    ];
    const ipLimit = p.allowedCidrs?.length ? { Condition: { IpAddress: { "aws:SourceIp": uniqueSorted(p.allowedCidrs) } } } : {};
    if (p.peopleRoleArns?.length) {
        statements.push({ Sid: "People", Effect: "Allow", Principal: { AWS: uniqueSorted(p.peopleRoleArns.map((a, i) => requireRoleArn(`peopleRoleArns[${i}]`, a))) },
            Action: "es:ESHttp*", Resource: resource, ...ipLimit });
    }
    if (p.samlBrowsers) {
        if (!p.allowedCidrs?.length) throw new Error("SiemDomain: SAML sign-in needs allowedCidrs: the domain policy admits SAML browsers by source address only");
        const broad = p.allowedCidrs.filter(cidrTooBroad);
        if (broad.length > 0) throw new Error(`SiemDomain: allowedCidrs ${broad.join(", ")} too broad for SAML browsers (at most /${MIN_IPV4_PREFIX} of IPv4, /${MIN_IPV6_PREFIX} of IPv6): the policy would admit nearly anyone`);
        statements.push({ Sid: "SamlBrowsers", Effect: "Allow", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: resource, ...ipLimit });
    }
    if (writers.length > 0) {
        statements.push({
            Sid: "LogWriters",
            Effect: "Allow",
            Principal: { AWS: writers },
            Action: ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet", "es:ESHttpHead"],
            Resource: resource,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/** The CMK policy: the account administers it through IAM; CloudWatch Logs may use it for this domain's log groups only. */
export function siemKeyPolicy(p: { partition: string; account: string; region: string; logGroupPrefix: string }): object {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountAdministersThroughIam", Effect: "Allow", Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` }, Action: "kms:*", Resource: "*" },
            {
                Sid: "CloudWatchLogsForTheDomainLogs",
                Effect: "Allow",
                Principal: { Service: `logs.${p.region}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${p.logGroupPrefix}*` } },
            },
        ],
    };
}

/**
 * The backend roles a role ARN is mapped as in fine-grained access control: the ARN as IAM names it and, for a
 * role with a path (guardpost's are under /guardpost/), the same ARN without the path. A request signed with a
 * role session identifies the role by its assumed-role ARN, which carries the role's name but not its path
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns), and AWS does not
 * document which form FGAC compares; role names are unique in an account whatever the path, so both forms name
 * the same role and mapping both cannot admit anyone else.
 */
export function fgacBackendRoles(roleArns: readonly string[]): string[] {
    const forms = roleArns.flatMap(arn => {
        const m = /^(arn:aws[a-z-]*:iam::\d{12}:role\/)(.+\/)?([^/]+)$/.exec(arn);
        return m && m[2] ? [arn, `${m[1]}${m[3]}`] : [arn];
    });
    return [...new Set(forms)].sort();
}
