import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockedResource, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";
import { DetectionBaseline, DetectionBaselineArgs, laterResources } from "../components/detection/detectionBaseline";
import { SecureBucket } from "../components/shared/secureBucket";
import { aggregatorLinking, threatListLocation, validateDetectionArgs } from "../components/detection/detectionPlan";
import { managedServices } from "../model/services";
import { isThreatListUrl } from "../model/threatListLocation";

const SEC = "111111111111";
const MGMT = "333333333333";
const WORK = "222222222222";

const T = {
    detector: "aws:guardduty/detector:Detector",
    feature: "aws:guardduty/detectorFeature:DetectorFeature",
    orgConfig: "aws:guardduty/organizationConfiguration:OrganizationConfiguration",
    orgFeature: "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature",
    gdAdmin: "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount",
    ipSet: "aws:guardduty/iPSet:IPSet",
    threatIntel: "aws:guardduty/threatIntelSet:ThreatIntelSet",
    graph: "aws:detective/graph:Graph",
    detectiveAdmin: "aws:detective/organizationAdminAccount:OrganizationAdminAccount",
    detectiveOrg: "aws:detective/organizationConfiguration:OrganizationConfiguration",
    hub: "aws:securityhub/account:Account",
    standard: "aws:securityhub/standardsSubscription:StandardsSubscription",
    aggregator: "aws:securityhub/findingAggregator:FindingAggregator",
    hubAdmin: "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount",
    hubOrg: "aws:securityhub/organizationConfiguration:OrganizationConfiguration",
    hubPolicy: "aws:securityhub/configurationPolicy:ConfigurationPolicy",
    hubAssociation: "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation",
    hubMember: "aws:securityhub/member:Member",
    gdMember: "aws:guardduty/member:Member",
    gdMemberFeature: "aws:guardduty/memberDetectorFeature:MemberDetectorFeature",
    detectiveMember: "aws:detective/member:Member",
    export: "aws:guardduty/publishingDestination:PublishingDestination",
    recorder: "aws:cfg/recorder:Recorder",
    channel: "aws:cfg/deliveryChannel:DeliveryChannel",
    recorderStatus: "aws:cfg/recorderStatus:RecorderStatus",
    bucket: "aws:s3/bucket:Bucket",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
};

let listDir: string;
before(() => {
    listDir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-lists-"));
    fs.writeFileSync(path.join(listDir, "office.txt"), "203.0.113.0/24\n198.51.100.7\n");
});
after(() => fs.rmSync(listDir, { recursive: true, force: true }));

const SLR = `arn:aws:iam::${SEC}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
const DELIVERY = { bucketName: "archive-bucket", kmsKeyArn: "arn:aws:kms:ap-northeast-2:999999999999:key/archive", roleArn: SLR };
const ORG = {
    accounts: [
        { accountId: MGMT, email: "mgmt@example.com", kind: "management" as const, services: managedServices() },
        { accountId: WORK, email: "work@example.com", kind: "workload" as const, services: managedServices() },
    ],
    securityHubPolicyTargets: ["r-ab12"],
};

function args(over: Partial<DetectionBaselineArgs> = {}): DetectionBaselineArgs {
    return {
        accountId: SEC, region: "ap-northeast-2", mode: "standalone", homeRegion: "ap-northeast-2",
        services: managedServices(),
        protections: {
            s3DataEvents: true, eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: true, lambdaNetworkLogs: true,
            runtimeMonitoring: false, eksRuntimeMonitoring: false, aiProtection: false, aiAnalyst: false, agentManagement: { eks: false, ecsFargate: false, ec2: false },
        },
        trustedIpLists: [{ name: "office", format: "TXT", file: "office.txt" }],
        threatIntelSets: [{ name: "vendor feed", format: "STIX", s3Url: "https://s3.us-east-1.amazonaws.com/intel-bucket/feeds/stix.xml" }],
        detective: true,
        securityHub: { enabled: true, standards: ["fsbp", "cis-3.0"] },
        awsConfig: { enabled: true, includeGlobalResourceTypes: true },
        configDelivery: DELIVERY,
        organization: ORG,
        baseDir: listDir,
        ...over,
    };
}

async function plan(name: string, a: DetectionBaselineArgs) {
    const { resources } = await runMocked(() => {
        new DetectionBaseline(name, a, { provider: testProvider(a.accountId, a.region) });
    }, { requireExplicitProviders: true });
    return resources;
}

const ofType = (rs: MockedResource[], type: string) => rs.filter(r => r.type === type);
const one = (rs: MockedResource[], type: string) => {
    const found = ofType(rs, type);
    expect(found, `exactly one ${type}`).to.have.length(1);
    return found[0];
};
const byName = (rs: MockedResource[], name: string) => rs.find(r => r.name === name)!;
const policyOf = (r: MockedResource) => JSON.parse(r.inputs.policy);

describe("DetectionBaseline per mode", () => {
    it("standalone: own enabled detector at FIFTEEN_MINUTES, features, lists, graph, hub with standards, aggregator, recorder — no organization resources", async () => {
        const rs = await plan("dev-sec-apne2", args());
        expect(one(rs, T.detector).inputs).to.include({ enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" });
        expect(ofType(rs, T.feature)).to.have.length(9);
        for (const t of [T.ipSet, T.threatIntel, T.graph, T.hub, T.aggregator, T.recorder, T.channel, T.recorderStatus]) one(rs, t);
        expect(ofType(rs, T.standard)).to.have.length(2);
        for (const t of [T.orgConfig, T.orgFeature, T.gdAdmin, T.detectiveAdmin, T.detectiveOrg, T.hubAdmin, T.hubOrg, T.hubPolicy, T.gdMember, T.detectiveMember]) {
            expect(ofType(rs, t), t).to.be.empty;
        }
    });

    it("puts every AWS resource through the baseline's provider, named after the baseline", async () => {
        const rs = await plan("dev-work-use1", args({ accountId: WORK, region: "us-east-1" }));
        const custom = rs.filter(r => r.type.startsWith("aws:"));
        expect(custom.length).to.be.greaterThan(20);
        for (const r of custom) {
            expect(r.provider, `${r.type} ${r.name}`).to.include({ account: WORK });
            if (!r.type.startsWith("aws:iam/")) expect(r.region, `${r.type} ${r.name}`).to.equal("us-east-1");
            expect(r.name).to.match(/^dev-work-use1-/);
        }
    });

    it("management: delegates GuardDuty, Detective and Security Hub to the admin; own detector and hub without features or standards (the admin sets them)", async () => {
        const rs = await plan("prod-mgmt-apne2", args({ accountId: MGMT, mode: "management", adminAccountId: SEC }));
        expect(one(rs, T.gdAdmin).inputs).to.deep.include({ adminAccountId: SEC });
        expect(one(rs, T.detectiveAdmin).inputs).to.deep.include({ accountId: SEC });
        expect(one(rs, T.hubAdmin).inputs).to.deep.include({ adminAccountId: SEC });
        // Under central configuration only AWS Organizations can remove it: a destroy leaves it (retainOnDelete).
        expect(one(rs, T.hubAdmin).retainOnDelete).to.equal(true);
        for (const r of [...ofType(rs, T.gdAdmin), ...ofType(rs, T.hubAdmin)]) {
            expect(r.provider).to.include({ account: MGMT });
            expect(r.region).to.equal("ap-northeast-2");
        }
        expect(one(rs, T.detector).inputs).to.include({ enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" });
        for (const t of [T.feature, T.orgConfig, T.orgFeature, T.ipSet, T.threatIntel, T.graph, T.aggregator, T.hubOrg, T.standard, T.export]) {
            expect(ofType(rs, t), t).to.be.empty;
        }
        one(rs, T.hub);
        one(rs, T.recorder);
    });

    it("admin: enables an account as a Detective member only in the regions it operates in (each member region is billed)", async () => {
        const organization = { ...ORG, accounts: ORG.accounts.map(a => ({ ...a, regions: a.kind === "workload" ? ["us-east-1"] : ["us-east-1", "ap-northeast-2"] })) };
        const home = await plan("prod-sec-apne2-regions", args({ mode: "admin", organization, linkedRegions: ["us-east-1"] }));
        expect(ofType(home, T.detectiveMember).map(m => m.inputs.accountId)).to.deep.equal([MGMT]);
        const other = await plan("prod-sec-use1-regions", args({ mode: "admin", region: "us-east-1", organization }));
        expect(ofType(other, T.detectiveMember).map(m => m.inputs.accountId)).to.have.members([MGMT, WORK]);
    });

    it("management: delegates Detective only when Detective is switched on", async () => {
        const rs = await plan("prod-mgmt-use1", args({ accountId: MGMT, region: "us-east-1", mode: "management", adminAccountId: SEC, detective: false }));
        expect(ofType(rs, T.detectiveAdmin)).to.be.empty;
        one(rs, T.gdAdmin);
    });

    it("admin (home region): auto-enable ALL with each plan, the management account as a GuardDuty and Security Hub member with its plans, Detective members for existing accounts, Security Hub central configuration", async () => {
        const rs = await plan("prod-sec-apne2", args({ mode: "admin", linkedRegions: ["us-east-1", "ap-northeast-2", "eu-west-1", "us-east-1"] }));
        one(rs, T.detector);
        expect(ofType(rs, T.feature)).to.have.length(9);
        expect(one(rs, T.orgConfig).inputs).to.include({ autoEnableOrganizationMembers: "ALL" });
        const orgFeatures = Object.fromEntries(ofType(rs, T.orgFeature).map(r => [r.inputs.name, r.inputs.autoEnable]));
        expect(orgFeatures).to.deep.equal({
            S3_DATA_EVENTS: "ALL", EKS_AUDIT_LOGS: "ALL", EBS_MALWARE_PROTECTION: "ALL", RDS_LOGIN_EVENTS: "ALL",
            LAMBDA_NETWORK_LOGS: "ALL", AI_PROTECTION: "NONE", AI_ANALYST: "NONE", RUNTIME_MONITORING: "NONE", EKS_RUNTIME_MONITORING: "NONE",
        });
        // The management account: never auto-enabled, so enrolled and configured explicitly.
        expect(one(rs, T.gdMember).inputs).to.include({ accountId: MGMT, email: "mgmt@example.com", invite: false });
        const memberFeatures = Object.fromEntries(ofType(rs, T.gdMemberFeature).map(r => [r.inputs.name, r.inputs.status]));
        expect(memberFeatures).to.deep.equal({
            S3_DATA_EVENTS: "ENABLED", EKS_AUDIT_LOGS: "ENABLED", EBS_MALWARE_PROTECTION: "ENABLED", RDS_LOGIN_EVENTS: "ENABLED",
            LAMBDA_NETWORK_LOGS: "ENABLED", RUNTIME_MONITORING: "DISABLED", EKS_RUNTIME_MONITORING: "DISABLED",
        });
        for (const f of ofType(rs, T.gdMemberFeature)) expect(f.inputs.accountId).to.equal(MGMT);
        expect(one(rs, T.hubMember).inputs).to.include({ accountId: MGMT, invite: false });
        // Detective: existing accounts are members now; autoEnable covers the ones that join later.
        one(rs, T.graph);
        expect(one(rs, T.detectiveOrg).inputs).to.include({ autoEnable: true });
        expect(ofType(rs, T.detectiveMember).map(m => [m.inputs.accountId, m.inputs.emailAddress])).to.have.deep.members([[MGMT, "mgmt@example.com"], [WORK, "work@example.com"]]);
        // Security Hub central configuration: CENTRAL, a policy with the standards, associated with the root.
        expect(one(rs, T.hubOrg).inputs).to.deep.include({ autoEnable: false, autoEnableStandards: "NONE", organizationConfiguration: { configurationType: "CENTRAL" } });
        expect(one(rs, T.hubPolicy).inputs.configurationPolicy).to.deep.include({
            serviceEnabled: true,
            enabledStandardArns: [
                "arn:aws:securityhub:ap-northeast-2::standards/aws-foundational-security-best-practices/v/1.0.0",
                "arn:aws:securityhub:ap-northeast-2::standards/cis-aws-foundations-benchmark/v/3.0.0",
            ],
        });
        const association = one(rs, T.hubAssociation);
        expect(association.inputs.targetId).to.equal("r-ab12");
        expect(association.propertyDependencies.policyId).to.deep.equal([one(rs, T.hubPolicy).urn]);
        // The prerequisites: a finding aggregator, and the organization configuration waits for it.
        // Linked: only the regions the stack operates in (ALL_REGIONS would enable Security Hub everywhere).
        expect(one(rs, T.aggregator).inputs).to.deep.include({ linkingMode: "SPECIFIED_REGIONS", specifiedRegions: ["eu-west-1", "us-east-1"] });
        expect(one(rs, T.hubOrg).dependsOn).to.include(one(rs, T.aggregator).urn);
        expect(ofType(rs, T.standard), "the policy carries the standards").to.be.empty;
        one(rs, T.ipSet);
        one(rs, T.threatIntel);
        expect(ofType(rs, T.gdAdmin)).to.be.empty;
    });

    it("admin outside the home region: GuardDuty organization and members, but central configuration and the aggregator only in the home region", async () => {
        const rs = await plan("prod-sec-use1", args({ mode: "admin", region: "us-east-1" }));
        one(rs, T.orgConfig);
        one(rs, T.gdMember);
        one(rs, T.hubMember);
        for (const t of [T.hubOrg, T.hubPolicy, T.hubAssociation, T.aggregator]) expect(ofType(rs, t), t).to.be.empty;
    });

    it("member: NO detector, hub, standards, lists or graph (auto-enable and central configuration cover it) — only Config", async () => {
        const rs = await plan("prod-work-apne2", args({ accountId: WORK, mode: "member" }));
        for (const t of [T.detector, T.feature, T.orgConfig, T.ipSet, T.threatIntel, T.object, T.graph, T.aggregator, T.hub, T.standard, T.hubOrg, T.gdAdmin, T.export]) {
            expect(ofType(rs, t), t).to.be.empty;
        }
        one(rs, T.recorder);
    });

    it("orders an organization across two accounts: admin enablement, then delegations, then organization config", async () => {
        let mgmtSummary: any;
        let adminSummary: any;
        const { resources: rs } = await runMocked(() => {
            const link = laterResources();
            const admin = new DetectionBaseline("prod-sec-apne2", args({ mode: "admin", organizationDependsOn: link.promise }),
                { provider: testProvider(SEC, "ap-northeast-2") });
            const mgmt = new DetectionBaseline("prod-mgmt-apne2", args({ accountId: MGMT, mode: "management", adminAccountId: SEC, delegationDependsOn: admin.enablement }),
                { provider: testProvider(MGMT, "ap-northeast-2") });
            link.resolve(mgmt.delegations);
            mgmt.summary.apply(m => { mgmtSummary = m; });
            admin.summary.apply(a => { adminSummary = a; });
            expect(admin.enablement.map(r => (r as any).__name)).to.have.members(["prod-sec-apne2-detector", "prod-sec-apne2-graph", "prod-sec-apne2-hub"]);
            expect(mgmt.delegations).to.have.length(3);
        }, { requireExplicitProviders: true });
        // A resource registers only once everything it depends on has registered, so order shows the wiring.
        const at = (n: string) => rs.findIndex(r => r.name === n);
        expect(at("prod-mgmt-apne2-guardduty-admin")).to.be.greaterThan(Math.max(at("prod-sec-apne2-detector"), at("prod-mgmt-apne2-detector")));
        expect(at("prod-mgmt-apne2-detective-admin")).to.be.greaterThan(at("prod-sec-apne2-graph"));
        expect(at("prod-mgmt-apne2-securityhub-admin")).to.be.greaterThan(Math.max(at("prod-sec-apne2-hub"), at("prod-mgmt-apne2-hub")));
        expect(at("prod-sec-apne2-guardduty-org")).to.be.greaterThan(at("prod-mgmt-apne2-guardduty-admin"));
        expect(at("prod-sec-apne2-guardduty-member-management")).to.be.greaterThan(at("prod-mgmt-apne2-guardduty-admin"));
        expect(at("prod-sec-apne2-detective-org")).to.be.greaterThan(at("prod-mgmt-apne2-detective-admin"));
        expect(at("prod-sec-apne2-securityhub-org")).to.be.greaterThan(at("prod-mgmt-apne2-securityhub-admin"));
        expect(at("prod-sec-apne2-securityhub-member-management")).to.be.greaterThan(at("prod-mgmt-apne2-securityhub-admin"));
        expect(byName(rs, "prod-sec-apne2-guardduty-org").provider).to.include({ account: SEC });
        expect(mgmtSummary).to.deep.include({ mode: "management", delegatedAdmin: SEC, enabledFeatures: [], organizationAutoEnable: false });
        expect(adminSummary).to.deep.include({ mode: "admin", organizationAutoEnable: true, trustedIpLists: 1, threatIntelSets: 1 });
        expect(byName(rs, "prod-mgmt-apne2-guardduty-admin").provider).to.include({ account: MGMT });
        expect(ofType(rs, T.detector).map(r => r.provider!.account)).to.have.members([SEC, MGMT]);
    });
});

describe("DetectionBaseline GuardDuty features", () => {
    const features = (rs: MockedResource[]): Record<string, any> => Object.fromEntries(ofType(rs, T.feature).map(r => [r.inputs.name, r.inputs]));

    it("declares each simple plan as its own feature, ENABLED or DISABLED by its switch", async () => {
        const base = args().protections;
        const rs = await plan("f1", args({ protections: { ...base, s3DataEvents: false, rdsLoginEvents: false } }));
        const f = features(rs);
        expect(f.S3_DATA_EVENTS.status).to.equal("DISABLED");
        expect(f.RDS_LOGIN_EVENTS.status).to.equal("DISABLED");
        expect(f.EKS_AUDIT_LOGS.status).to.equal("ENABLED");
        expect(f.EBS_MALWARE_PROTECTION.status).to.equal("ENABLED");
        expect(f.LAMBDA_NETWORK_LOGS.status).to.equal("ENABLED");
        for (const feature of Object.values(f)) expect(feature.detectorId).to.match(/^f1-detector-id-/);
    });

    it("keeps both runtime plans explicitly off by default, with their agent management off too", async () => {
        const f = features(await plan("f2", args()));
        expect(f.RUNTIME_MONITORING.status).to.equal("DISABLED");
        expect(f.RUNTIME_MONITORING.additionalConfigurations.map((a: any) => a.status)).to.deep.equal(["DISABLED", "DISABLED", "DISABLED"]);
        expect(f.EKS_RUNTIME_MONITORING).to.deep.include({ status: "DISABLED", additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "DISABLED" }] });
    });

    it("turns on runtime monitoring with each agent-management sub-feature by its own switch", async () => {
        const base = args().protections;
        const rs = await plan("f3", args({ protections: { ...base, runtimeMonitoring: true, agentManagement: { eks: true, ecsFargate: false, ec2: true } } }));
        expect(features(rs).RUNTIME_MONITORING).to.deep.include({
            status: "ENABLED",
            additionalConfigurations: [
                { name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" },
                { name: "ECS_FARGATE_AGENT_MANAGEMENT", status: "DISABLED" },
                { name: "EC2_AGENT_MANAGEMENT", status: "ENABLED" },
            ],
        });
    });

    it("enables EKS_RUNTIME_MONITORING with RUNTIME_MONITORING explicitly off (never both on), the enabled one first", async () => {
        const base = args().protections;
        const rs = await plan("f4", args({ mode: "admin", protections: { ...base, eksRuntimeMonitoring: true, agentManagement: { eks: true, ecsFargate: false, ec2: false } } }));
        const f = features(rs);
        expect(f.RUNTIME_MONITORING.status).to.equal("DISABLED");
        expect(f.EKS_RUNTIME_MONITORING).to.deep.include({ status: "ENABLED", additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }] });
        const org = Object.fromEntries(ofType(rs, T.orgFeature).map(r => [r.inputs.name, r.inputs.autoEnable]));
        expect(org).to.include({ EKS_RUNTIME_MONITORING: "ALL", RUNTIME_MONITORING: "NONE" });
        const order = ofType(rs, T.feature).map(r => r.inputs.name);
        expect(order.indexOf("EKS_RUNTIME_MONITORING")).to.be.lessThan(order.indexOf("RUNTIME_MONITORING"));
    });

    it("refuses RUNTIME_MONITORING and EKS_RUNTIME_MONITORING together before declaring anything", async () => {
        const base = args().protections;
        let err: Error | undefined;
        try {
            await plan("f5", args({ protections: { ...base, runtimeMonitoring: true, eksRuntimeMonitoring: true } }));
        } catch (e) { err = e as Error; }
        expect(err?.message).to.contain("runtimeMonitoring and protections.eksRuntimeMonitoring cannot both be on");
    });

    it("exposes the enabled feature names, the standard ARNs and the detector id", async () => {
        let baseline!: DetectionBaseline;
        await runMocked(() => {
            baseline = new DetectionBaseline("f6", args({ region: "cn-north-1", homeRegion: "cn-north-1", trustedIpLists: [], threatIntelSets: [], configDelivery: { ...DELIVERY, roleArn: SLR.replace("arn:aws:", "arn:aws-cn:") } }),
                { provider: testProvider(SEC, "cn-north-1") });
        });
        expect(baseline.enabledFeatures).to.deep.equal(["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS"]);
        expect(baseline.standardsArns).to.deep.equal([
            "arn:aws-cn:securityhub:cn-north-1::standards/aws-foundational-security-best-practices/v/1.0.0",
            "arn:aws-cn:securityhub:cn-north-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
        ]);
        const id = await new Promise(resolve => baseline.detectorId!.apply(resolve));
        expect(id).to.match(/^f6-detector-id-/);
        const summary: any = await new Promise(resolve => baseline.summary.apply(resolve));
        expect(summary).to.deep.include({
            mode: "standalone", detectorId: id, enabledFeatures: baseline.enabledFeatures, organizationAutoEnable: false,
            trustedIpLists: 0, threatIntelSets: 0, securityHubStandards: baseline.standardsArns, findingAggregator: true,
            configRecordsGlobalTypes: true, findingsExport: false,
            services: { guardDuty: "manage", securityHub: "manage", config: "manage", detective: "manage" },
        });
    });
});

describe("DetectionBaseline trusted IP lists and threat intel sets", () => {
    it("uploads a repository list to the private bucket and activates it from its s3:// URI", async () => {
        const rs = await plan("l1", args());
        const object = one(rs, T.object);
        expect(object.inputs.key).to.match(/^trusted-ip-lists\/office\/[0-9a-f]{12}\/office\.txt$/);
        expect(ofType(rs, T.bucket).map(b => b.name)).to.have.members(["l1-threat-lists"]);
        expect(object.inputs.bucket).to.equal("l1-threat-lists-mock");
        expect(one(rs, T.ipSet).inputs).to.include({
            activate: true, format: "TXT", name: "office",
            location: `s3://l1-threat-lists-mock/${object.inputs.key}`,
        });
    });

    it("moves a list to a new key when its content changes, so GuardDuty re-reads it", async () => {
        const keyOf = async (n: string) => one(await plan(n, args({ threatIntelSets: [] })), T.object).inputs.key;
        const before = await keyOf("l5");
        expect(await keyOf("l6")).to.equal(before);
        fs.appendFileSync(path.join(listDir, "office.txt"), "192.0.2.1\n");
        expect(await keyOf("l7")).to.not.equal(before);
    });

    it("uses an S3 URL list as given, without uploading anything", async () => {
        const rs = await plan("l2", args({ trustedIpLists: [] }));
        expect(one(rs, T.threatIntel).inputs).to.include({
            activate: true, format: "STIX", name: "vendor feed", location: "https://s3.us-east-1.amazonaws.com/intel-bucket/feeds/stix.xml",
        });
        expect(ofType(rs, T.object)).to.be.empty;
        expect(ofType(rs, T.bucket)).to.be.empty;
    });

    it("declares no lists in member or management mode, where the admin's lists apply", async () => {
        const member = await plan("l3", args({ mode: "member" }));
        const mgmt = await plan("l4", args({ accountId: MGMT, mode: "management", adminAccountId: SEC }));
        for (const rs of [member, mgmt]) {
            expect([...ofType(rs, T.ipSet), ...ofType(rs, T.threatIntel), ...ofType(rs, T.object)]).to.be.empty;
        }
    });
});

describe("DetectionBaseline AWS Config the way Security Hub's Config.1 checks it", () => {
    it("records all supported types with the service-linked role, global types only when told, and enables the recorder", async () => {
        const home = await plan("c1", args());
        expect(one(home, T.recorder).inputs).to.deep.include({ roleArn: SLR, recordingGroup: { allSupported: true, includeGlobalResourceTypes: true } });
        const other = await plan("c2", args({ region: "us-east-1", awsConfig: { enabled: true, includeGlobalResourceTypes: false } }));
        expect(one(other, T.recorder).inputs.recordingGroup).to.deep.equal({ allSupported: true, includeGlobalResourceTypes: false });
        expect(one(other, T.recorderStatus).inputs).to.deep.equal({ region: "us-east-1", isEnabled: true, name: "guardpost" });
    });

    it("delivers to the central archive with its KMS key, and declares no bucket or role of its own", async () => {
        const rs = await plan("c3", args({ trustedIpLists: [], threatIntelSets: [] }));
        expect(one(rs, T.channel).inputs).to.include({ name: "guardpost", s3BucketName: "archive-bucket", s3KmsKeyArn: DELIVERY.kmsKeyArn });
        expect(ofType(rs, T.bucket)).to.be.empty;
        expect(rs.filter(r => r.type.startsWith("aws:iam/"))).to.be.empty;
    });

    it("declares no Config or Security Hub resources when they are switched off", async () => {
        const rs = await plan("c6", args({ awsConfig: { enabled: false, includeGlobalResourceTypes: false }, securityHub: { enabled: false, standards: [] } }));
        for (const t of [T.recorder, T.channel, T.recorderStatus, T.hub, T.standard, T.aggregator]) expect(ofType(rs, t), t).to.be.empty;
    });
});

describe("DetectionBaseline argument validation", () => {
    const attempt = (a: DetectionBaselineArgs) => () => validateDetectionArgs("x", a);

    it("needs a 12-digit admin account other than itself in management mode", () => {
        expect(attempt(args({ mode: "management" }))).to.throw(/adminAccountId is required in management mode/);
        expect(attempt(args({ mode: "management", adminAccountId: SEC }))).to.throw(/adminAccountId must differ from accountId/);
    });

    it("names bad account ids, regions, modes and frequencies", () => {
        const bad = args({ accountId: "12345", region: "mars-1", mode: "solo" as any, findingPublishingFrequency: "HOURLY" as any });
        expect(attempt(bad)).to.throw(/accountId must be a 12-digit account id, got '12345'[\s\S]*region: 'mars-1' is not an AWS region name[\s\S]*mode must be one of standalone, management, admin, member[\s\S]*findingPublishingFrequency must be one of/);
    });

    it("refuses agent management without a runtime monitoring plan to manage", () => {
        const p = args().protections;
        expect(attempt(args({ protections: { ...p, agentManagement: { eks: true, ecsFargate: false, ec2: false } } }))).to.throw(/agentManagement needs protections.runtimeMonitoring/);
        expect(attempt(args({ protections: { ...p, eksRuntimeMonitoring: true, agentManagement: { eks: true, ecsFargate: false, ec2: true } } }))).to.throw(/ecsFargate and .ec2 need protections.runtimeMonitoring/);
    });

    it("enforces GuardDuty's list quotas, one source per list, existing files and the S3 locations GuardDuty reads", () => {
        const two = [{ name: "a", format: "TXT" as const, file: "office.txt" }, { name: "b", format: "TXT" as const, file: "office.txt" }];
        expect(attempt(args({ trustedIpLists: two }))).to.throw(/trustedIpLists: GuardDuty allows at most 1 per account and region, got 2/);
        expect(attempt(args({ threatIntelSets: [{ name: "x", format: "TXT", file: "missing.txt" }] }))).to.throw(/threatIntelSets\[0\].file 'missing.txt' does not exist/);
        expect(attempt(args({ threatIntelSets: [{ name: "x", format: "TXT" }] }))).to.throw(/give exactly one of file .* or s3Url/);
        expect(attempt(args({ threatIntelSets: [{ name: "x", format: "TXT", s3Url: "ftp://bucket/list.txt" }] }))).to.throw(/s3Url must be a location GuardDuty reads/);
        expect(attempt(args({ threatIntelSets: [{ name: "x", format: "TXT", s3Url: "https://example.com/list.txt" }] }))).to.throw(/s3Url must be a location GuardDuty reads/);
        expect(attempt(args({ threatIntelSets: [{ name: "x", format: "TXT", s3Url: "s3://bucket/list.txt" }] }))).to.not.throw();
        expect(attempt(args({ threatIntelSets: [{ name: "x", format: "CSV" as any, s3Url: "https://s3.amazonaws.com/b/k" }] }))).to.throw(/format must be one of TXT, STIX/);
    });

    it("rejects unknown standards only when Security Hub is on", () => {
        expect(attempt(args({ securityHub: { enabled: true, standards: ["fsbp", "soc2"] } }))).to.throw(/unknown Security Hub standard 'soc2'; known short names: fsbp/);
        expect(attempt(args({ securityHub: { enabled: false, standards: ["soc2"] } }))).to.not.throw();
    });
});

describe("threat list locations", () => {
    it("points GuardDuty at the bucket with the documented s3:// URI, which names no endpoint, in every partition and in regions without legacy S3 hosts", () => {
        for (const region of ["us-east-1", "ap-east-1", "af-south-1", "eu-south-1", "cn-north-1", "us-gov-west-1"]) {
            const location = threatListLocation("b", "k/l.txt", region);
            expect(location, region).to.equal("s3://b/k/l.txt");
            expect(location).to.not.match(/amazonaws\.com/);
        }
        for (const region of ["us-east-1", "ap-east-1", "cn-north-1", "us-gov-west-1"]) expect(isThreatListUrl(threatListLocation("lists-bucket", "k/l.txt", region)), region).to.equal(true);
    });
});

describe("SecureBucket options", () => {
    it("uses SSE-KMS with a bucket key when given a key, and expires objects and old versions when given lifecycleDays", async () => {
        const { resources: rs } = await runMocked(() => {
            new SecureBucket("Logs_Archive", { region: "us-east-1", kmsKeyArn: "arn:aws:kms:us-east-1:111111111111:key/abc", lifecycleDays: 30, forceDestroy: true },
                { provider: testProvider(SEC, "us-east-1") });
        }, { requireExplicitProviders: true });
        expect(one(rs, T.bucket).inputs).to.include({ bucketPrefix: "logs-archive-", forceDestroy: true });
        expect(byName(rs, "Logs_Archive-sse").inputs.rules).to.deep.equal([{
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:111111111111:key/abc" }, bucketKeyEnabled: true,
        }]);
        expect(byName(rs, "Logs_Archive-lifecycle").inputs.rules[0]).to.deep.include({
            status: "Enabled", expiration: { days: 30 }, noncurrentVersionExpiration: { noncurrentDays: 30 },
        });
    });

    it("appends extra statements given as plain values after the TLS-only deny", async () => {
        const extra = { Sid: "ReadOnly", Effect: "Allow" as const, Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: "s3:GetObject", Resource: "*" };
        const { resources: rs } = await runMocked(() => {
            new SecureBucket("shared", { region: "us-east-1", extraPolicyStatements: [pulumi.output(extra)] }, { provider: testProvider(SEC, "us-east-1") });
        });
        expect(policyOf(byName(rs, "shared-policy")).Statement.map((s: any) => s.Sid)).to.deep.equal(["DenyInsecureTransport", "ReadOnly"]);
    });
});

describe("the Security Hub aggregator's linked regions", () => {
    it("links exactly the stack's other regions, or none when it runs in the home region only", () => {
        expect(aggregatorLinking("ap-northeast-2", ["ap-northeast-2", "us-east-1", "us-east-1", "eu-west-1"]))
            .to.deep.equal({ linkingMode: "SPECIFIED_REGIONS", specifiedRegions: ["eu-west-1", "us-east-1"] });
        expect(aggregatorLinking("ap-northeast-2", ["ap-northeast-2"])).to.deep.equal({ linkingMode: "NO_REGIONS" });
    });
});
