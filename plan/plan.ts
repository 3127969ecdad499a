import * as path from "path";
import { parseConfig, type GuardpostConfig } from "../config";
import { OFFLINE_PLAN_ENV } from "../wiring";
import { runMocked, type MockedInvoke, type MockedResource } from "./engine";
import { DEPLOY_TIME_SECRETS, readStackFile } from "../stackFile";
import { computeCoverage, type Coverage } from "./coverage";
import * as fs from "fs";

export interface PlanNode {
    type: string;
    name: string;
    urn: string;
    custom: boolean;
    children: PlanNode[];
}

export interface PlanRegion {
    region: string;
    components: PlanNode[];
    resourceCount: number;
}

export interface PlanAccount {
    name: string;
    id: string;
    kind: string;
    regions: PlanRegion[];
    resourceCount: number;
}

export interface PlanReport {
    stack: string;
    stackFile: string;
    config: GuardpostConfig;
    warnings: string[];
    accounts: PlanAccount[];
    resources: MockedResource[];
    /** The invokes (data source reads) the program made. */
    invokes: MockedInvoke[];
    outputs: Record<string, unknown> | undefined;
    totals: { resources: number; components: number; providers: number; byType: Record<string, number> };
    /** Account × region × service: what covers each, and the gaps that fail the plan. */
    coverage: Coverage;
}

const INDEX = path.join(__dirname, "..", "index");

/**
 * Run the real program (index.ts) for one stack under the mock engine: config from the stack file,
 * placeholders for deploy-time secrets, default providers disabled as the stack says. Throws ConfigError
 * before any resource is declared when the config is invalid.
 */
export async function runPlan(stack: string, dir?: string): Promise<PlanReport> {
    const file = readStackFile(stack, dir);
    const config = { ...file.config };
    const secretKeys = [...file.secretKeys];
    const warnings: string[] = [];
    const cfg = parseConfig(config);
    for (const key of DEPLOY_TIME_SECRETS) {
        if (!(key in config)) {
            config[key] = `<placeholder for ${key}>`;
            secretKeys.push(key);
            if (key !== "guardpost:telegramBotToken" || cfg.alerts.telegramChatId) {
                warnings.push(`${key} is not set; the plan uses a placeholder. Before \`pulumi up\`: pulumi config set --secret ${key} <value> --stack ${stack}`);
            }
        }
    }
    // Delivery-failure alarms reach a channel that does not depend on guardpost's own topic only through
    // alerts.failureTopicArns, one topic per region (README "Alert deliveries: runbook").
    const regions = [...new Set(cfg.accounts.flatMap(a => a.regions))];
    const uncovered = regions.filter(r => !cfg.alerts.failureTopicArns.some(arn => arn.split(":")[3] === r));
    if (uncovered.length > 0) {
        warnings.push(`guardpost:alerts.failureTopicArns has no topic in ${uncovered.join(", ")}: alarms about failed alert deliveries there go only to the alert topic that may be what fails. ` +
            `Add an SNS topic you own per region (an on-call integration), e.g. arn:${cfg.partition}:sns:${uncovered[0]}:<account>:<topic>.`);
    }
    const root = dir ?? path.join(__dirname, "..");
    for (const [key, file] of [["guardpost:logs.geoipDatabasePath", cfg.logs.geoipDatabasePath], ["guardpost:logs.geoipAsnDatabasePath", cfg.logs.geoipAsnDatabasePath]] as const) {
        if (file && !fs.existsSync(path.resolve(root, file))) {
            warnings.push(`${key}: ${file} does not exist here; the plan does not need it, \`pulumi up\` does (see the README's "GeoIP database").`);
        }
    }

    const previous = process.env[OFFLINE_PLAN_ENV];
    process.env[OFFLINE_PLAN_ENV] = "1";
    try {
        const { resources, outputs, invokes } = await runMocked(() => {
            delete require.cache[require.resolve(INDEX)];
            return require(INDEX);
        }, {
            stack,
            config,
            secretKeys,
            requireExplicitProviders: file.disabledDefaultProviders.includes("aws"),
        });
        return { stack, stackFile: file.file, config: cfg, warnings, resources, invokes, outputs, accounts: tree(cfg, resources), totals: totals(resources), coverage: computeCoverage(cfg, resources) };
    } finally {
        if (previous === undefined) delete process.env[OFFLINE_PLAN_ENV];
        else process.env[OFFLINE_PLAN_ENV] = previous;
    }
}

function totals(resources: MockedResource[]): PlanReport["totals"] {
    const byType: Record<string, number> = {};
    let components = 0;
    let providers = 0;
    let custom = 0;
    for (const r of resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        if (r.type.startsWith("pulumi:providers:")) { providers++; continue; }
        if (!r.custom) { components++; continue; }
        custom++;
        byType[r.type] = (byType[r.type] ?? 0) + 1;
    }
    return { resources: custom, components, providers, byType };
}

/** account → region → top-level component → nested resources, from parents and provider placements. */
function tree(cfg: GuardpostConfig, resources: MockedResource[]): PlanAccount[] {
    const nodes = new Map<string, PlanNode>();
    for (const r of resources) nodes.set(r.urn, { type: r.type, name: r.name, urn: r.urn, custom: r.custom, children: [] });
    const stackUrn = resources.find(r => r.type === "pulumi:pulumi:Stack")?.urn;
    const tops: MockedResource[] = [];
    for (const r of resources) {
        if (r.type === "pulumi:pulumi:Stack" || r.type.startsWith("pulumi:providers:")) continue;
        const parent = r.parent && r.parent !== stackUrn ? nodes.get(r.parent) : undefined;
        if (parent) parent.children.push(nodes.get(r.urn)!);
        else tops.push(r);
    }
    // A component's place: the account and region of its first regional resource (IAM is global, so it
    // cannot say which region a component serves).
    const placementOf = (r: MockedResource): { account: string; region: string } | undefined => {
        const regional = (d: MockedResource) => d.custom && d.provider !== undefined && d.region !== undefined;
        const found = regional(r) ? r : resources.find(d => regional(d) && d.urn !== r.urn && isDescendant(d, r.urn, resources));
        if (found) return { account: found.provider!.account, region: found.region! };
        // Only global resources (IAM, Organizations: AccountBaseline): listed under the account's provider
        // region, its first configured region.
        const global = resources.find(d => d.custom && d.provider !== undefined && isDescendant(d, r.urn, resources));
        return global ? { account: global.provider!.account, region: global.provider!.region } : undefined;
    };
    const accounts: PlanAccount[] = cfg.accounts.map(a => ({ name: a.name, id: a.id, kind: a.kind, regions: a.regions.map(region => ({ region, components: [], resourceCount: 0 })), resourceCount: 0 }));
    for (const top of tops) {
        const where = placementOf(top);
        // A component that declared nothing (an AccountBaseline of an account that skips Config) has no place.
        if (!where && countCustom(nodes.get(top.urn)!) === 0) continue;
        const account = accounts.find(a => a.id === where?.account);
        const region = account?.regions.find(r => r.region === where?.region);
        if (!account || !region) throw new Error(`plan: ${top.type} '${top.name}' is not placed in any configured account × region`);
        const node = nodes.get(top.urn)!;
        region.components.push(node);
        const count = countCustom(node);
        region.resourceCount += count;
        account.resourceCount += count;
    }
    return accounts;
}

function isDescendant(r: MockedResource, ancestor: string, all: MockedResource[]): boolean {
    let parent = r.parent;
    while (parent) {
        if (parent === ancestor) return true;
        parent = all.find(x => x.urn === parent)?.parent;
    }
    return false;
}

export function countCustom(node: PlanNode): number {
    return (node.custom ? 1 : 0) + node.children.reduce((n, c) => n + countCustom(c), 0);
}
