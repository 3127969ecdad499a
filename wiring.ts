/**
 * Pure decisions index.ts makes from config: what role each account × region plays. Kept apart from the
 * composition root so tests can check them without running the program.
 */
import * as fs from "fs";
import * as path from "path";
import type { AccountConfig, GuardpostConfig } from "./config";
import { OFFLINE_PLAN_ENV } from "./model/offlinePlan";
import { canRecordIamGlobalTypes } from "./model/awsRegions";
import { CONFIG_DELEGATION_PRINCIPALS, trustedAccessFor, type OrganizationPrerequisite } from "./model/organizationAccess";
import { shipsSecurityHubFrom } from "./model/logPaths";
import type { EstateAccount } from "./model/estateAccounts";

export { OFFLINE_PLAN_ENV } from "./model/offlinePlan";

export type DetectionMode = "standalone" | "management" | "admin" | "member";

export interface Placement {
    account: AccountConfig;
    region: string;
}

/** Every account × region, management first and security second, so delegations precede their use. */
export function deploymentOrder(cfg: GuardpostConfig): Placement[] {
    const rank = { management: 0, security: 1, workload: 2 } as const;
    return [...cfg.accounts]
        .sort((a, b) => rank[a.kind] - rank[b.kind])
        .flatMap(account => account.regions.map(region => ({ account, region })));
}

export function detectionMode(cfg: GuardpostConfig, account: AccountConfig): DetectionMode {
    if (!cfg.organization) return "standalone";
    if (account.kind === "management") return "management";
    if (account.kind === "security") return "admin";
    return "member";
}

/**
 * Which trail this account × region owns. One multi-region trail per account lives in the trail region
 * (or the account's first region when it does not operate there); in organization-trail mode the
 * management account owns the only trail.
 */
export function trailFor(cfg: GuardpostConfig, account: AccountConfig, region: string): "none" | "account" | "organization" {
    const home = account.regions.includes(cfg.logs.trailRegion) ? cfg.logs.trailRegion : account.regions[0];
    if (region !== home) return "none";
    if (cfg.logs.organizationTrail) return account.kind === "management" ? "organization" : "none";
    return account.logs.cloudTrail ? "account" : "none";
}

/**
 * A file `pulumi up` uploads must exist, or the deploy fails late with a bare "file not found". The
 * offline plan never reads it, so there a missing file is only a warning (the plan reports it).
 */
export function requireDeployFile(file: string, key: string, cwd = process.cwd()): string {
    const resolved = path.resolve(cwd, file);
    if (!fs.existsSync(resolved) && process.env[OFFLINE_PLAN_ENV] !== "1") {
        throw new Error(`${key}: ${file} does not exist. Download the database as the README's "GeoIP database" section shows, or point ${key} at your copy.`);
    }
    return resolved;
}

/**
 * AWS Config records global resource types (IAM) in one region per account, or they are counted twice:
 * the configured region (default: the home region, where Security Hub aggregates and checks Config.1), else
 * the account's first region that can record them at all (see model/awsRegions.ts).
 */
export function recordsGlobalResources(cfg: GuardpostConfig, account: AccountConfig, region: string): boolean {
    return region === globalRecordingRegion(cfg, account);
}

/** The one region where this account records IAM global types, or undefined when none of its regions can. */
export function globalRecordingRegion(cfg: GuardpostConfig, account: AccountConfig): string | undefined {
    const preferred = cfg.detection.awsConfig.globalResourcesRegion;
    if (account.regions.includes(preferred)) return preferred;
    return account.regions.find(canRecordIamGlobalTypes);
}

/**
 * Where GuardDuty findings alert. Standalone: every account × region. In an organization GuardDuty publishes
 * each member finding to the member's EventBridge and to the delegated administrator's ("If your account is
 * a GuardDuty delegated administrator … events are published to your account in addition to the member
 * account that it originated from": https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html),
 * so only the administrator's rules send, and every finding reaches each channel once.
 */
export function alertsOnFindings(cfg: GuardpostConfig, account: AccountConfig): boolean {
    return !cfg.organization || account.kind === "security";
}

/** The account holding the central archive bucket (security unless `detection.awsConfig.archiveAccount`). */
export function archiveAccount(cfg: GuardpostConfig): AccountConfig {
    return cfg.accounts.find(a => a.name === cfg.detection.awsConfig.archiveAccount) ?? cfg.securityAccount;
}

/**
 * Accounts whose AWS Config delivers to the archive: all that do not skip Config — of the whole estate
 * (`accounts`: the core's own and every account stack's, model/estateAccounts.ts), by default this stack's.
 */
export function configSourceAccountIds(cfg: GuardpostConfig, accounts: EstateAccount[] = cfg.accounts): string[] {
    if (!cfg.detection.awsConfig.enabled) return [];
    return accounts.filter(a => a.services.config.mode !== "skip").map(a => a.id);
}

/** Accounts that export findings: the delegated admin (its export carries its members'), or each standalone one. */
export function findingsExportAccountIds(cfg: GuardpostConfig, accounts: EstateAccount[] = cfg.accounts): string[] {
    if (!cfg.detection.findingsExport) return [];
    const exporters = cfg.organization ? [cfg.securityAccount] : accounts;
    return exporters.filter(a => a.services.guardDuty.mode !== "skip").map(a => a.id);
}

/**
 * The accounts the delegated administrator enrolls: every account of the estate but itself (GuardDuty's
 * management-account member, Detective members, Security Hub self-managed associations).
 */
export function organizationMembers(estate: EstateAccount[]): { accountId: string; email?: string; kind: "management" | "workload"; services: EstateAccount["services"]; regions: string[] }[] {
    return estate.filter(a => a.kind !== "security").map(a => ({ accountId: a.id, email: a.email, kind: a.kind as "management" | "workload", services: a.services, regions: a.regions }));
}

/**
 * The regions the home region's Security Hub aggregator links: in an organization, every region any account
 * of the estate operates in (the admin receives members' findings from all of them); a standalone account's,
 * its own.
 */
export function linkedRegionsOf(cfg: GuardpostConfig, estate: EstateAccount[], account: AccountConfig): string[] {
    return cfg.organization ? [...new Set(estate.flatMap(a => a.regions))] : account.regions;
}

/** Trusted access the management account enables (empty outside organization mode). */
export function organizationPrerequisites(cfg: GuardpostConfig): OrganizationPrerequisite[] {
    if (!cfg.organization) return [];
    return trustedAccessFor({ organizationTrail: cfg.logs.organizationTrail, configAggregator: cfg.detection.awsConfig.enabled });
}

/** AWS Config's delegated administrator registrations (organization aggregator in the security account). */
export function configDelegations(cfg: GuardpostConfig): { servicePrincipal: string; accountId: string }[] {
    if (!cfg.organization || !cfg.detection.awsConfig.enabled) return [];
    return CONFIG_DELEGATION_PRINCIPALS.map(servicePrincipal => ({ servicePrincipal, accountId: cfg.securityAccount.id }));
}

/**
 * Where Security Hub findings are shipped to the SIEM: only where they are aggregated, or every finding
 * would be indexed once per copy. In an organization the delegated admin's home region receives every
 * member's findings from every linked region; a standalone account aggregates its own regions in the home
 * region when it operates there, and otherwise ships from each region (through the log relay; model/logPaths.ts).
 */
export function shipsSecurityHubFindings(cfg: GuardpostConfig, account: AccountConfig, region: string): boolean {
    return shipsSecurityHubFrom({ securityHubEnabled: cfg.detection.securityHub.enabled, organization: cfg.organization, homeRegion: cfg.homeRegion, account }, region);
}
