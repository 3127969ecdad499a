/**
 * `guardpost:accounts`: each account's entry (id, kind, regions, deployer role, logs, buckets), and the
 * checks of the accounts as a whole: one partition per stack, no member region without a delegated admin.
 */
import { Issues, isRecord } from "../configErrors";
import { partitionOf, partitionOfArn, type Partition } from "../model/partition";
import { wafLoggingRegion } from "../model/logPaths";
import type { AccountConfig, AccountLogs } from "./types";
import { bool, describe, list, num, oneOf, region, str, unknownKeys } from "./readers";
import { parseServices } from "./detection";

export function parseAccounts(value: unknown, roleName: string, issues: Issues, partition: Partition): AccountConfig[] {
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

export function validateAccountLogs(account: AccountConfig, issues: Issues): void {
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

// ---- organizations as they are: partition, regions without an admin ----

function safePartition(region: string): Partition | undefined {
    try { return partitionOf(region); } catch { return undefined; }
}

/**
 * One partition per stack: providers, role ARNs and policies are built for it, and an organization never
 * spans partitions. Every account's regions must be in the home region's partition.
 */
export function stackPartition(homeRegion: string, rawAccounts: unknown, issues: Issues): Partition {
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
export function validateNoBlindRegion(accounts: AccountConfig[], security: AccountConfig, management: AccountConfig | undefined, issues: Issues): void {
    for (const account of accounts) {
        for (const r of account.regions) {
            if (security.regions.includes(r)) continue;
            issues.add(`guardpost:accounts[${account.name}].regions`,
                `${r} has no delegated administrator: the security account '${security.name}' does not operate there, so nothing enables GuardDuty, Security Hub or Detective for '${account.name}' in ${r}`,
                `add ${r} to the regions of '${security.name}'${management && !management.regions.includes(r) ? ` and of the management account '${management.name}'` : ""}, or remove it from '${account.name}'`);
        }
    }
}

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
