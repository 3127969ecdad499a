/**
 * Console hosts per AWS partition. The China and GovCloud consoles live on different domains, so a link
 * built for `aws` would open the wrong console (or nothing) for findings from those partitions.
 */
const CONSOLE_HOSTS: Readonly<Record<string, string>> = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
};

/** Partition of a region, for findings whose `detail.partition` is missing (partial events). */
export function partitionOfRegion(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

export function consoleHost(partition: string): string {
    const host = CONSOLE_HOSTS[partition];
    if (!host) throw new Error(`no console host known for partition "${partition}"`);
    return host;
}

/** Deep link that opens one finding in the GuardDuty console of its region. */
export function guardDutyFindingUrl(partition: string, region: string, findingId: string): string {
    const r = encodeURIComponent(region);
    return `https://${r}.${consoleHost(partition)}/guardduty/home?region=${r}` +
        `#/findings?macros=current&fId=${encodeURIComponent(findingId)}`;
}
