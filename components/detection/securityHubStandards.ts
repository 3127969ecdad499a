/**
 * Partitions and Security Hub standard ARNs, computed from the region name alone so that no invoke is
 * needed (the offline plan has no AWS to ask, and an invoke per account × region is slow at scale).
 */
import { partitionOf } from "../../model/partition";

export { partitionOf } from "../../model/partition";
export type { Partition } from "../../model/partition";


interface StandardSpec {
    /** Path after `standards/` (or `ruleset/` for the one legacy global standard). */
    path: string;
    /** CIS 1.2.0 predates regional standard ARNs: its ARN has no region and uses `ruleset/`. */
    global?: boolean;
    title: string;
}

/**
 * Short names accepted in `guardpost:detection.securityHub.standards`. ARN shapes as listed in the
 * @pulumi/aws 7.48 `StandardsSubscription.standardsArn` reference table.
 */
export const SECURITY_HUB_STANDARDS: Readonly<Record<string, StandardSpec>> = {
    "fsbp": { path: "aws-foundational-security-best-practices/v/1.0.0", title: "AWS Foundational Security Best Practices v1.0.0" },
    "cis-1.2": { path: "cis-aws-foundations-benchmark/v/1.2.0", global: true, title: "CIS AWS Foundations Benchmark v1.2.0" },
    "cis-1.4": { path: "cis-aws-foundations-benchmark/v/1.4.0", title: "CIS AWS Foundations Benchmark v1.4.0" },
    "cis-3.0": { path: "cis-aws-foundations-benchmark/v/3.0.0", title: "CIS AWS Foundations Benchmark v3.0.0" },
    "pci-3.2.1": { path: "pci-dss/v/3.2.1", title: "PCI DSS v3.2.1" },
    "nist-800-53": { path: "nist-800-53/v/5.0.0", title: "NIST SP 800-53 Rev. 5" },
};

export const KNOWN_STANDARD_SHORT_NAMES = Object.keys(SECURITY_HUB_STANDARDS);

/** The ARN to subscribe to for one standard short name in `region`, in that region's partition. */
export function standardArn(shortName: string, region: string): string {
    const spec = SECURITY_HUB_STANDARDS[shortName];
    if (!spec) {
        throw new Error(`unknown Security Hub standard '${shortName}'; known short names: ${KNOWN_STANDARD_SHORT_NAMES.join(", ")}`);
    }
    const partition = partitionOf(region);
    return spec.global
        ? `arn:${partition}:securityhub:::ruleset/${spec.path}`
        : `arn:${partition}:securityhub:${region}::standards/${spec.path}`;
}

/** Resolve every short name, rejecting unknown and repeated ones before any resource is declared. */
export function resolveStandards(shortNames: readonly string[], region: string): { shortName: string; arn: string }[] {
    const seen = new Set<string>();
    return shortNames.map(shortName => {
        if (seen.has(shortName)) {
            throw new Error(`Security Hub standard '${shortName}' is listed twice; list each standard once`);
        }
        seen.add(shortName);
        return { shortName, arn: standardArn(shortName, region) };
    });
}
