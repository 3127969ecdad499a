/**
 * An estate split over several stacks (guardpost:estate, README "Scale"): which placements this stack
 * deploys, and how its LogPipelines and the SIEM find each other across stacks.
 *
 * - `core` deploys the SIEM (and the security and management accounts). It reads each account stack's
 *   `siemWriterRoleArns` output through a StackReference and admits those roles in the domain access
 *   policy and the writer role mapping, exactly as it admits its own writers.
 * - `accounts` deploys workload accounts only. Its pipelines write to the core's domain: the endpoint
 *   from config (the core's `siemEndpoint` output, stable for the domain's life), the domain ARN built
 *   from the security account, home region and stage. It references no other stack.
 * References run one way (core → account stacks), so there is no cycle between stacks. Adding an account
 * to an account stack changes that stack's file only; the core's next `pulumi up` (no edit) admits its
 * new writers. Until then the new account's shipper and streams are refused (403) and keep their data
 * (Lambda retries and its failure queue; Firehose retries and its S3 backup).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AccountConfig, GuardpostConfig } from "./config";
import { partitionOf } from "./model/partition";
import { deploymentOrder, Placement } from "./wiring";

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
