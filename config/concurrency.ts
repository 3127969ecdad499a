/** The Lambda concurrency guardpost reserves, checked against each account's quota before anything is created. */
import { Issues } from "../configErrors";
import { relayedSources, shipsSecurityHubFrom } from "../model/logPaths";
import { UNRESERVED_CONCURRENCY_FLOOR, type AccountConfig, type AlertsConfig, type GuardpostConfig, type LogsConfig } from "./types";

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
export function checkLambdaConcurrency(accounts: AccountConfig[], alerts: AlertsConfig, logs: LogsConfig, homeRegion: string, organization: boolean, securityHub: boolean, issues: Issues): void {
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
