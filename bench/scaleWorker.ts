/**
 * One scale-benchmark run in its own process (so peak memory is this size's alone): the real index.ts
 * under the mock engine for a synthetic stack of ACCOUNTS accounts × REGIONS regions.
 * Prints one JSON line: {placements, resources, wallMs, maxRssMb, cpuMs, providers, stack, part} (`cpuMs`: the
 * process's own CPU time, user and system, all threads — unlike wall-clock time, not stretched by other load).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { runMocked } from "../plan/engine";
import { STACK_DIR_ENV } from "../estate";
import { KNOWN_REGIONS, parseConfig } from "../config";
import { DEPLOY_TIME_SECRETS, readStackFile } from "../stackFile";
import { OFFLINE_PLAN_ENV } from "../wiring";

export function syntheticConfig(accounts: number, regions: number): Record<string, string> {
    const commercial = KNOWN_REGIONS.filter(r => !r.startsWith("cn-") && !r.startsWith("us-gov-")).slice(0, regions);
    if (commercial.length < regions) throw new Error(`only ${commercial.length} commercial regions are known`);
    const list = Array.from({ length: accounts }, (_, i) => ({
        name: i === 0 ? "security" : `workload-${i}`,
        id: String(100000000000 + i),
        kind: i === 0 ? "security" : "workload",
        regions: commercial,
    }));
    return {
        "guardpost:stage": "bench",
        "guardpost:homeRegion": commercial[0],
        "guardpost:accounts": JSON.stringify(list),
        "guardpost:alerts": JSON.stringify({ minSeverity: 4, emails: ["secops@example.com"], telegramChatId: "-1001234567890" }),
        "guardpost:telegramBotToken": "<placeholder>",
    };
}

/** A synthetic SIEM endpoint, as the core stack's `siemEndpoint` output would read. */
export const SYNTHETIC_SIEM_ENDPOINT = "search-siem-bench-abcdefghijklmnopqrstu.us-east-1.es.amazonaws.com";

export interface SplitStack {
    name: string;
    part: "core" | "accounts";
    /** Placements this stack deploys. */
    placements: number;
    config: Record<string, string>;
    /** For the core: the account stacks' `siemWriterRoleArns` outputs. */
    stackOutputs?: Record<string, Record<string, unknown>>;
}

/**
 * The same estate split over stacks (guardpost:estate): a core stack (SIEM, the security account and
 * `perStack - 1` workloads) and account stacks of `perStack` workload accounts each. Every stack lists the security account (for its
 * id); each deploys only its own accounts.
 */
/** What the synthetic core stack would export for its archive (the mock engine's names). */
export const SYNTHETIC_ARCHIVE = {
    bucketName: "archive-bench-bucket-mock",
    kmsKeyArn: (account: string, region: string) => `arn:aws:kms:${region}:${account}:key/archive-bench-key-key-id`,
};

export function syntheticSplit(accounts: number, regions: number, perStack: number): SplitStack[] {
    if (!Number.isInteger(perStack) || perStack < 1) throw new Error(`perStack must be a whole number of accounts, at least 1 (got ${perStack})`);
    const whole = syntheticConfig(accounts, regions);
    const list: Array<{ name: string; id: string; kind: string; regions: string[] }> = JSON.parse(whole["guardpost:accounts"]);
    const [security, ...workloads] = list;
    // The core takes the security account and enough workloads to be a stack of `perStack` accounts too.
    const coreWorkloads = workloads.slice(0, perStack - 1);
    const rest = workloads.slice(perStack - 1);
    const groups: typeof workloads[] = [];
    for (let i = 0; i < rest.length; i += perStack) groups.push(rest.slice(i, i + perStack));
    const accountStacks = groups.map((_g, i) => `bench-accounts-${i + 1}`);
    const stackOutputs: Record<string, Record<string, unknown>> = {};
    groups.forEach((g, i) => {
        // The shipper role of each account (the synthetic estate ships CloudTrail only), as the stack exports it.
        stackOutputs[accountStacks[i]] = { siemWriterRoleArns: g.map((a) => `arn:aws:iam::${a.id}:role/${a.name}-${security.regions[0]}-shipper-role-mock`) };
    });
    const coreAccounts = [security, ...coreWorkloads];
    const core: SplitStack = {
        name: "bench-core", part: "core", placements: coreAccounts.length * regions, stackOutputs,
        config: {
            ...whole,
            "guardpost:accounts": JSON.stringify(coreAccounts),
            "guardpost:estate": JSON.stringify({ part: "core", deploys: coreAccounts.map((a) => a.name), accountStacks }),
        },
    };
    return [core, ...groups.map((g, i): SplitStack => ({
        name: accountStacks[i], part: "accounts", placements: g.length * regions,
        config: {
            ...whole,
            "guardpost:accounts": JSON.stringify([security, ...g]),
            "guardpost:estate": JSON.stringify({
                part: "accounts", deploys: g.map((a) => a.name), siemEndpoint: SYNTHETIC_SIEM_ENDPOINT,
                // The core's archive outputs, as `pulumi stack output archiveBucket / archiveKeyArn` would give them.
                archiveBucket: SYNTHETIC_ARCHIVE.bucketName, archiveKeyArn: SYNTHETIC_ARCHIVE.kmsKeyArn(security.id, security.regions[0]),
            }),
        },
    }))];
}

/**
 * The split's stack files, `Pulumi.<stack>.yaml` as they would sit in the repository, written to a new
 * folder: the core reads its account stacks' accounts from them (estate.ts). Returns the folder.
 */
export function writeStackFiles(stacks: SplitStack[], dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-stacks-"))): string {
    for (const st of stacks) {
        const config: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(st.config)) {
            try { config[key] = JSON.parse(value); } catch { config[key] = value; }
        }
        fs.writeFileSync(path.join(dir, `Pulumi.${st.name}.yaml`), yaml.dump({ config }));
    }
    return dir;
}

/** `--stack <name>`: a stack of this repository as written (Pulumi.<name>.yaml), with its accounts counted. */
async function runStackFile(name: string): Promise<void> {
    const file = readStackFile(name);
    // Secrets set at deploy time get placeholders, as the offline plan gives them.
    for (const key of DEPLOY_TIME_SECRETS) if (!(key in file.config)) file.config[key] = `<placeholder for ${key}>`;
    const deployed = parseConfig(file.config).estate.deploys.length;
    process.env[OFFLINE_PLAN_ENV] = "1";
    const started = process.hrtime.bigint();
    const { resources } = await runMocked(() => require("../index"), {
        stack: name, config: file.config, secretKeys: [...new Set([...file.secretKeys, ...DEPLOY_TIME_SECRETS])], requireExplicitProviders: true,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({
        placements: resources.filter(r => r.type === "guardpost:detection:DetectionBaseline").length, resources: resources.filter(r => r.custom).length,
        wallMs, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000,
        providers: resources.filter(r => r.type === "pulumi:providers:aws").length, accounts: deployed, stack: name, part: "all",
    }) + "\n");
}

async function main(): Promise<void> {
    if (process.argv[2] === "--stack") return runStackFile(process.argv[3]);
    // `<accounts> <regions>`: the whole estate in one stack. `<accounts> <regions> <perStack> <index>`: stack
    // `index` (0 = core) of the same estate split over stacks of `perStack` workload accounts.
    const [accounts, regions, perStack, index] = process.argv.slice(2).map(Number);
    const split = Number.isFinite(perStack) ? syntheticSplit(accounts, regions, perStack)[index] : undefined;
    if (Number.isFinite(perStack) && !split) throw new Error(`no stack ${index} in the split of ${accounts} accounts by ${perStack}`);
    if (split?.part === "core") process.env[STACK_DIR_ENV] = writeStackFiles(syntheticSplit(accounts, regions, perStack));
    process.env[OFFLINE_PLAN_ENV] = "1";
    const started = process.hrtime.bigint();
    const { resources } = await runMocked(() => require("../index"), {
        stack: split?.name ?? "bench",
        config: split?.config ?? syntheticConfig(accounts, regions),
        stackOutputs: split?.stackOutputs,
        secretKeys: ["guardpost:telegramBotToken"],
        requireExplicitProviders: true,
        drainTimeoutSeconds: 3600,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    const cpu = process.cpuUsage();
    const providers = resources.filter(r => r.type === "pulumi:providers:aws").length;
    process.stdout.write(JSON.stringify({
        placements: split?.placements ?? accounts * regions, resources: resources.filter(r => r.custom).length, wallMs, maxRssMb, cpuMs: (cpu.user + cpu.system) / 1000,
        providers, stack: split?.name ?? "bench", part: split?.part ?? "all",
    }) + "\n");
}

if (require.main === module) {
    main().then(() => process.exit(0), e => { process.stderr.write(String(e?.stack ?? e) + "\n"); process.exit(1); });
}
