import { expect } from "chai";
import { createCloudTrailShipperHandler } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { signingRegion } from "../functions/cloudtrail-shipper/signingRegion";
import { awslogsEvent, cloudTrailRecords } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { loadSerializedHandler } from "./support/serialized";
import { rejectionOf } from "./support/shipperHelpers";

/** The shipper runs in the trail's region; the domain lives in the SIEM's home region. */
const CREDENTIALS = { accessKeyId: "AKIAGUARDPOSTTEST0002", secretAccessKey: "guardpost-signing-region-test-secret" };
const SHIPPER_REGION = "us-east-1";
const DOMAIN_REGION = "ap-northeast-2";

describe("cloudtrail-shipper signs for the domain's region, not its own", function () {
    this.timeout(60_000);
    let peer: OpenSearchPeer;
    let saved: NodeJS.ProcessEnv;

    before(async () => {
        saved = { ...process.env };
        peer = await OpenSearchPeer.start();
    });
    after(async () => {
        await peer.close();
        process.env = saved;
    });
    beforeEach(() => {
        process.env = { ...saved, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: SHIPPER_REGION,
            OPENSEARCH_ENDPOINT: peer.url, INDEX_PREFIX: "ct-region" };
        delete process.env.AWS_SESSION_TOKEN;
        delete process.env.AWS_PROFILE;
        peer.requireAuth("sigv4", { credentials: CREDENTIALS, region: DOMAIN_REGION });
    });

    it("the serialized factory signs with OPENSEARCH_REGION in the credential scope and the domain accepts the batch", async () => {
        process.env.OPENSEARCH_REGION = DOMAIN_REGION;
        const { handler } = await loadSerializedHandler("signing-region", createCloudTrailShipperHandler);
        const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
        const before = peer.requests.length;
        const r: any = await handler(awslogsEvent(records), { getRemainingTimeInMillis: () => 60_000 });
        expect(r).to.include({ status: "shipped", indexed: records.length });
        const bulks = peer.requests.slice(before).filter((q) => q.path === "/_bulk");
        expect(bulks.length).to.be.greaterThan(0);
        for (const q of bulks) {
            expect(String(q.headers.authorization)).to.match(new RegExp(`Credential=${CREDENTIALS.accessKeyId}/\\d{8}/${DOMAIN_REGION}/es/aws4_request`));
            expect(q.status).to.equal(200);
        }
    });

    it("signed for its own region (the old behaviour) the domain refuses every batch, and the invocation fails rather than losing it", async () => {
        delete process.env.OPENSEARCH_REGION;
        const { handler } = await loadSerializedHandler("signing-region-own", createCloudTrailShipperHandler);
        const before = peer.requests.length;
        const err = await rejectionOf(handler(awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json")), { getRemainingTimeInMillis: () => 60_000 }));
        const bulks = peer.requests.slice(before).filter((q) => q.path === "/_bulk");
        expect(bulks[0].status).to.equal(403);
        expect(String(bulks[0].headers.authorization)).to.contain(`/${SHIPPER_REGION}/es/aws4_request`);
        expect(String(err.message)).to.contain("Credential should be scoped to a valid region, not 'us-east-1'");
    });

    it("chooses OPENSEARCH_REGION, else the region in an AWS domain endpoint, else AWS_REGION", () => {
        const host = "https://search-guardpost-abc.ap-northeast-2.es.amazonaws.com";
        expect(signingRegion({ OPENSEARCH_REGION: "eu-west-1", AWS_REGION: "us-east-1" }, host)).to.deep.equal({ region: "eu-west-1", source: "OPENSEARCH_REGION" });
        expect(signingRegion({ AWS_REGION: "us-east-1" }, host)).to.deep.equal({ region: "ap-northeast-2", source: "endpoint" });
        expect(signingRegion({ AWS_REGION: "us-east-1" }, "https://search-x.cn-north-1.es.amazonaws.com.cn")).to.deep.equal({ region: "cn-north-1", source: "endpoint" });
        expect(signingRegion({ AWS_REGION: "us-east-1" }, "http://127.0.0.1:9200")).to.deep.equal({ region: "us-east-1", source: "AWS_REGION" });
    });
});
