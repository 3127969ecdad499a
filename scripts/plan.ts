/**
 * `npm run plan -- [--stack dev] [--json | --mermaid]`: what a stack would deploy, computed offline.
 */
import { ConfigError } from "../config";
import { runPlan } from "../plan/plan";
import { checkPolicies, renderViolations } from "../plan/policyCheck";
import { renderMermaid } from "../plan/mermaid";
import { renderJson, renderText } from "../plan/render";
import type { Coverage } from "../plan/coverage";
import { exitAfterFlush } from "./exitAfterFlush";

interface PlanArgs {
    stack: string;
    format: "text" | "json" | "mermaid";
}

export function parseArgs(argv: string[]): PlanArgs {
    const args: PlanArgs = { stack: "dev", format: "text" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack" || a === "-s") {
            const v = argv[++i];
            if (!v) throw new Error("--stack needs a stack name, e.g. --stack prod");
            args.stack = v;
        } else if (a.startsWith("--stack=")) {
            args.stack = a.slice("--stack=".length);
        } else if (a === "--json") {
            args.format = "json";
        } else if (a === "--mermaid") {
            args.format = "mermaid";
        } else {
            throw new Error(`unknown argument '${a}'. Usage: npm run plan -- [--stack NAME] [--json | --mermaid]`);
        }
    }
    return args;
}

export async function main(argv: string[], write: (s: string) => void, writeErr: (s: string) => void, stackDir?: string): Promise<number> {
    let args: PlanArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        writeErr((e as Error).message);
        return 2;
    }
    try {
        const report = await runPlan(args.stack, stackDir);
        const violations = checkPolicies(report.resources);
        if (args.format === "json") write(renderJson(report, violations));
        else if (args.format === "mermaid") write(renderMermaid(report));
        else write(renderText(report, violations));
        // Every rule is mandatory: a violation fails the plan as it would fail `pulumi preview`.
        if (violations.length > 0) {
            if (args.format !== "text") writeErr(renderViolations(violations));
            return 3;
        }
        return coverageExitCode(report.coverage, writeErr);
    } catch (e) {
        if (e instanceof ConfigError) {
            writeErr(`config: INVALID (Pulumi.${args.stack}.yaml) — nothing was planned.\n${e.message}`);
            return 1;
        }
        writeErr(`plan failed: ${(e as Error).message}`);
        return 1;
    }
}

/** Exit code 4 when a configured account × region is left uncovered: a blind spot must not merge. */
export function coverageExitCode(coverage: Coverage, writeErr: (s: string) => void): number {
    if (coverage.gaps.length === 0) return 0;
    writeErr(`coverage: ${coverage.gaps.length} account × region × service cell(s) UNCOVERED:\n  ${coverage.gaps.join("\n  ")}`);
    return 4;
}

if (require.main === module) {
    main(process.argv.slice(2), s => process.stdout.write(s + "\n"), s => process.stderr.write(s + "\n"))
        .then(exitAfterFlush);
}
