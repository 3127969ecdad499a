import { expect } from "chai";
import { MockedResource, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";
import { SecurityArchive } from "../components/detection/securityArchive";
import { archiveKeyPolicy, configArchiveStatements, findingsExportStatements } from "../components/detection/archivePolicies";
import { DetectionBaseline } from "../components/detection/detectionBaseline";
import { managedServices } from "../model/services";

const ARCHIVE = "111111111111";
const ADMIN = "111111111111";
const WORK = "222222222222";

async function archive(): Promise<MockedResource[]> {
    const { resources } = await runMocked(() => {
        new SecurityArchive("archive-prod", {
            accountId: ARCHIVE, region: "ap-northeast-2", partition: "aws",
            configSourceAccountIds: [ADMIN, WORK], findingsExportAccountIds: [ADMIN], retentionDays: 2557,
        }, { provider: testProvider(ARCHIVE, "ap-northeast-2") });
    }, { requireExplicitProviders: true });
    return resources;
}
const byName = (rs: MockedResource[], n: string) => rs.find(r => r.name === n)!;

describe("SecurityArchive: one KMS-encrypted, versioned bucket with a lifecycle for Config history and exported findings", () => {
    it("encrypts with its own rotating key, versions, expires after the retention, blocks public access", async () => {
        const rs = await archive();
        const key = byName(rs, "archive-prod-key");
        expect(key.inputs).to.include({ enableKeyRotation: true, region: "ap-northeast-2" });
        expect(byName(rs, "archive-prod-bucket-sse").inputs.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({ sseAlgorithm: "aws:kms", kmsMasterKeyId: `arn:aws:kms:ap-northeast-2:${ARCHIVE}:key/archive-prod-key-key-id` });
        expect(byName(rs, "archive-prod-bucket-versioning").inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
        expect(byName(rs, "archive-prod-bucket-lifecycle").inputs.rules[0]).to.deep.include({ expiration: { days: 2557 }, noncurrentVersionExpiration: { noncurrentDays: 2557 } });
        expect(byName(rs, "archive-prod-bucket-public-access").inputs).to.include({ blockPublicAcls: true, restrictPublicBuckets: true });
    });

    it("lets AWS Config of every source account and GuardDuty of the exporting account write, and nothing else", async () => {
        const rs = await archive();
        const statements = JSON.parse(byName(rs, "archive-prod-bucket-policy").inputs.policy).Statement;
        const bySid = Object.fromEntries(statements.map((s: any) => [s.Sid, s]));
        const bucketArn = "arn:aws:s3:::archive-prod-bucket-mock";
        expect(bySid.AWSConfigBucketDelivery).to.deep.include({
            Principal: { Service: "config.amazonaws.com" }, Action: "s3:PutObject",
            Resource: [`${bucketArn}/AWSLogs/${ADMIN}/Config/*`, `${bucketArn}/AWSLogs/${WORK}/Config/*`],
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": [ADMIN, WORK] } },
        });
        expect(bySid.GuardDutyPutFindings).to.deep.include({
            Principal: { Service: "guardduty.amazonaws.com" }, Resource: [`${bucketArn}/AWSLogs/${ADMIN}/GuardDuty/*`],
        });
        expect(bySid.GuardDutyPutFindings.Condition.ArnLike).to.deep.equal({ "aws:SourceArn": [`arn:aws:guardduty:*:${ADMIN}:detector/*`] });
        expect(bySid.GuardDutyDenyUnencrypted).to.deep.include({ Effect: "Deny", Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } } });
        expect(bySid.GuardDutyDenyOtherKey.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"]).to.equal(`arn:aws:kms:ap-northeast-2:${ARCHIVE}:key/archive-prod-key-key-id`);
        expect(statements[0].Sid).to.equal("DenyInsecureTransport");
    });

    it("grants the key only data-key use to Config (source accounts) and GuardDuty (exporting detectors)", () => {
        const doc = archiveKeyPolicy({ partition: "aws-cn", account: ARCHIVE, configAccountIds: [WORK], exportAccountIds: [ADMIN] });
        const bySid = Object.fromEntries(doc.Statement.map(s => [s.Sid, s]));
        expect(bySid.AccountAdministers.Principal).to.deep.equal({ AWS: `arn:aws-cn:iam::${ARCHIVE}:root` });
        expect(bySid.AWSConfigEncryptsDeliveries).to.deep.include({ Action: ["kms:Decrypt", "kms:GenerateDataKey"], Condition: { StringEquals: { "aws:SourceAccount": [WORK] } } });
        expect(bySid.GuardDutyEncryptsFindings).to.deep.include({ Action: "kms:GenerateDataKey" });
        expect(bySid.GuardDutyEncryptsFindings.Condition.ArnLike).to.deep.equal({ "aws:SourceArn": [`arn:aws-cn:guardduty:*:${ADMIN}:detector/*`] });
        expect(configArchiveStatements("arn:aws:s3:::b", [])).to.deep.equal([]);
        expect(findingsExportStatements("arn:aws:s3:::b", "k", "aws", [])).to.deep.equal([]);
    });
});

describe("GuardDuty findings export", () => {
    const protections = {
        s3DataEvents: true, eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: true, lambdaNetworkLogs: true,
        runtimeMonitoring: false, eksRuntimeMonitoring: false, aiProtection: false, aiAnalyst: false, agentManagement: { eks: false, ecsFargate: false, ec2: false },
    };
    const exportTo = { bucketArn: "arn:aws:s3:::archive-prod-bucket-mock", kmsKeyArn: `arn:aws:kms:ap-northeast-2:${ARCHIVE}:key/k` };
    const base = {
        accountId: ADMIN, region: "us-east-1", homeRegion: "ap-northeast-2", services: managedServices(), protections, detective: false,
        securityHub: { enabled: false, standards: [] }, awsConfig: { enabled: false, includeGlobalResourceTypes: false }, findingsExport: exportTo,
    };

    it("publishes the admin's findings (and so its members') to the archive with the archive key, in every region", async () => {
        const { resources } = await runMocked(() => {
            new DetectionBaseline("sec-use1", { ...base, mode: "admin", organization: { accounts: [], securityHubPolicyTargets: [] } }, { provider: testProvider(ADMIN, "us-east-1") });
        }, { requireExplicitProviders: true });
        const [destination] = resources.filter(r => r.type === "aws:guardduty/publishingDestination:PublishingDestination");
        expect(destination.inputs).to.deep.include({ region: "us-east-1", destinationType: "S3", destinationArn: exportTo.bucketArn, kmsKeyArn: exportTo.kmsKeyArn });
        expect(destination.propertyDependencies.detectorId).to.deep.equal([resources.find(r => r.type === "aws:guardduty/detector:Detector")!.urn]);
    });

    it("exports nothing from members or the management account: the admin's export carries their findings", async () => {
        const { resources } = await runMocked(() => {
            new DetectionBaseline("work", { ...base, accountId: WORK, mode: "member" }, { provider: testProvider(WORK, "us-east-1") });
            new DetectionBaseline("mgmt", { ...base, accountId: "333333333333", mode: "management", adminAccountId: ADMIN }, { provider: testProvider("333333333333", "us-east-1") });
        }, { requireExplicitProviders: true });
        expect(resources.filter(r => r.type === "aws:guardduty/publishingDestination:PublishingDestination")).to.be.empty;
    });
});
