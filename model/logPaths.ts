/**
 * Which log sources an account × region ships, and by which path, as plain decisions config validation and the
 * program share (no Pulumi). In the SIEM's home region VPC flow, WAF, Resolver and Security Hub logs go through
 * Firehose; anywhere else Firehose cannot deliver to the domain (cross-region delivery is documented for HTTP
 * endpoints only: https://docs.aws.amazon.com/firehose/latest/dev/across.html), so they go through the log relay —
 * CloudWatch Logs in the source region, subscribed by a Lambda that writes to the domain over HTTPS
 * (components/logging/logRelay.ts).
 */

/** The subscription filter that hands a relayed log group to the log relay (one per group). */
export const RELAY_SUBSCRIPTION_NAME = "guardpost-log-relay";

export interface LogSourceConfig {
    vpcFlowLogs: Record<string, string[]>;
    dnsQueryLogs: Record<string, string[]>;
    wafWebAclArns: string[];
    securityHubFindings: boolean;
}

/** The region a web ACL's logs are delivered in: its own, or us-east-1 for CloudFront (`global`) ACLs. */
export function wafLoggingRegion(arn: string): string {
    const [, , , region, , resource] = arn.split(":");
    return resource.startsWith("global/") ? "us-east-1" : region;
}

/**
 * Where Security Hub findings are shipped to the SIEM: only where they are aggregated, or every finding would be
 * indexed once per copy. In an organization the delegated admin's home region receives every member's findings
 * from every linked region; a standalone account aggregates its own regions in the home region when it operates
 * there, and otherwise ships from each region (through the relay).
 */
export function shipsSecurityHubFrom(p: {
    securityHubEnabled: boolean; organization: boolean; homeRegion: string;
    account: { kind: string; regions: string[]; logs: Pick<LogSourceConfig, "securityHubFindings"> };
}, region: string): boolean {
    if (!p.securityHubEnabled || !p.account.logs.securityHubFindings) return false;
    if (p.organization) return p.account.kind === "security" && region === p.homeRegion;
    return p.account.regions.includes(p.homeRegion) ? region === p.homeRegion : true;
}

/** The log types an account × region outside the home region sends through the relay (none in the home region). */
export function relayedSources(logs: LogSourceConfig, region: string, homeRegion: string, securityHub: boolean): string[] {
    if (region === homeRegion) return [];
    return [
        ...((logs.vpcFlowLogs[region] ?? []).length > 0 ? ["vpcflow"] : []),
        ...(logs.wafWebAclArns.some((arn) => wafLoggingRegion(arn) === region) ? ["waf"] : []),
        ...((logs.dnsQueryLogs[region] ?? []).length > 0 ? ["dns"] : []),
        ...(securityHub ? ["securityhub"] : []),
    ];
}
