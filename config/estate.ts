/** `guardpost:estate`: how this stack shares an estate split over several stacks (README "Scale"). */
import { Issues } from "../configErrors";
import type { AccountConfig, EstateConfig } from "./types";
import { list, object, oneOf, str, unknownKeys } from "./readers";

const STACK_NAME = /^([\w.-]+\/){0,2}[\w.-]+$/;

export function parseEstate(value: unknown, accounts: AccountConfig[], issues: Issues): EstateConfig {
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
export function validateEstateArchive(estate: EstateConfig, configEnabled: boolean, issues: Issues): void {
    if (estate.part === "accounts" && configEnabled && !estate.archive) {
        issues.add("guardpost:estate.archiveBucket", "is missing for an accounts stack with AWS Config on: its recorders deliver to the core stack's archive",
            "copy the core's outputs here: pulumi stack output archiveBucket / archiveKeyArn --stack <core> (estate.archiveBucket, estate.archiveKeyArn)");
    }
}
