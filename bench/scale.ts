import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { syntheticSplit } from "./scaleWorker";

/**
 * `npm run bench -- scale`: the mocked program (real index.ts under plan/engine.ts) at estate sizes, each
 * run in a fresh process with Node's default heap (what a `pulumi up` gives the program), so its peak memory
 * is its own. Every size runs ROUNDS times, the sizes taking turns so that other load on the machine falls on
 * all of them alike; figures are medians, the absolute limits are judged on the worst run.
 *
 * Target (issue 12): an estate of 50 accounts × 17 regions in under 60 s and 2 GiB peak RSS per process,
 * time and memory per placement within 1.2× of the 5 × 5 run's. Pulumi's own cost per resource (plain
 * queues, no guardpost code: floorWorker.ts) times the estate's ~48,000 resources is already above that in
 * one process, so the estate is split over stacks of ESTATE_PER_STACK accounts (guardpost:estate, README
 * "Scale"), and each stack is held to the target. All account stacks have the same shape, so one stands for
 * the others; BENCH_ALL_STACKS=1 runs every one. `npm run bench -- scale-single` runs the estate as one stack.
 *
 * Per placement, ≤ 1.2× the 5 × 5's: the whole run divided by its placements (the target as written), CPU
 * time and peak RSS. Beside it, the cost beyond the 1 × 1 run (start-up, module loading, the SIEM) divided by
 * the placements beyond it, which shows whether a placement costs more in a larger stack: its CPU time is
 * judged too; its peak RSS is printed, not judged, because V8 grows the heap in steps (the old generation's
 * limit is set at each full collection to a multiple of what survived), and the 5 × 5 ends just below a
 * step: measured beyond the 1 × 1, a 5 × 3, 5 × 7 or 5 × 9 stack costs 128–147 KiB of peak RSS per resource,
 * like the estate's stacks (~135), the 5 × 5 107–114 — while the live heap per pending resource is ~73 KiB
 * at every size (README "Scale"). Time is the process's CPU time (user + system, all threads): on the shared 2-core
 * machine wall-clock time also counts other processes, so wall-clock is printed beside it but judged only
 * against the 60 s limit.
 */

export const ESTATE = { accounts: 50, regions: 17 };
/**
 * Accounts per stack. Each account × region declares ~57 resources (5 × 5: 1,673 with the SIEM); 5 accounts
 * × 17 regions is ~4,900 resources, ~0.9 GiB and ~15 s of CPU, inside the target with room for growth.
 */
export const ESTATE_PER_STACK = 5;
export const TARGET = { wallMs: 60_000, maxRssMb: 2048, perPlacementRatio: 1.2 };
const ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 3);

interface Run { placements: number; resources: number; wallMs: number; maxRssMb: number; cpuMs: number; providers?: number; stack?: string; part?: string }
interface Measured { median: Run; worst: Run; runs: Run[] }

function worker(script: string, args: (string | number)[], nodeArgs: string[] = []): any {
    const out = execFileSync(process.execPath, [...nodeArgs, "-r", "ts-node/register/transpile-only", path.join(__dirname, script), ...args.map(String)], {
        cwd: path.join(__dirname, ".."),
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
        stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

function middle(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function summarize(runs: Run[]): Measured {
    const pick = (f: (r: Run) => number, agg: (xs: number[]) => number) => agg(runs.map(f));
    const max = (xs: number[]) => Math.max(...xs);
    const base = runs[0];
    return {
        runs,
        median: { ...base, wallMs: pick(r => r.wallMs, middle), maxRssMb: pick(r => r.maxRssMb, middle), cpuMs: pick(r => r.cpuMs, middle) },
        worst: { ...base, wallMs: pick(r => r.wallMs, max), maxRssMb: pick(r => r.maxRssMb, max), cpuMs: pick(r => r.cpuMs, max) },
    };
}

/** Runs every job ROUNDS times, round-robin; returns each job's runs summarized. */
function rounds(jobs: Array<() => Run>): Measured[] {
    const runs: Run[][] = jobs.map(() => []);
    for (let r = 0; r < ROUNDS; r++) jobs.forEach((job, i) => runs[i].push(job()));
    return runs.map(summarize);
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (mb: number) => `${mb.toFixed(0)} MiB`;
const x = (r: number) => `${r.toFixed(2)}×`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
const n = (v: number) => Math.round(v).toLocaleString("en-US");

function describeRun(label: string, r: Run): string {
    return `  ${label.padEnd(30)} ${String(r.placements).padStart(3)} placements ${n(r.resources).padStart(6)} resources (${(r.resources / r.placements).toFixed(1)}/placement)` +
        `${r.providers !== undefined ? `, ${r.providers} provider${r.providers === 1 ? "" : "s"}` : ""}: wall ${s(r.wallMs)}, CPU ${s(r.cpuMs)}, peak RSS ${mib(r.maxRssMb)}`;
}

/** Pulumi's floor: per-resource CPU time and memory of plain queues, from the difference of two sizes. */
function floor(): { cpuMsPerResource: number; wallMsPerResource: number; mbPerResource: number; line: string } {
    const [small, large] = rounds([() => worker("floorWorker.ts", [1000]), () => worker("floorWorker.ts", [5000])]).map(m => m.median);
    const count = large.resources - small.resources;
    const cpuMsPerResource = (large.cpuMs - small.cpuMs) / count;
    const wallMsPerResource = (large.wallMs - small.wallMs) / count;
    const mbPerResource = (large.maxRssMb - small.maxRssMb) / count;
    return {
        cpuMsPerResource, wallMsPerResource, mbPerResource,
        line: `  Pulumi alone (plain aws.sqs.Queue, same engine and leanPulumi, ${n(small.resources)} and ${n(large.resources)} resources): ` +
            `${cpuMsPerResource.toFixed(2)} ms CPU (${wallMsPerResource.toFixed(2)} ms wall) and ${(mbPerResource * 1024).toFixed(0)} KiB of peak RSS per resource`,
    };
}

export async function benchScale(): Promise<string[]> {
    const [load] = os.loadavg();
    const lines = [
        `scale: the mocked program (index.ts under plan/engine.ts), every run a fresh process with Node's default heap; medians of ${ROUNDS} runs taking turns`,
        `  (load average ${load.toFixed(1)} on ${os.cpus().length} cores at the start: wall-clock time includes other processes'; CPU time is the run's own)`,
    ];
    const split = syntheticSplit(ESTATE.accounts, ESTATE.regions, ESTATE_PER_STACK);
    const wanted = process.env.BENCH_ALL_STACKS ? split.map((_s, i) => i) : [0, 1];
    const measured = rounds([
        () => worker("scaleWorker.ts", [1, 1]),
        () => worker("scaleWorker.ts", [5, 5]),
        ...wanted.map(i => () => worker("scaleWorker.ts", [ESTATE.accounts, ESTATE.regions, ESTATE_PER_STACK, i])),
    ]);
    const [base, mid] = measured.map(m => m.median);
    // Target 1: the stacks as written, one provider per account (the tests check each resource's region).
    for (const stack of ["dev", "prod"]) {
        const r = worker("scaleWorker.ts", ["--stack", stack]) as Run & { accounts: number };
        lines.push(`  target 1, ${stack} (Pulumi.${stack}.yaml): ${r.providers} aws providers for ${r.accounts} accounts, ${n(r.resources)} resources in ${r.placements} account × regions [providers = accounts: ${verdict(r.providers === r.accounts)}]`);
    }
    const stacks = wanted.map((index, k) => ({ index, m: measured[k + 2] }));
    lines.push(describeRun("1 × 1, one stack (start-up)", base));
    lines.push(describeRun("5 × 5, one stack (reference)", mid));

    const f = floor();
    // The estate's resources: the core as measured, every account stack like the one measured.
    const core = stacks.find(st => st.index === 0)!.m.median;
    const sample = stacks.find(st => st.index !== 0)?.m.median ?? core;
    const estateTotal = core.resources + split.slice(1).reduce((sum, st) => sum + sample.resources * st.placements / sample.placements, 0);
    lines.push(`${ESTATE.accounts} × ${ESTATE.regions} as one stack: ~${n(estateTotal)} resources, and Pulumi's own cost per resource is`);
    lines.push(f.line);
    lines.push(`  -> one process holding the whole estate needs >= ${s(f.cpuMsPerResource * estateTotal)} of CPU and >= ${(f.mbPerResource * estateTotal / 1024).toFixed(1)} GiB before any guardpost code runs: ` +
        `above the 2 GiB target, so the estate is split over stacks (measured as one stack: npm run bench -- scale-single)`);
    lines.push(`${ESTATE.accounts} × ${ESTATE.regions} split over ${split.length} stacks of ${ESTATE_PER_STACK} accounts (guardpost:estate: 1 core with the SIEM + ${split.length - 1} account stacks; providers per stack = its accounts):`);

    const perPlacement = (r: Run) => ({ cpu: r.cpuMs / r.placements, wall: r.wallMs / r.placements, mb: r.maxRssMb / r.placements });
    const beyond = (r: Run) => ({ cpu: (r.cpuMs - base.cpuMs) / (r.placements - 1), wall: (r.wallMs - base.wallMs) / (r.placements - 1), mb: (r.maxRssMb - base.maxRssMb) / (r.placements - 1) });
    const ref = perPlacement(mid);
    const refBeyond = beyond(mid);
    const limit = TARGET.perPlacementRatio;
    let all = true;
    for (const { index, m } of stacks) {
        const r = m.median;
        const p = perPlacement(r);
        const b = beyond(r);
        const within = m.worst.wallMs < TARGET.wallMs && m.worst.maxRssMb < TARGET.maxRssMb;
        const flat = p.cpu / ref.cpu <= limit && p.mb / ref.mb <= limit;
        const flatBeyond = b.cpu / refBeyond.cpu <= limit;
        all &&= within && flat && flatBeyond;
        lines.push(describeRun(`${split[index].name} (${split[index].part})`, r));
        lines.push(`      wall ${s(r.wallMs)}, worst of ${m.runs.length} ${s(m.worst.wallMs)} [< 60 s: ${verdict(m.worst.wallMs < TARGET.wallMs)}]; ` +
            `peak RSS ${mib(r.maxRssMb)}, worst ${mib(m.worst.maxRssMb)} [< 2048 MiB: ${verdict(m.worst.maxRssMb < TARGET.maxRssMb)}]`);
        lines.push(`      per placement: CPU ${p.cpu.toFixed(0)} ms (${x(p.cpu / ref.cpu)} the 5 × 5's), memory ${p.mb.toFixed(1)} MiB (${x(p.mb / ref.mb)}) [<= ${limit}: ${verdict(flat)}]; wall ${p.wall.toFixed(0)} ms (${x(p.wall / ref.wall)})`);
        lines.push(`      per placement beyond the 1 × 1 start-up: CPU ${b.cpu.toFixed(0)} ms (${x(b.cpu / refBeyond.cpu)} the 5 × 5's) [<= ${limit}: ${verdict(flatBeyond)}]; wall ${b.wall.toFixed(0)} ms (${x(b.wall / refBeyond.wall)}); ` +
            `peak RSS ${b.mb.toFixed(1)} MiB (${x(b.mb / refBeyond.mb)}; not judged: V8 grows the heap in steps and the 5 × 5 ends below one, see the comment above)`);
    }
    if (stacks.length < split.length) lines.push(`  (${split.length - stacks.length} more account stacks of the same shape not run; BENCH_ALL_STACKS=1 runs them)`);
    lines.push(`  target 2, each stack of the split estate within 60 s and 2 GiB, time and memory per placement within ${limit}× the 5 × 5's: ${verdict(all)}`);
    return lines;
}

/** The whole 50 × 17 estate as one stack, for the record: minutes and ~8 GiB (a 16 GiB heap). */
export async function benchScaleSingle(): Promise<string[]> {
    const r = worker("scaleWorker.ts", [ESTATE.accounts, ESTATE.regions], ["--max-old-space-size=16384"]) as Run;
    return [
        "scale-single: the 50 × 17 estate as one stack (a 16 GiB heap; Node's default stops near 4 GiB)",
        describeRun("50 × 17, one stack", r),
        `  above the target (< 60 s: ${verdict(r.wallMs < TARGET.wallMs)}, < 2048 MiB: ${verdict(r.maxRssMb < TARGET.maxRssMb)}) and above Pulumi's own floor for its resource count: split it (guardpost:estate)`,
    ];
}
