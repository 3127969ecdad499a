/**
 * The coverage matrix: for every configured account × region, what covers GuardDuty, Security Hub, AWS
 * Config, Detective, alerting and log shipping — read from the resources the program actually declared
 * (not from config alone), so a wiring mistake shows up as a gap a reviewer can see in the pull request.
 */
import type { AccountConfig, GuardpostConfig } from "../config";
import type { MockedResource } from "./engine";
import { RELAY_SUBSCRIPTION_NAME, wafLoggingRegion } from "../model/logPaths";

export const COVERAGE_COLUMNS = ["guardDuty", "securityHub", "config", "detective", "alerting", "logShipping"] as const;
export type CoverageColumn = (typeof COVERAGE_COLUMNS)[number];

/**
 * - `managed` / `adopted`: declared in this account × region (adopted = imported with the `import` option);
 * - `member`: enrolled by the delegated administrator in this region (auto-enable, explicit member, central
 *   configuration policy on the organization root);
 * - `if-in-OU`: the central configuration policy is associated with OUs only (`policyTargets`); the account is
 *   enrolled if it sits in one of them, which config does not say — a reviewer checks it (`coverage.ouChecks`);
 * - `central`: handled in another account for this one (findings alert from the administrator's bus;
 *   CloudTrail from the organization trail);
 * - `skipped`: the account's `services` hand the service to someone else (e.g. Control Tower);
 * - `off`: switched off in config;
 * - `UNCOVERED`: expected and nothing covers it — the plan fails.
 */
export type CoverageStatus = "managed" | "adopted" | "member" | "if-in-OU" | "central" | "skipped" | "off" | "UNCOVERED";

export interface CoverageRow {
    account: string;
    accountId: string;
    region: string;
    cells: Record<CoverageColumn, CoverageStatus>;
}

export interface Coverage {
    rows: CoverageRow[];
    /** `account/region: column` for every UNCOVERED cell. */
    gaps: string[];
    /** Accounts the Security Hub policy reaches only through OUs, with those OUs: to check in Organizations. */
    ouChecks: string[];
}

const T = {
    detector: "aws:guardduty/detector:Detector",
    gdOrg: "aws:guardduty/organizationConfiguration:OrganizationConfiguration",
    gdMember: "aws:guardduty/member:Member",
    hub: "aws:securityhub/account:Account",
    hubMember: "aws:securityhub/member:Member",
    aggregator: "aws:securityhub/findingAggregator:FindingAggregator",
    association: "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation",
    recorder: "aws:cfg/recorder:Recorder",
    graph: "aws:detective/graph:Graph",
    detectiveOrg: "aws:detective/organizationConfiguration:OrganizationConfiguration",
    detectiveMember: "aws:detective/member:Member",
    rule: "aws:cloudwatch/eventRule:EventRule",
    trail: "aws:cloudtrail/trail:Trail",
    flowLog: "aws:ec2/flowLog:FlowLog",
    wafLogging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    resolverAssociation: "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation",
    subscription: "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
} as const;

export function computeCoverage(cfg: GuardpostConfig, resources: MockedResource[]): Coverage {
    const at = (type: string, accountId: string, region?: string) => resources.filter(r => r.type === type && r.custom
        && r.provider?.account === accountId && (region === undefined || r.region === region));
    const declared = (type: string, accountId: string, region: string): CoverageStatus | undefined => {
        const found = at(type, accountId, region);
        if (found.length === 0) return undefined;
        return found.some(r => r.importId) ? "adopted" : "managed";
    };
    const admin = cfg.securityAccount;
    const findingRule = (accountId: string, region: string) => at(T.rule, accountId, region).some(r => {
        try { return (JSON.parse(r.inputs.eventPattern ?? "{}").source ?? []).includes("aws.guardduty"); } catch { return false; }
    });
    // Central configuration reaches the home region and each linked region of an associated account: a policy
    // association in the home region, an aggregator there that links this region, and the admin's hub in it
    // (https://docs.aws.amazon.com/securityhub/latest/userguide/aggregation-central-configuration.html).
    const links = (a: MockedResource, region: string) => region === cfg.homeRegion || a.inputs.linkingMode === "ALL_REGIONS"
        || (a.inputs.linkingMode === "SPECIFIED_REGIONS" && (a.inputs.specifiedRegions ?? []).includes(region))
        || (a.inputs.linkingMode === "ALL_REGIONS_EXCEPT_SPECIFIED" && !(a.inputs.specifiedRegions ?? []).includes(region));
    // A policy on the root (`r-…`) reaches every account; one on OUs (`ou-…`) only the accounts in them.
    const policyTargets = at(T.association, admin.id, cfg.homeRegion).filter(a => a.inputs.policyId !== "SELF_MANAGED_SECURITY_HUB").map(a => String(a.inputs.targetId));
    const centralReach: CoverageStatus | undefined = policyTargets.some(t => t.startsWith("r-")) ? "member" : policyTargets.length > 0 ? "if-in-OU" : undefined;
    const centralSecurityHub = (region: string): CoverageStatus | undefined => centralReach
        && at(T.aggregator, admin.id, cfg.homeRegion).some(a => links(a, region))
        && at(T.hub, admin.id, region).length > 0 ? centralReach : undefined;
    const orgTrail = resources.some(r => r.type === T.trail && r.inputs.isOrganizationTrail === true && r.inputs.isMultiRegionTrail === true);

    const rows: CoverageRow[] = [];
    for (const account of cfg.accounts) {
        for (const region of account.regions) {
            rows.push({ account: account.name, accountId: account.id, region, cells: {
                guardDuty: guardDuty(cfg, account, region),
                securityHub: securityHub(cfg, account, region),
                config: awsConfig(cfg, account, region),
                detective: detective(cfg, account, region),
                alerting: alerting(cfg, account, region),
                logShipping: logShipping(account, region),
            } });
        }
    }
    const gaps = rows.flatMap(r => COVERAGE_COLUMNS.filter(c => r.cells[c] === "UNCOVERED").map(c => `${r.account}/${r.region}: ${c}`));
    const viaOus = [...new Set(rows.filter(r => r.cells.securityHub === "if-in-OU").map(r => r.account))];
    const ouChecks = viaOus.map(a => `${a}: Security Hub's policy reaches it only if it is in ${policyTargets.join(" or ")}`);
    return { rows, gaps, ouChecks };

    function guardDuty(cfg: GuardpostConfig, account: AccountConfig, region: string): CoverageStatus {
        const own = declared(T.detector, account.id, region);
        if (!cfg.organization || account.kind === "security") return own ?? (account.services.guardDuty.mode === "skip" ? "skipped" : "UNCOVERED");
        if (account.kind === "management") {
            if (account.services.guardDuty.mode === "skip") return "skipped";
            const enrolled = at(T.gdMember, admin.id, region).some(m => m.inputs.accountId === account.id);
            return own && enrolled ? "member" : "UNCOVERED";
        }
        return at(T.gdOrg, admin.id, region).some(o => o.inputs.autoEnableOrganizationMembers === "ALL") ? "member" : "UNCOVERED";
    }

    function securityHub(cfg: GuardpostConfig, account: AccountConfig, region: string): CoverageStatus {
        if (!cfg.detection.securityHub.enabled) return "off";
        if (account.services.securityHub.mode === "skip") return "skipped";
        const own = declared(T.hub, account.id, region);
        if (!cfg.organization || account.kind === "security") return own ?? "UNCOVERED";
        if (account.kind === "management") {
            const enrolled = at(T.hubMember, admin.id, region).some(m => m.inputs.accountId === account.id);
            return own && enrolled ? centralSecurityHub(region) ?? "UNCOVERED" : "UNCOVERED";
        }
        return centralSecurityHub(region) ?? "UNCOVERED";
    }

    function awsConfig(cfg: GuardpostConfig, account: AccountConfig, region: string): CoverageStatus {
        if (!cfg.detection.awsConfig.enabled) return "off";
        if (account.services.config.mode === "skip") return "skipped";
        return declared(T.recorder, account.id, region) ?? "UNCOVERED";
    }

    function detective(cfg: GuardpostConfig, account: AccountConfig, region: string): CoverageStatus {
        if (!cfg.detection.detective) return "off";
        if (account.services.detective.mode === "skip") return "skipped";
        if (!cfg.organization || account.kind === "security") return declared(T.graph, account.id, region) ?? "UNCOVERED";
        const enrolled = at(T.detectiveMember, admin.id, region).some(m => m.inputs.accountId === account.id)
            && at(T.detectiveOrg, admin.id, region).length > 0;
        return enrolled ? "member" : "UNCOVERED";
    }

    function alerting(cfg: GuardpostConfig, account: AccountConfig, region: string): CoverageStatus {
        if (!cfg.organization) return findingRule(account.id, region) ? "managed" : "UNCOVERED";
        // Members' (and the management account's) findings reach the admin's bus in the same region.
        const central = findingRule(admin.id, region);
        if (account.kind === "security") return central ? "managed" : "UNCOVERED";
        if (findingRule(account.id, region)) return "UNCOVERED"; // a second rule would alert twice
        return central && guardDuty(cfg, account, region) !== "UNCOVERED" ? "central" : "UNCOVERED";
    }

    function logShipping(account: AccountConfig, region: string): CoverageStatus {
        // Every VPC flow, WAF and Resolver source configured here is declared, and what CloudWatch Logs receives
        // (the log relay outside the home region) is subscribed; else the sources would log to nowhere.
        if (!sourcesShipped(account, region)) return "UNCOVERED";
        if (orgTrail) return "central";
        if (!account.logs.cloudTrail) return "off";
        // One multi-region trail per account covers all its regions.
        return at(T.trail, account.id).some(t => t.inputs.isMultiRegionTrail === true) ? "managed" : "UNCOVERED";
    }

    function sourcesShipped(account: AccountConfig, region: string): boolean {
        const flows = at(T.flowLog, account.id, region);
        const flowsOk = (account.logs.vpcFlowLogs[region] ?? []).every(vpc => flows.some(f => f.inputs.vpcId === vpc));
        const wafOk = account.logs.wafWebAclArns.filter(arn => wafLoggingRegion(arn) === region)
            .every(arn => at(T.wafLogging, account.id, region).some(w => w.inputs.resourceArn === arn));
        const dnsOk = (account.logs.dnsQueryLogs[region] ?? []).every(vpc => at(T.resolverAssociation, account.id, region).some(a => a.inputs.resourceId === vpc));
        const toLogs = flows.some(f => f.inputs.logDestinationType === "cloud-watch-logs") || region !== cfg.homeRegion && (
            account.logs.wafWebAclArns.some(arn => wafLoggingRegion(arn) === region) || (account.logs.dnsQueryLogs[region] ?? []).length > 0);
        const relayed = !toLogs || at(T.subscription, account.id, region).some(s => s.inputs.name === RELAY_SUBSCRIPTION_NAME);
        return flowsOk && wafOk && dnsOk && relayed;
    }
}

/** The matrix as text: one line per account × region, fixed-width so a PR diff lines up. */
export function renderCoverage(coverage: Coverage): string {
    const head = ["account", "region", ...COVERAGE_COLUMNS];
    const rows = coverage.rows.map(r => [r.account, r.region, ...COVERAGE_COLUMNS.map(c => r.cells[c])]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const line = (cells: string[]) => "  " + cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    const out = ["coverage (account × region):", line(head), ...rows.map(line)];
    for (const check of coverage.ouChecks) out.push(`coverage: check in AWS Organizations — ${check}`);
    out.push(coverage.gaps.length === 0
        ? "coverage: every configured account × region is covered"
        : `coverage: ${coverage.gaps.length} UNCOVERED — ${coverage.gaps.join("; ")}`);
    return out.join("\n");
}
