import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, policyDocument, PolicyStatement } from "./iamPolicy";

export interface SecureBucketArgs {
    /** Region the bucket and its configuration live in. */
    region: string;
    /** Customer-managed KMS key for SSE-KMS (with an S3 bucket key). Default: SSE-S3 (AES256). */
    kmsKeyArn?: pulumi.Input<string>;
    /** Expire objects (and noncurrent versions) after this many days. Default: keep forever. */
    lifecycleDays?: number;
    /** Let `pulumi destroy` delete a non-empty bucket. Default false: evidence is not deleted by accident. */
    forceDestroy?: boolean;
    /**
     * Statements added to the bucket policy after the TLS-only deny. A function receives the bucket ARN,
     * for statements that must name the bucket itself.
     */
    extraPolicyStatements?: pulumi.Input<pulumi.Input<PolicyStatement>[]> | ((bucketArn: string) => pulumi.Input<PolicyStatement[]>);
    /** Tags for the bucket, on top of the provider's default tags. */
    tags?: Record<string, string>;
}

/** S3 bucket names allow 3–63 of [a-z0-9-]; the provider appends a 26-character suffix to a prefix. */
export function bucketPrefixFor(name: string): string {
    const cleaned = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+/, "");
    const trimmed = cleaned.slice(0, 36).replace(/-+$/, "");
    return `${trimmed || "guardpost"}-`;
}

/**
 * A private S3 bucket that is encrypted at rest, versioned, owner-enforced (no ACLs), has every public
 * access block on, and refuses requests that are not over TLS. Reusable by any component that stores
 * security data.
 */
export class SecureBucket extends pulumi.ComponentResource {
    declare readonly bucket: aws.s3.Bucket;
    declare readonly arn: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;
    declare readonly policy: aws.s3.BucketPolicy;
    declare readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;

    constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("guardpost:storage:SecureBucket", name, {}, opts);
        if (args.lifecycleDays !== undefined && !(Number.isInteger(args.lifecycleDays) && args.lifecycleDays >= 1)) {
            throw new Error(`SecureBucket ${name}: lifecycleDays must be a whole number of days ≥ 1, got ${args.lifecycleDays}`);
        }
        const child = { parent: this };
        const region = args.region;
        const bucket = new aws.s3.Bucket(name, {
            region,
            bucketPrefix: bucketPrefixFor(name),
            forceDestroy: args.forceDestroy ?? false,
            tags: args.tags,
        }, child);

        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            region,
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, child);

        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            region,
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, child);

        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-sse`, {
            region,
            bucket: bucket.id,
            rules: [args.kmsKeyArn
                ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
                : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, child);

        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
            region,
            bucket: bucket.id,
            versioningConfiguration: { status: "Enabled" },
        }, child);

        if (args.lifecycleDays !== undefined) {
            new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
                region,
                bucket: bucket.id,
                rules: [{
                    id: "expire",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: args.lifecycleDays },
                    noncurrentVersionExpiration: { noncurrentDays: args.lifecycleDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                }],
            }, { parent: this, dependsOn: [versioning] });
        }

        const extra = args.extraPolicyStatements;
        const statements = typeof extra === "function"
            ? bucket.arn.apply(arn => extra(arn))
            : pulumi.output(extra ?? []);
        const policy = new aws.s3.BucketPolicy(`${name}-policy`, {
            region,
            bucket: bucket.id,
            policy: pulumi.all([bucket.arn, statements]).apply(([arn, more]) =>
                JSON.stringify(policyDocument([denyInsecureTransport(arn), ...(more as PolicyStatement[])]))),
        }, {
            parent: this,
            // S3 rejects a policy update that races a public-access-block update on the same bucket.
            dependsOn: [publicAccessBlock],
        });

        this.bucket = bucket;
        this.arn = bucket.arn;
        this.name = bucket.bucket;
        this.policy = policy;
        this.publicAccessBlock = publicAccessBlock;
        this.registerOutputs({ arn: this.arn, name: this.name });
    }
}
