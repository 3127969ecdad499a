import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SecureBucket } from "../shared/secureBucket";
import { archiveKeyPolicy, configArchiveStatements, findingsExportStatements } from "./archivePolicies";

export interface SecurityArchiveArgs {
    /** The account that holds the archive: the security account, or a log-archive account from config. */
    accountId: string;
    /** The archive's region (the stack's home region). GuardDuty and Config of every region deliver here. */
    region: string;
    /** `aws`, `aws-cn` or `aws-us-gov`: every ARN of the policies is built in it. */
    partition: string;
    /** Accounts whose AWS Config delivers to the archive (every account that does not skip Config). */
    configSourceAccountIds: string[];
    /** Accounts that export GuardDuty findings (the delegated admin, or each standalone account). */
    findingsExportAccountIds: string[];
    /** Days to keep objects and their noncurrent versions. */
    retentionDays: number;
    tags?: Record<string, string>;
}

/**
 * One archive for the whole stack: a versioned, SSE-KMS bucket with a lifecycle, in the archive account's
 * home region, that AWS Config of every account × region and GuardDuty's findings export write to — so
 * configuration history and findings outlive GuardDuty's 90 days and any member account. A bucket in one
 * region serves every region's export (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html:
 * "you can use the same bucket … for each Region"); the key is in the bucket's region, as GuardDuty requires.
 */
export class SecurityArchive extends pulumi.ComponentResource {
    declare readonly bucketName: pulumi.Output<string>;
    declare readonly bucketArn: pulumi.Output<string>;
    declare readonly keyArn: pulumi.Output<string>;
    /** The key and the bucket policy: deliveries and exports must wait for them. */
    declare readonly ready: pulumi.Resource[];

    constructor(name: string, args: SecurityArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
        if (!/^\d{12}$/.test(args.accountId)) throw new Error(`SecurityArchive ${name}: accountId must be 12 digits, got '${args.accountId}'`);
        for (const id of [...args.configSourceAccountIds, ...args.findingsExportAccountIds]) {
            if (!/^\d{12}$/.test(id)) throw new Error(`SecurityArchive ${name}: source account ids must be 12 digits, got '${id}'`);
        }
        super("guardpost:detection:SecurityArchive", name, {}, opts);
        const region = args.region;
        const key = new aws.kms.Key(`${name}-key`, {
            region,
            description: "guardpost security archive: AWS Config history and exported GuardDuty findings",
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: JSON.stringify(archiveKeyPolicy({
                partition: args.partition, account: args.accountId,
                configAccountIds: args.configSourceAccountIds, exportAccountIds: args.findingsExportAccountIds,
            })),
            tags: args.tags,
        }, { parent: this });
        new aws.kms.Alias(`${name}-key-alias`, { region, name: `alias/guardpost/${name}`, targetKeyId: key.keyId }, { parent: this });
        const partition = args.partition;
        const configIds = args.configSourceAccountIds;
        const exportIds = args.findingsExportAccountIds;
        const bucket = new SecureBucket(`${name}-bucket`, {
            region,
            kmsKeyArn: key.arn,
            lifecycleDays: args.retentionDays,
            extraPolicyStatements: bucketArn => key.arn.apply(keyArn => [
                ...configArchiveStatements(bucketArn, configIds),
                ...findingsExportStatements(bucketArn, keyArn, partition, exportIds),
            ]),
            tags: args.tags,
        }, { parent: this });
        this.bucketName = bucket.name;
        this.bucketArn = bucket.arn;
        this.keyArn = key.arn;
        this.ready = [key, bucket.policy];
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, keyArn: this.keyArn });
    }
}
