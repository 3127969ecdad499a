import { expect } from "chai";
import * as zlib from "zlib";
import { makeCloudTrailShipperHandler, openSearchBulkSend } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { LARGE_EVENT_BYTES, largeEventPayload, trailObjects } from "../functions/cloudtrail-shipper/largeEvents";
import { LogPipeline } from "../components/logging/logPipeline";
import { runMocked } from "../plan/engine";
import { cloudTrailRecords, GEOIP_CITY } from "./support/logFixtures";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { testProvider } from "./support/providers";

const BUCKET = "guardpost-trail-bucket";
const KEY = "AWSLogs/o-abcdef1234/111111111111/CloudTrail/ap-northeast-2/2023/07/10/111111111111_CloudTrail_ap-northeast-2_20230710T1205Z_abc.json.gz";

/** A RunInstances-sized event: CloudTrail does not send it to CloudWatch Logs (over 256 KB). */
function largeEvent(base: any): any {
    const instances = Array.from({ length: 1400 }, (_, i) => ({ instanceId: `i-${String(i).padStart(17, "0")}`, privateDnsName: `ip-10-0-${i % 250}-${i % 200}.ap-northeast-2.compute.internal`, blockDeviceMapping: { items: [{ deviceName: "/dev/xvda", ebs: { volumeId: `vol-${String(i).padStart(17, "0")}`, status: "attaching" } }] } }));
    return { ...base, eventID: "large-0000-runinstances", eventName: "RunInstances", responseElements: { instancesSet: { items: instances } } };
}

function s3Notification(keys: string[]) {
    return { Records: keys.map((key) => ({ eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key).replace(/%2F/g, "/") } } })) };
}

describe("CloudTrail events too large for CloudWatch Logs", function () {
    this.timeout(120_000);
    let peer: OpenSearchPeer;
    let saved: NodeJS.ProcessEnv;
    before(async () => {
        saved = { ...process.env };
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIAGUARDPOSTTEST0003", AWS_SECRET_ACCESS_KEY: "guardpost-large-events-test-secret" });
        peer = await OpenSearchPeer.start();
    });
    after(async () => { await peer.close(); process.env = saved; });

    it("are read from the trail's log file and indexed; small events (already shipped through CloudWatch Logs) and digests are left alone", async () => {
        const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
        const big = largeEvent(records[0]);
        expect(Buffer.byteLength(JSON.stringify(big))).to.be.greaterThan(256 * 1024);
        const file = zlib.gzipSync(Buffer.from(JSON.stringify({ Records: [...records, big] })));
        const reads: string[] = [];
        const handler = makeCloudTrailShipperHandler({
            indexPrefix: "ct-large",
            send: openSearchBulkSend(peer.url, "ap-northeast-2", 5_000),
            readObject: async (bucket, key) => { reads.push(`${bucket}/${key}`); return file; },
            limits: { baseDelayMs: 1, maxDelayMs: 5 },
            log: () => undefined,
        });
        const digest = KEY.replace("/CloudTrail/", "/CloudTrail-Digest/");
        const r: any = await handler(s3Notification([KEY, digest]), { getRemainingTimeInMillis: () => 60_000 });
        expect(r).to.deep.equal({ status: "trail-objects", objects: 1, events: records.length + 1, large: 1, indexed: 1 });
        expect(reads).to.deep.equal([`${BUCKET}/${KEY}`]);
        const docs = [...peer.indices()].filter((ix) => ix.startsWith("ct-large-")).flatMap((ix) => [...peer.docs(ix).keys()]);
        expect(docs).to.deep.equal(["large-0000-runinstances"]);
    });

    it("a failing bulk request fails the invocation, so Lambda's retries and on-failure queue keep the notification", async () => {
        const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
        const file = zlib.gzipSync(Buffer.from(JSON.stringify({ Records: [largeEvent(records[0])] })));
        const handler = makeCloudTrailShipperHandler({
            indexPrefix: "ct-large-fail",
            send: async () => ({ status: 503, body: { message: "unavailable" } }),
            readObject: async () => file,
            limits: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 },
            log: () => undefined,
        });
        let error: Error | undefined;
        try { await handler(s3Notification([KEY]), { getRemainingTimeInMillis: () => 60_000 }); } catch (e) { error = e as Error; }
        expect(error?.message).to.match(/not indexed/);
    });

    it("keeps ids and owners: the payload's log events are the large records, keyed by eventID", () => {
        const records = cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json");
        const big = largeEvent(records[0]);
        const { payload, total } = largeEventPayload({ bucket: BUCKET, key: KEY }, zlib.gzipSync(Buffer.from(JSON.stringify({ Records: [records[1], big] }))));
        expect(total).to.equal(2);
        expect(payload.owner).to.equal("111111111111");
        expect(payload.logEvents.map((e) => e.id)).to.deep.equal([big.eventID]);
        expect(LARGE_EVENT_BYTES).to.be.below(256 * 1024);
        expect(trailObjects(s3Notification([KEY.replace(".json.gz", ".json")]))).to.deep.equal([]);
    });

    it("LogPipeline notifies the shipper of every new trail log file and lets it read only those", async () => {
        const { resources } = await runMocked(() => {
            new LogPipeline("large-eu-west-1", {
                stage: "dev", accountId: "111111111111", region: "eu-west-1", trail: "account",
                domainArn: "arn:aws:es:eu-west-1:222222222222:domain/guardpost-siem", domainEndpoint: "search-x.eu-west-1.es.amazonaws.com", domainRegion: "eu-west-1",
                geoipDatabasePath: GEOIP_CITY, securityHubFindings: false,
            }, { provider: testProvider("111111111111", "eu-west-1") });
        });
        const notification = resources.find((r) => r.type === "aws:s3/bucketNotification:BucketNotification")!;
        const trailBucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket" && r.name.endsWith("-trail"))!;
        expect(notification.propertyDependencies.bucket).to.include(trailBucket.urn);
        expect(notification.inputs.lambdaFunctions[0]).to.include({ filterPrefix: "AWSLogs/", filterSuffix: ".json.gz" });
        expect(notification.inputs.lambdaFunctions[0].events).to.deep.equal(["s3:ObjectCreated:*"]);
        const permission = resources.find((r) => r.type === "aws:lambda/permission:Permission" && r.name.endsWith("-shipper-trail-objects"))!;
        expect(permission.inputs).to.include({ principal: "s3.amazonaws.com", sourceAccount: "111111111111" });
        const policy = JSON.parse(resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.endsWith("-shipper-policy"))!.inputs.policy);
        const read = policy.Statement.find((s: any) => s.Sid === "ReadTrailLogFiles");
        expect(read.Action).to.equal("s3:GetObject");
        expect(read.Resource).to.match(/^arn:aws:s3:::.*\/AWSLogs\/\*$/);
    });
});
