/**
 * AWS partitions, computed from the region name alone so that no invoke is needed: the offline plan has no
 * AWS to ask, and an invoke per component is slow at scale.
 */

export type Partition = "aws" | "aws-cn" | "aws-us-gov";

/** The partition a region belongs to: `cn-*` → aws-cn, `us-gov-*` → aws-us-gov, else aws. */
export function partitionOf(region: string): Partition {
    if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/.test(region)) {
        throw new Error(`'${region}' is not an AWS region name (expected e.g. us-east-1, cn-north-1, us-gov-west-1)`);
    }
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    if (/^[a-z]{2}-iso/.test(region)) {
        throw new Error(`'${region}' is in an isolated partition guardpost does not support`);
    }
    return "aws";
}

/** The partition an ARN names (`arn:<partition>:…`), or undefined when the text is not an ARN. */
export function partitionOfArn(arn: string): string | undefined {
    return /^arn:(aws(?:-cn|-us-gov)?):/.exec(arn)?.[1];
}
