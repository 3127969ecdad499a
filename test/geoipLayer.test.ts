import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { DIRECT_UPLOAD_LIMIT_BYTES, layerArchive, layerUploadMode, UNZIPPED_LIMIT_BYTES } from "../components/logging/geoipLayer";
import { geoipLayerFiles, LogPipeline } from "../components/logging/logPipeline";
import { MockedResource, runMocked } from "../plan/engine";
import { GEOIP_CITY } from "./support/logFixtures";
import { testProvider } from "./support/providers";

const MiB = 1024 * 1024;
const ACCOUNT = "111111111111";

async function pipelineWith(cityPath: string): Promise<MockedResource[]> {
    const { resources } = await runMocked(() => {
        new LogPipeline("geo-eu-west-1", {
            stage: "dev", accountId: ACCOUNT, region: "eu-west-1", trail: "account",
            domainArn: "arn:aws:es:eu-west-1:222222222222:domain/guardpost-siem", domainEndpoint: "search-x.eu-west-1.es.amazonaws.com", domainRegion: "eu-west-1",
            geoipDatabasePath: cityPath, securityHubFindings: false,
        }, { provider: testProvider(ACCOUNT, "eu-west-1") });
    });
    return resources;
}

describe("GeoIP layer at real size", function () {
    this.timeout(120_000);
    let big: string;

    before(() => {
        // A stand-in for GeoLite2-City.mmdb at its real size (tens of MB), generated here, never committed.
        // Random bytes do not compress, so its zip cannot fit Lambda's direct-upload limit.
        big = path.join(os.tmpdir(), `guardpost-GeoLite2-City-${process.pid}.mmdb`);
        const fd = fs.openSync(big, "w");
        try {
            for (let i = 0; i < 64; i++) fs.writeSync(fd, crypto.randomBytes(MiB));
        } finally {
            fs.closeSync(fd);
        }
    });
    after(() => fs.rmSync(big, { force: true }));

    it("chooses S3 above Lambda's 50 MB direct-upload limit and refuses past 250 MB unzipped", () => {
        expect(layerUploadMode([4 * MiB])).to.deep.equal({ mode: "direct" });
        expect(layerUploadMode([30 * MiB, 10 * MiB])).to.deep.equal({ mode: "direct" });
        expect(layerUploadMode([60 * MiB]).mode).to.equal("s3");
        expect(layerUploadMode([45 * MiB, 8 * MiB]).mode, "the databases together count").to.equal("s3");
        expect(() => layerUploadMode([UNZIPPED_LIMIT_BYTES + 1])).to.throw(/250 MB unzipped/);
    });

    it("a realistic 64 MiB database zips past the direct limit, so the layer is published from a private bucket's object version", async () => {
        const zipped = zlib.deflateRawSync(fs.readFileSync(big)).length;
        expect(zipped, "the generated file really is too large to upload directly").to.be.greaterThan(DIRECT_UPLOAD_LIMIT_BYTES);

        const rs = await pipelineWith(big);
        const layers = rs.filter((r) => r.type === "aws:lambda/layerVersion:LayerVersion");
        expect(layers).to.have.length(1);
        const layer = layers[0].inputs;
        expect(layer.code, "no direct upload").to.equal(undefined);
        const object = rs.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!;
        expect(object.inputs.key).to.equal("layers/guardpost-dev-geoip.zip");
        expect(layer.s3Key).to.equal(object.inputs.key);
        expect(layer.region).to.equal("eu-west-1");
        expect(object.inputs.region).to.equal("eu-west-1");
        expect(object.inputs.source, "the object's source is the layer archive").to.have.property("__pulumiArchive", true);
        // The archive puts the database where the functions read it.
        const assets: any = await layerArchive(geoipLayerFiles(big)).assets;
        expect(Object.keys(assets)).to.deep.equal(["geoip/GeoLite2-City.mmdb"]);
        expect(await assets["geoip/GeoLite2-City.mmdb"].path).to.equal(big);
        const bucket = rs.find((r) => r.type === "aws:s3/bucket:Bucket" && r.name.includes("geoip-artifacts"))!;
        expect(layer.s3Bucket).to.equal(bucket.inputs.bucket ?? layer.s3Bucket);
        const pab = rs.find((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" && r.name.includes("geoip-artifacts"))!;
        expect(pab.inputs).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        expect(object.propertyDependencies.bucket, "the object goes into the artifacts bucket").to.include(bucket.urn);
    });

    it("MaxMind's small test database is still uploaded directly, with no bucket", async () => {
        const rs = await pipelineWith(GEOIP_CITY);
        const layer = rs.find((r) => r.type === "aws:lambda/layerVersion:LayerVersion")!;
        expect(layer.inputs.code).to.not.equal(undefined);
        expect(layer.inputs.s3Key).to.equal(undefined);
        expect(rs.filter((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")).to.have.length(0);
    });
});
