import { execFileSync } from "child_process";
import * as path from "path";
import { syntheticSplit } from "./scaleWorker";

/**
 * `npm run bench -- scale`: the mocked program (real index.ts under plan/engine.ts) at estate sizes,
 * each in a fresh process so its peak memory is its own, measured in this one run.
 *
 * Target (issue 12): an estate of 50 accounts × 17 regions in under 60 s and 2 GiB peak RSS per
 * process, time and memory per placement within 1.2× of the 5 × 5 run. Pulumi's own cost per resource
 * (the floor section: plain queues, no guardpost code) times the estate's ~51,000 resources is already
 * above that in one process, so the estate is split over stacks of ESTATE_PER_STACK accounts
 * (guardpost:estate, README "Scale"), and each stack is held to the target. All account stacks have the
 * same shape, so one stands for the others; BENCH_ALL_STACKS=1 runs every one.
 * `npm run bench -- scale-single` also runs the estate as one stack (several minutes, ~8 GiB).
 */

export const ESTATE = { accounts: 50, regions: 17 };
export const ESTATE_PER_STACK = 5;
export const TARGET = { wallMs: 60_000, maxRssMb: 2048, perPlacementRatio: 1.2 };

interface Run { placements: number; resources: number; wallMs: number; maxRssMb: number; providers?: number; stack?: string; part?: string }

function worker(script: string, args: (string | number)[], heapMb = 16384): any {
    const out = execFileSync(process.execPath, [`--max-old-space-size=${heapMb}`, "-r", "ts-node/register/transpile-only", path.join(__dirname, script), ...args.map(String)], {
        cwd: path.join(__dirname, ".."),
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
        stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (mb: number) => `${mb.toFixed(0)} MiB`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

function describeRun(label: string, x: Run): string {
    return `  ${label.padEnd(28)} ${String(x.placements).padStart(4)} placements ${String(x.resources).padStart(6)} resources (${(x.resources / x.placements).toFixed(1)}/placement)` +
        `${x.providers !== undefined ? `, ${x.providers} providers` : ""}  ${s(x.wallMs)} (${(x.wallMs / x.placements).toFixed(0)} ms/placement)  peak RSS ${mib(x.maxRssMb)} (${(x.maxRssMb / x.placements).toFixed(1)} MiB/placement)`;
}

/** Pulumi's floor: per-resource time and memory of plain queues, from the difference of two sizes. */
function floor(): { msPerResource: number; mbPerResource: number; lines: string[] } {
    const small = worker("floorWorker.ts", [1000]);
    const large = worker("floorWorker.ts", [5000]);
    const n = large.resources - small.resources;
    const msPerResource = (large.wallMs - small.wallMs) / n;
    const mbPerResource = (large.maxRssMb - small.maxRssMb) / n;
    return {
        msPerResource, mbPerResource,
        lines: [`  Pulumi alone (plain aws.sqs.Queue, same engine, ${small.resources} and ${large.resources} resources): ${msPerResource.toFixed(2)} ms and ${(mbPerResource * 1024).toFixed(0)} KiB per resource`],
    };
}

export async function benchScale(): Promise<string[]> {
    const lines = ["scale: the mocked program (index.ts under plan/engine.ts), fresh process per stack"];
    const base = worker("scaleWorker.ts", [1, 1]) as Run;
    const mid = worker("scaleWorker.ts", [5, 5]) as Run;
    lines.push(describeRun("1 × 1, one stack", base));
    lines.push(describeRun("5 × 5, one stack (reference)", mid));

    const split = syntheticSplit(ESTATE.accounts, ESTATE.regions, ESTATE_PER_STACK);
    const wanted = process.env.BENCH_ALL_STACKS ? split.map((_s, i) => i) : [0, 1];
    const runs: Array<{ index: number; run: Run }> = [];
    for (const i of wanted) runs.push({ index: i, run: worker("scaleWorker.ts", [ESTATE.accounts, ESTATE.regions, ESTATE_PER_STACK, i]) as Run });

    const f = floor();
    // The estate's resources: the core as measured, every account stack like the one measured.
    const core = runs.find((r) => r.index === 0)!.run;
    const sample = runs.find((r) => r.index !== 0)?.run ?? core;
    const estateTotal = core.resources + split.slice(1).reduce((sum, st) => sum + sample.resources * st.placements / sample.placements, 0);
    const floorMs = f.msPerResource * estateTotal;
    const floorMb = f.mbPerResource * estateTotal;
    lines.push(`${ESTATE.accounts} × ${ESTATE.regions} in one process: ~${Math.round(estateTotal).toLocaleString("en-US")} resources; Pulumi's own floor for them alone is`);
    lines.push(...f.lines);
    lines.push(`  -> the whole estate in one process needs >= ${s(floorMs)} and >= ${(floorMb / 1024).toFixed(1)} GiB before any guardpost code runs [one stack within 60 s and 2 GiB: ${verdict(floorMs < TARGET.wallMs && floorMb < TARGET.maxRssMb)}]`);
    lines.push(`${ESTATE.accounts} × ${ESTATE.regions} split over ${split.length} stacks of ${ESTATE_PER_STACK} accounts (guardpost:estate: 1 core with the SIEM + ${split.length - 1} account stacks; providers per stack = its accounts):`);
    const perPlacement = (x: Run) => ({ ms: x.wallMs / x.placements, mb: x.maxRssMb / x.placements });
    // Beside the per-placement ratio (which includes start-up): the cost of each placement beyond 1 × 1.
    const marginal = (x: Run) => ({ ms: (x.wallMs - base.wallMs) / (x.placements - 1), mb: (x.maxRssMb - base.maxRssMb) / (x.placements - 1) });
    const ref = perPlacement(mid);
    const refMarginal = marginal(mid);
    let all = true;
    for (const { index, run } of runs) {
        const p = perPlacement(run);
        const timeRatio = p.ms / ref.ms;
        const memRatio = p.mb / ref.mb;
        const ok = run.wallMs < TARGET.wallMs && run.maxRssMb < TARGET.maxRssMb && timeRatio <= TARGET.perPlacementRatio && memRatio <= TARGET.perPlacementRatio;
        all &&= ok;
        lines.push(describeRun(`${split[index].name} (${split[index].part})`, run));
        lines.push(`  ${"".padEnd(28)} ${s(run.wallMs)} [< 60 s: ${verdict(run.wallMs < TARGET.wallMs)}]  ${mib(run.maxRssMb)} [< 2048 MiB: ${verdict(run.maxRssMb < TARGET.maxRssMb)}]  ` +
            `per placement vs 5 × 5: time ${timeRatio.toFixed(2)}×, memory ${memRatio.toFixed(2)}× [<= ${TARGET.perPlacementRatio}: ${verdict(timeRatio <= TARGET.perPlacementRatio && memRatio <= TARGET.perPlacementRatio)}]` +
            ` (beyond 1 × 1: ${marginal(run).ms.toFixed(0)} ms and ${marginal(run).mb.toFixed(1)} MiB per placement, ${(marginal(run).ms / refMarginal.ms).toFixed(2)}× and ${(marginal(run).mb / refMarginal.mb).toFixed(2)}× the 5 × 5's)`);
    }
    if (runs.length < split.length) lines.push(`  (${split.length - runs.length} more account stacks of the same shape not run; BENCH_ALL_STACKS=1 runs them)`);
    lines.push(`  target 2, each stack of the split estate: ${verdict(all)}`);
    return lines;
}

/** The whole 50 × 17 estate as one stack, for the record: several minutes and ~8 GiB. */
export async function benchScaleSingle(): Promise<string[]> {
    const x = worker("scaleWorker.ts", [ESTATE.accounts, ESTATE.regions]) as Run;
    return [
        "scale-single: the 50 × 17 estate as one stack",
        describeRun("50 × 17, one stack", x),
        `  [< 60 s: ${verdict(x.wallMs < TARGET.wallMs)}, < 2048 MiB: ${verdict(x.maxRssMb < TARGET.maxRssMb)}] — above Pulumi's own floor for its resource count; split it (guardpost:estate)`,
    ];
}
