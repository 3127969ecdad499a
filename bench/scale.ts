import { execFileSync } from "child_process";
import * as path from "path";

interface ScaleRun { placements: number; resources: number; wallMs: number; maxRssMb: number }

function run(accounts: number, regions: number): ScaleRun {
    const out = execFileSync(process.execPath, ["--max-old-space-size=16384", "-r", "ts-node/register/transpile-only", path.join(__dirname, "scaleWorker.ts"), String(accounts), String(regions)], {
        cwd: path.join(__dirname, ".."),
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
        stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

/**
 * The mocked program at 1 × 1, a middle size and 50 × 17 (accounts × regions), each in a fresh process,
 * measured in this one run. Per-placement ratios near 1 mean the program itself grows linearly; the 1 × 1
 * figure also carries fixed start-up cost (module loading), which the middle size separates out.
 */
export async function benchScale(sizes: [number, number][] = [[1, 1], [5, 5], [50, 17]]): Promise<string[]> {
    const runs = sizes.map(([a, r]) => ({ a, r, ...run(a, r) }));
    const lines = ["scale: mocked program, accounts × regions (fresh process each)"];
    const base = runs[0];
    const mid = runs[Math.min(1, runs.length - 1)];
    for (const x of runs) {
        const perMs = x.wallMs / x.placements;
        const perRes = x.resources / x.placements;
        lines.push(`  ${String(x.a).padStart(3)} × ${String(x.r).padEnd(3)} ${String(x.placements).padStart(4)} placements  ${String(x.resources).padStart(6)} resources (${perRes.toFixed(1)}/placement)  ${(x.wallMs / 1000).toFixed(1)} s (${perMs.toFixed(0)} ms/placement)  peak RSS ${x.maxRssMb.toFixed(0)} MiB`);
    }
    const last = runs[runs.length - 1];
    const ratio = (x: ScaleRun, y: ScaleRun) => ((x.wallMs / x.placements) / (y.wallMs / y.placements)).toFixed(2);
    lines.push(`  time per placement, ${last.placements} vs ${base.placements}: ${ratio(last, base)}×; ${last.placements} vs ${mid.placements}: ${ratio(last, mid)}× (1.00 = linear)`);
    lines.push(`  peak memory per placement above the 1 × 1 baseline: ${((last.maxRssMb - base.maxRssMb) / (last.placements - base.placements || 1)).toFixed(2)} MiB`);
    return lines;
}
