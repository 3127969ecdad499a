/** The top-level parse: every part of the `guardpost:` namespace, and the checks that span them. */
import { Issues } from "../configErrors";
import type { GuardpostConfig, RawConfig } from "./types";
import { bool, read, region, str } from "./readers";
import { parseAccounts, stackPartition, validateAccountLogs, validateNoBlindRegion } from "./accounts";
import { parseDetection, validateAccountServices, validateCentralConfigurationReach } from "./detection";
import { parseAlerts } from "./alerts";
import { parseLogs, parseSiem } from "./siemAndLogs";
import { parseEstate, validateEstateArchive } from "./estate";
import { checkLambdaConcurrency } from "./concurrency";

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
