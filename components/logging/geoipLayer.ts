import * as aws from "@pulumi/aws";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { SecureBucket } from "../shared/secureBucket";

/**
 * Lambda's deployment-package quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
 * "50 MB (zipped, for direct upload)" — a larger layer archive must be published from S3 — and "250 MB
 * (unzipped, including layers)", which no upload path lifts. Lambda counts MB as 1024 KB.
 */
export const DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;
export const UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;
/** Headroom under the direct-upload limit for the archive's own headers and directory. */
const DIRECT_UPLOAD_MARGIN_BYTES = 1024 * 1024;
/**
 * What the offline plan assumes for a database it does not have: the GeoLite2 City database is tens of MB
 * (about 60 MB unzipped in 2025 releases), so the plan shows the S3 path a real deploy takes.
 */
export const ASSUMED_MISSING_FILE_BYTES = 64 * 1024 * 1024;

export type LayerUpload = { mode: "direct" } | { mode: "s3"; reason: string };

/**
 * How the layer must be published. A zip's deflate never makes data much larger than it is, so files whose
 * total size stays under the direct-upload limit (less a margin) always fit; anything larger goes through S3,
 * even when it might compress below the limit — publishing from S3 is never refused for size.
 */
export function layerUploadMode(fileBytes: number[]): LayerUpload {
    const total = fileBytes.reduce((a, b) => a + b, 0);
    if (total > UNZIPPED_LIMIT_BYTES) {
        throw new Error(`GeoIP layer: the databases add up to ${mib(total)} MiB unzipped; Lambda allows 250 MB unzipped for a function and its layers (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). Use GeoLite2-City without extra databases.`);
    }
    if (total <= DIRECT_UPLOAD_LIMIT_BYTES - DIRECT_UPLOAD_MARGIN_BYTES) return { mode: "direct" };
    return { mode: "s3", reason: `${mib(total)} MiB of databases may exceed Lambda's 50 MB direct-upload limit for a zipped layer` };
}

function mib(bytes: number): string {
    return (bytes / 1024 / 1024).toFixed(1);
}

/** The size of each file, or the assumed real size when the file is not on this machine (offline plan). */
export function fileSizes(paths: string[]): number[] {
    return paths.map((p) => {
        try { return fs.statSync(p).size; } catch { return ASSUMED_MISSING_FILE_BYTES; }
    });
}

/** The layer's archive: each local file at its path under /opt. */
export function layerArchive(files: Record<string, string>): pulumi.asset.AssetArchive {
    const assets: Record<string, pulumi.asset.Asset> = {};
    for (const [at, file] of Object.entries(files)) assets[at] = new pulumi.asset.FileAsset(file);
    return new pulumi.asset.AssetArchive(assets);
}

export interface GeoipLayerArgs {
    /** Region of the layer (and of the S3 bucket it is published from, which Lambda reads in the same region). */
    region: string;
    /** Physical layer name. */
    layerName: string;
    /** Archive path (under /opt) → local file. */
    files: Record<string, string>;
    /** Runtimes the layer declares. */
    compatibleRuntimes: string[];
    tags?: Record<string, string>;
}

/**
 * The GeoIP database layer. Small archives are uploaded directly; real-size GeoLite2 databases are written
 * to a private, versioned bucket (aws.s3.BucketObjectv2) and the layer is published from that object
 * version (`s3Bucket`/`s3Key`/`s3ObjectVersion`), so a refreshed database publishes a new layer version.
 */
export class GeoipLayer extends pulumi.ComponentResource {
    declare readonly arn: pulumi.Output<string>;
    declare readonly upload: LayerUpload;

    constructor(name: string, args: GeoipLayerArgs, opts?: pulumi.ComponentResourceOptions) {
        const upload = layerUploadMode(fileSizes(Object.values(args.files)));
        super("guardpost:logging:GeoipLayer", name, {}, opts);
        const parent = { parent: this };
        const archive = layerArchive(args.files);
        const common = {
            region: args.region,
            layerName: args.layerName,
            description: "MaxMind GeoLite2 databases for guardpost log enrichment",
            compatibleRuntimes: args.compatibleRuntimes,
        };
        let layer: aws.lambda.LayerVersion;
        if (upload.mode === "direct") {
            layer = new aws.lambda.LayerVersion(name, { ...common, code: archive }, parent);
        } else {
            // SSE-S3, not the pipeline's CMK: Lambda fetches the object with the publisher's credentials, and a
            // layer archive holds no secret. No expiry: the object backs the layer version Pulumi manages.
            const bucket = new SecureBucket(`${name}-artifacts`, { region: args.region, tags: args.tags }, parent);
            const object = new aws.s3.BucketObjectv2(`${name}-archive`, {
                region: args.region,
                bucket: bucket.name,
                key: `layers/${args.layerName}.zip`,
                source: archive,
                contentType: "application/zip",
                tags: args.tags,
            }, { parent: this, dependsOn: [bucket.policy] });
            layer = new aws.lambda.LayerVersion(name, {
                ...common,
                s3Bucket: object.bucket,
                s3Key: object.key,
                s3ObjectVersion: object.versionId,
            }, parent);
        }
        this.arn = layer.arn;
        this.upload = upload;
        this.registerOutputs({ arn: layer.arn });
    }
}
