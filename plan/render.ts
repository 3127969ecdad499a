import type { Violation } from "../policy/rules";
import { renderViolations } from "./policyCheck";
import { countCustom, type PlanNode, type PlanReport } from "./plan";
import { renderCoverage } from "./coverage";

const BANNER = "Offline plan, computed by Pulumi's mock engine: no AWS credentials used, no cloud calls made, nothing deployed.";

export function renderText(report: PlanReport, violations: Violation[] = []): string {
    const out: string[] = [];
    out.push(`guardpost plan — stack ${report.stack} (${report.config.organization ? "organization" : "standalone"} mode)`);
    out.push(BANNER);
    out.push("");
    for (const w of report.warnings) out.push(`warning: ${w}`);
    if (report.warnings.length > 0) out.push("");
    for (const account of report.accounts) {
        out.push(`account ${account.name} (${account.id}, ${account.kind}) — ${account.resourceCount} resources`);
        for (const region of account.regions) {
            out.push(`  ${region.region} — ${region.resourceCount} resources`);
            for (const component of region.components) renderNode(component, 3, out);
        }
    }
    out.push("");
    const t = report.totals;
    out.push(`totals: ${t.resources} resources in ${t.components} components through ${t.providers} providers`);
    const types = Object.entries(t.byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [type, n] of types) out.push(`  ${String(n).padStart(5)}  ${type}`);
    out.push("");
    out.push(renderCoverage(report.coverage));
    out.push("");
    out.push(renderViolations(violations));
    out.push(`config: valid (${report.stackFile.split("/").pop()})`);
    return out.join("\n");
}

function renderNode(node: PlanNode, depth: number, out: string[]): void {
    const pad = "  ".repeat(depth);
    if (node.custom) {
        out.push(`${pad}${node.type}  ${node.name}`);
        return;
    }
    out.push(`${pad}${shortType(node.type)} ${node.name} (${countCustom(node)} resources)`);
    for (const child of node.children) renderNode(child, depth + 1, out);
}

function shortType(type: string): string {
    return type.split(":").pop() ?? type;
}

/** The same plan as data, for tools: accounts → regions → components, totals and warnings. */
export function renderJson(report: PlanReport, violations: Violation[] = []): string {
    const strip = (n: PlanNode): unknown => n.custom
        ? { type: n.type, name: n.name }
        : { component: n.type, name: n.name, resourceCount: countCustom(n), children: n.children.map(strip) };
    return JSON.stringify({
        stack: report.stack,
        offline: true,
        note: BANNER,
        mode: report.config.organization ? "organization" : "standalone",
        configValid: true,
        warnings: report.warnings,
        accounts: report.accounts.map(a => ({
            name: a.name, id: a.id, kind: a.kind, resourceCount: a.resourceCount,
            regions: a.regions.map(r => ({ region: r.region, resourceCount: r.resourceCount, components: r.components.map(strip) })),
        })),
        totals: report.totals,
        coverage: report.coverage,
        policy: { pack: "guardpost-security-posture", enforcement: "mandatory", violations },
    }, null, 2);
}
