import { indexPatternId, kindVisualization, overTime, SavedObject, termsBar } from "./siemDashboards";
import { LOG_KINDS, LogKind, TIME_FIELD } from "./siemTemplates";

/**
 * One dashboard per log type with the views an analyst opens first. Every field aggregated or queried here
 * is mapped with an aggregatable type in that log type's index template (checked by test/siemDashboardsByKind).
 * Saved-object ids are fixed, so re-imports overwrite instead of duplicating; a person's edit is kept as a
 * copy first (dynamic/dashboards.ts).
 */

export interface KindView {
    id: string;
    title: string;
    visState: Record<string, unknown>;
    /** KQL narrowing the view. */
    query?: string;
    /** Fields the query names (for the mapping check). */
    queryFields?: string[];
}

/** CloudTrail views beyond the four in siemDashboards.ts (when, where, what failed, who). */
export const CLOUDTRAIL_FIRST_VIEWS: KindView[] = [
    { id: "guardpost-cloudtrail-console-logins-by-country", title: "CloudTrail: console logins by country", visState: termsBar("geo.country_iso_code", 20),
        query: "eventName:ConsoleLogin", queryFields: ["eventName"] },
    { id: "guardpost-cloudtrail-root-activity", title: "CloudTrail: root user activity", visState: termsBar("eventName", 20),
        query: "userIdentity.type:Root", queryFields: ["userIdentity.type"] },
    { id: "guardpost-cloudtrail-access-denied", title: "CloudTrail: access denied by principal", visState: termsBar("principal", 20),
        query: "errorCode:AccessDenied* or errorCode:*UnauthorizedOperation", queryFields: ["errorCode"] },
];

export const KIND_VIEWS: Record<Exclude<LogKind, "cloudtrail">, KindView[]> = {
    vpcflow: [
        { id: "guardpost-vpcflow-top-talkers", title: "VPC flow: top talkers (bytes by source)", visState: termsBar("srcaddr", 20, "bytes") },
        { id: "guardpost-vpcflow-top-rejected-sources", title: "VPC flow: top rejected sources", visState: termsBar("srcaddr", 20), query: "action:REJECT", queryFields: ["action"] },
        { id: "guardpost-vpcflow-rejected-ports", title: "VPC flow: rejected destination ports", visState: termsBar("dstport", 20), query: "action:REJECT", queryFields: ["action"] },
        { id: "guardpost-vpcflow-rejects-over-time", title: "VPC flow: rejects over time", visState: overTime(TIME_FIELD.vpcflow), query: "action:REJECT", queryFields: ["action"] },
    ],
    waf: [
        { id: "guardpost-waf-blocked-by-rule", title: "WAF: blocked requests by rule", visState: termsBar("terminatingRuleId", 20), query: "action:BLOCK", queryFields: ["action"] },
        { id: "guardpost-waf-blocked-by-country", title: "WAF: blocked requests by country", visState: termsBar("httpRequest.country", 20), query: "action:BLOCK", queryFields: ["action"] },
        { id: "guardpost-waf-blocked-over-time", title: "WAF: blocked requests over time", visState: overTime(TIME_FIELD.waf), query: "action:BLOCK", queryFields: ["action"] },
        { id: "guardpost-waf-top-clients", title: "WAF: top client addresses", visState: termsBar("httpRequest.clientIp", 20) },
    ],
    dns: [
        { id: "guardpost-dns-nxdomain-over-time", title: "DNS: NXDOMAIN answers over time (spikes)", visState: overTime(TIME_FIELD.dns), query: "rcode:NXDOMAIN", queryFields: ["rcode"] },
        { id: "guardpost-dns-top-nxdomain-names", title: "DNS: top NXDOMAIN names", visState: termsBar("query_name", 20), query: "rcode:NXDOMAIN", queryFields: ["rcode"] },
        { id: "guardpost-dns-nxdomain-by-source", title: "DNS: NXDOMAIN by source address", visState: termsBar("srcaddr", 20), query: "rcode:NXDOMAIN", queryFields: ["rcode"] },
        { id: "guardpost-dns-top-names", title: "DNS: top queried names", visState: termsBar("query_name", 20) },
    ],
    securityhub: [
        { id: "guardpost-securityhub-failed-by-severity", title: "Security Hub: failed findings by severity", visState: termsBar("detail.findings.Severity.Label", 10),
            query: "detail.findings.Compliance.Status:FAILED", queryFields: ["detail.findings.Compliance.Status"] },
        { id: "guardpost-securityhub-failed-by-account", title: "Security Hub: failed findings by account", visState: termsBar("detail.findings.AwsAccountId", 30),
            query: "detail.findings.Compliance.Status:FAILED", queryFields: ["detail.findings.Compliance.Status"] },
        { id: "guardpost-securityhub-failed-by-control", title: "Security Hub: failed controls", visState: termsBar("detail.findings.Compliance.SecurityControlId", 20),
            query: "detail.findings.Compliance.Status:FAILED", queryFields: ["detail.findings.Compliance.Status"] },
        { id: "guardpost-securityhub-findings-over-time", title: "Security Hub: findings over time", visState: overTime(TIME_FIELD.securityhub) },
    ],
};

export function viewsOf(kind: LogKind): KindView[] {
    return kind === "cloudtrail" ? CLOUDTRAIL_FIRST_VIEWS : KIND_VIEWS[kind];
}

export function kindVisualizations(kind: LogKind): SavedObject[] {
    return viewsOf(kind).map(v => kindVisualization(kind, v.id, v.title, v.visState, v.query ?? ""));
}

export const DASHBOARD_TITLES: Record<LogKind, string> = {
    cloudtrail: "guardpost: CloudTrail", vpcflow: "guardpost: VPC flow", waf: "guardpost: WAF", dns: "guardpost: Route 53 Resolver (DNS)", securityhub: "guardpost: Security Hub",
};

export function dashboardId(kind: LogKind): string {
    return `guardpost-${kind}`;
}

/** A dashboard laying out `visualizationIds` two per row over the last 7 days. */
export function kindDashboard(kind: LogKind, visualizationIds: string[]): SavedObject {
    const panels = visualizationIds.map((_, i) => ({
        version: "2.0.0",
        gridData: { x: (i % 2) * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15, i: String(i + 1) },
        panelIndex: String(i + 1),
        embeddableConfig: {},
        panelRefName: `panel_${i}`,
    }));
    return {
        objectType: "dashboard",
        objectId: dashboardId(kind),
        attributes: {
            title: DASHBOARD_TITLES[kind],
            description: `What an analyst opens first for ${kind} logs, across every account. Managed by guardpost (index pattern ${indexPatternId(kind)}).`,
            hits: 0,
            version: 1,
            timeRestore: true,
            timeFrom: "now-7d",
            timeTo: "now",
            refreshInterval: { pause: true, value: 0 },
            optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
            panelsJSON: JSON.stringify(panels),
            kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }) },
        },
        references: visualizationIds.map((id, i) => ({ name: `panel_${i}`, type: "visualization", id })),
    };
}

export { LOG_KINDS };
