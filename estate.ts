/**
 * An estate split over several stacks (guardpost:estate, README "Scale"): which placements this stack
 * deploys, and how its LogPipelines and the SIEM find each other across stacks.
 *
 * - `core` deploys the SIEM (and the security and management accounts). It reads each account stack's
 *   `siemWriterRoleArns` output through a StackReference and admits those roles in the domain access
 *   policy and the writer role mapping, exactly as it admits its own writers. It reads each account stack's
 *   accounts from that stack's file, so the archive policies, the Config aggregator and the delegated
 *   administrator's members cover them before they deploy (estateAccounts).
 * - `accounts` deploys workload accounts only. Its pipelines write to the core's domain: the endpoint
 *   from config (the core's `siemEndpoint` output, stable for the domain's life), the domain ARN built
 *   from the security account, home region and stage. It references no other stack.
 * References run one way (core → account stacks), so there is no cycle between stacks. Adding an account
 * to an account stack changes that stack's file only. Update the core first (no edit): its archive policies
 * and the organization's members then cover the account before its stack creates anything there; the
 * core's next update after that admits the new writers. Until then the new account's shipper and streams
 * are refused (403) and keep their data (Lambda retries and its failure queue; Firehose retries and its
 * S3 backup).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, type AccountConfig, type GuardpostConfig } from "./config";
import { partitionOf } from "./model/partition";
import { deploymentOrder, Placement } from "./wiring";
import { mergeEstate, type EstateAccount } from "./model/estateAccounts";
import { ConfigError, Issues } from "./configErrors";
import { readStackFile } from "./stackFile";

/** The SIEM's domain name: index.ts names the SiemDomain after the stage, and it takes its name. */
export function siemDomainName(stage: string): string {
    return `siem-${stage}`;
}

/** Placements this stack deploys, in deployment order. */
export function deployedPlacements(cfg: GuardpostConfig): Placement[] {
    return deploymentOrder(cfg).filter(p => deploys(cfg, p.account));
}

export function deploys(cfg: GuardpostConfig, account: AccountConfig): boolean {
    return cfg.estate.deploys.includes(account.name);
}

/** Whether this stack declares the SIEM domain. */
export function hostsSiem(cfg: GuardpostConfig): boolean {
    return cfg.estate.part !== "accounts";
}

/** For an accounts stack: the core's domain, as its pipelines address it. */
/**
 * Whether this account × region's AlertFanout holds the SIEM detections topic: where this stack declares the
 * SIEM — the security account's home region. The delegated admin's (security account's) fanout has the finding
 * rules and the Telegram function in organization mode too, so the SIEM's detections go out next to them.
 */
export function receivesSiemDetections(cfg: GuardpostConfig, account: AccountConfig, region: string): boolean {
    return coreSiem(cfg) === undefined && account.id === cfg.securityAccount.id && region === cfg.homeRegion;
}

export function coreSiem(cfg: GuardpostConfig): { domainArn: string; endpoint: string } | undefined {
    if (cfg.estate.part !== "accounts" || !cfg.estate.siemEndpoint) return undefined;
    const partition = partitionOf(cfg.homeRegion);
    return {
        domainArn: `arn:${partition}:es:${cfg.homeRegion}:${cfg.securityAccount.id}:domain/${siemDomainName(cfg.stage)}`,
        endpoint: cfg.estate.siemEndpoint.replace(/^https:\/\//, "").replace(/\/$/, ""),
    };
}

/** The security archive as the detection baselines use it: declared here, or the core's (by config). */
export interface ArchiveRef {
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
    ready: pulumi.Resource[];
}

/** For an accounts stack: the core's archive, from the outputs its config copies (estate.archive*). */
export function coreArchive(cfg: GuardpostConfig): ArchiveRef | undefined {
    const a = cfg.estate.part === "accounts" ? cfg.estate.archive : undefined;
    if (!a) return undefined;
    return { bucketName: a.bucketName, bucketArn: `arn:${partitionOf(cfg.homeRegion)}:s3:::${a.bucketName}`, keyArn: a.kmsKeyArn, ready: [] };
}

/** The output an account stack publishes for the core. */
export const WRITER_ROLES_OUTPUT = "siemWriterRoleArns";

/** For the core: every account stack's writer role ARNs, read through one StackReference each. */
export function accountStackWriterRoleArns(cfg: GuardpostConfig): pulumi.Output<string[]>[] {
    if (cfg.estate.part !== "core") return [];
    return cfg.estate.accountStacks.map(name => {
        const ref = new pulumi.StackReference(`estate-${name.replace(/[^\w.-]/g, "-")}`, { name });
        return ref.getOutput(WRITER_ROLES_OUTPUT).apply(v => (Array.isArray(v) ? v.map(String) : []));
    });
}

/** Where the core finds its account stacks' files: the project directory (GUARDPOST_STACK_DIR for tests and the bench). */
export const STACK_DIR_ENV = "GUARDPOST_STACK_DIR";

/**
 * The whole estate as this stack must cover it. Any stack but the core: its own accounts. The core: its own
 * and each account stack's deployed accounts, read from that stack's `Pulumi.<stack>.yaml` beside the
 * program (model/estateAccounts.ts says why the file and not the stack's outputs), parsed and validated as
 * that stack's program would parse it, and checked to belong to this estate.
 */
export function estateAccounts(cfg: GuardpostConfig, dir = process.env[STACK_DIR_ENV] || __dirname): EstateAccount[] {
    if (cfg.estate.part !== "core") return cfg.accounts;
    const issues = new Issues();
    const key = "guardpost:estate.accountStacks";
    const stacks: { stack: string; accounts: EstateAccount[] }[] = [];
    for (const name of cfg.estate.accountStacks) {
        const short = name.split("/").pop()!;
        let other: GuardpostConfig;
        try {
            other = parseConfig(readStackFile(short, dir).config);
        } catch (e) {
            const problem = (e instanceof ConfigError ? `Pulumi.${short}.yaml is invalid:\n${e.message}` : (e as Error).message).replace(/\.$/, "");
            issues.add(key, `cannot read account stack ${name}: ${problem}`, "keep every account stack's Pulumi.<stack>.yaml in this repository, valid (npm run plan -- --stack <stack>)");
            continue;
        }
        const differs = (what: string, mine: unknown, theirs: unknown) => {
            if (mine !== theirs) issues.add(key, `${name} has ${what} ${String(theirs)}, this stack ${String(mine)}`, `give Pulumi.${short}.yaml the same ${what} as the core`);
        };
        if (other.estate.part !== "accounts") issues.add(key, `${name} is not an accounts stack (guardpost:estate.part is '${other.estate.part}')`, `set part: accounts in Pulumi.${short}.yaml, or remove ${name} here`);
        differs("stage", cfg.stage, other.stage);
        differs("homeRegion", cfg.homeRegion, other.homeRegion);
        differs("organization", cfg.organization, other.organization);
        differs("security account id", cfg.securityAccount.id, other.securityAccount.id);
        stacks.push({ stack: name, accounts: other.accounts.filter(a => deploys(other, a)) });
    }
    issues.throwIfAny();
    try {
        return mergeEstate({ accounts: cfg.accounts, deploys: cfg.estate.deploys }, stacks);
    } catch (e) {
        issues.add(key, (e as Error).message, "fix the stack files named");
        issues.throwIfAny();
        throw e;
    }
}
