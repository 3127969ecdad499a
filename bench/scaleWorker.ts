/**
 * One scale-benchmark run in its own process (so peak memory is this size's alone): the real index.ts
 * under the mock engine for a synthetic stack of ACCOUNTS accounts × REGIONS regions.
 * Prints one JSON line: {placements, resources, wallMs, maxRssMb}.
 */
import { runMocked } from "../plan/engine";
import { KNOWN_REGIONS } from "../config";
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

async function main(): Promise<void> {
    const [accounts, regions] = process.argv.slice(2).map(Number);
    process.env[OFFLINE_PLAN_ENV] = "1";
    const started = process.hrtime.bigint();
    const { resources } = await runMocked(() => require("../index"), {
        stack: "bench",
        config: syntheticConfig(accounts, regions),
        secretKeys: ["guardpost:telegramBotToken"],
        requireExplicitProviders: true,
        drainTimeoutSeconds: 3600,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify({ placements: accounts * regions, resources: resources.filter(r => r.custom).length, wallMs, maxRssMb }) + "\n");
}

if (require.main === module) {
    main().then(() => process.exit(0), e => { process.stderr.write(String(e?.stack ?? e) + "\n"); process.exit(1); });
}
