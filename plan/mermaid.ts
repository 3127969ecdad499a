import type { PlanNode, PlanReport } from "./plan";

/**
 * The stack as a Mermaid flowchart: one subgraph per account, nested per region, a node per top-level
 * component, and the data flows between them (findings → alerting → people; logs → the SIEM → its detections
 * → alerting; member
 * findings → the delegated admin's alerting; Config history and exported findings → the archive).
 */
export function renderMermaid(report: PlanReport): string {
    const lines: string[] = ["flowchart LR"];
    const ids = new Map<string, string>();
    const id = (key: string) => {
        let v = ids.get(key);
        if (!v) {
            v = `n${ids.size + 1}`;
            ids.set(key, v);
        }
        return v;
    };
    const kindOf = (n: PlanNode) => n.type.split(":").pop() ?? n.type;
    const nodes: { node: PlanNode; account: string; region: string; kind: string; nodeId: string }[] = [];

    lines.push(`  people(["Security team: e-mail"])`, `  telegram(["Telegram chat"])`);
    for (const account of report.accounts) {
        lines.push(`  subgraph ${id(`account:${account.name}`)}["${label(`${account.name} (${account.id}, ${account.kind})`)}"]`);
        for (const region of account.regions) {
            if (region.components.length === 0) continue;
            lines.push(`    subgraph ${id(`region:${account.name}:${region.region}`)}["${label(region.region)}"]`);
            for (const component of region.components) {
                const nodeId = id(component.urn);
                const kind = kindOf(component);
                nodes.push({ node: component, account: account.name, region: region.region, kind, nodeId });
                lines.push(`      ${nodeId}["${label(`${kind}`)}"]`);
            }
            lines.push("    end");
        }
        lines.push("  end");
    }

    const siem = nodes.find(n => n.kind === "SiemDomain");
    const archive = nodes.find(n => n.kind === "SecurityArchive");
    const admin = report.accounts.find(a => a.kind === "security");
    for (const n of nodes) {
        const same = (kind: string) => nodes.find(m => m.kind === kind && m.account === n.account && m.region === n.region);
        // In an organization only the delegated admin's fanout alerts on findings (GuardDuty publishes each
        // member finding to the admin's bus too); the others keep their topic for pipeline alarms.
        const alertsOnFindings = !report.config.organization || n.account === admin?.name;
        if (n.kind === "DetectionBaseline") {
            const fanout = same("AlertFanout");
            if (fanout && alertsOnFindings) lines.push(`  ${n.nodeId} -- "findings (EventBridge)" --> ${fanout.nodeId}`);
            const adminFanout = nodes.find(m => m.kind === "AlertFanout" && m.account === admin?.name && m.region === n.region);
            if (report.config.organization && adminFanout && !alertsOnFindings) {
                lines.push(`  ${n.nodeId} -. "member findings" .-> ${adminFanout.nodeId}`);
            }
            if (archive) lines.push(`  ${n.nodeId} -. "Config history, findings export" .-> ${archive.nodeId}`);
        } else if (n.kind === "AlertFanout") {
            lines.push(`  ${n.nodeId} -- "${alertsOnFindings ? "SNS e-mail" : "alarms (SNS e-mail)"}" --> people`);
            if (report.config.alerts.telegramChatId && alertsOnFindings) lines.push(`  ${n.nodeId} -- "Lambda" --> telegram`);
        } else if (n.kind === "SiemDomain") {
            // Detections go to the SIEM detections topic of the fanout beside it (e-mail and Telegram).
            const fanout = same("AlertFanout");
            if (fanout) lines.push(`  ${n.nodeId} -- "detections (SNS)" --> ${fanout.nodeId}`);
        } else if (n.kind === "LogPipeline" && siem) {
            lines.push(`  ${n.nodeId} -- "logs (Lambda, Firehose)" --> ${siem.nodeId}`);
        }
    }
    return lines.join("\n") + "\n";
}

/** Mermaid labels are quoted strings; quotes and markup characters must not end them early. */
function label(text: string): string {
    return text.replace(/"/g, "#quot;").replace(/[<>]/g, "");
}
