import { expect } from "chai";
import { MockedResource, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";
import { DetectionBaseline, DetectionBaselineArgs } from "../components/detection/detectionBaseline";
import { AccountBaseline } from "../components/detection/accountBaseline";
import { managedServices, type AccountServices } from "../model/services";

const SEC = "111111111111";
const WORK = "222222222222";
const MGMT = "333333333333";
const DETECTOR = "0123456789abcdef0123456789abcdef";
const GRAPH = "arn:aws:detective:us-east-1:111111111111:graph:abc123";

const T = {
    detector: "aws:guardduty/detector:Detector",
    feature: "aws:guardduty/detectorFeature:DetectorFeature",
    hub: "aws:securityhub/account:Account",
    standard: "aws:securityhub/standardsSubscription:StandardsSubscription",
    association: "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation",
    recorder: "aws:cfg/recorder:Recorder",
    channel: "aws:cfg/deliveryChannel:DeliveryChannel",
    status: "aws:cfg/recorderStatus:RecorderStatus",
    graph: "aws:detective/graph:Graph",
    detectiveMember: "aws:detective/member:Member",
    slr: "aws:iam/serviceLinkedRole:ServiceLinkedRole",
};

function services(over: Partial<{ [K in keyof AccountServices]: Partial<AccountServices[K]> }>): AccountServices {
    const s = managedServices();
    for (const [k, v] of Object.entries(over)) Object.assign((s as any)[k], v);
    return s;
}

function args(over: Partial<DetectionBaselineArgs> = {}): DetectionBaselineArgs {
    return {
        accountId: SEC, region: "us-east-1", mode: "standalone", homeRegion: "us-east-1", services: managedServices(),
        protections: {
            s3DataEvents: true, eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: true, lambdaNetworkLogs: true,
            runtimeMonitoring: false, eksRuntimeMonitoring: false, aiProtection: false, aiAnalyst: false, agentManagement: { eks: false, ecsFargate: false, ec2: false },
        },
        detective: true,
        securityHub: { enabled: true, standards: ["fsbp"] },
        awsConfig: { enabled: true, includeGlobalResourceTypes: true },
        configDelivery: { bucketName: "archive", kmsKeyArn: "arn:aws:kms:us-east-1:111111111111:key/k", roleArn: `arn:aws:iam::${SEC}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig` },
        ...over,
    };
}

async function plan(a: DetectionBaselineArgs): Promise<MockedResource[]> {
    const { resources } = await runMocked(() => {
        new DetectionBaseline("b", a, { provider: testProvider(a.accountId, a.region) });
    }, { requireExplicitProviders: true });
    return resources;
}
const ofType = (rs: MockedResource[], t: string) => rs.filter(r => r.type === t);

describe("adopt: take over what exists with Pulumi's import option, never create a second one", () => {
    it("GuardDuty: imports the detector by its id and keeps declaring the features on it", async () => {
        const rs = await plan(args({ services: services({ guardDuty: { mode: "adopt", detectorIds: { "us-east-1": DETECTOR } } }) }));
        const [detector] = ofType(rs, T.detector);
        expect(detector.importId).to.equal(DETECTOR);
        expect(ofType(rs, T.feature)).to.have.length(9);
        for (const f of ofType(rs, T.feature)) expect(f.propertyDependencies.detectorId).to.deep.equal([detector.urn]);
    });

    it("Security Hub: imports the hub by account id (no 'Account is already subscribed')", async () => {
        const rs = await plan(args({ services: services({ securityHub: { mode: "adopt" } }) }));
        expect(ofType(rs, T.hub).map(h => h.importId)).to.deep.equal([SEC]);
    });

    it("Config: imports the recorder, channel and status by their existing names and points them at the service-linked role and the archive", async () => {
        const rs = await plan(args({ services: services({ config: { mode: "adopt", recorderName: "default", deliveryChannelName: "default" } }) }));
        const [recorder] = ofType(rs, T.recorder);
        expect(recorder.importId).to.equal("default");
        expect(recorder.inputs).to.deep.include({ name: "default", roleArn: `arn:aws:iam::${SEC}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig` });
        expect(ofType(rs, T.channel)[0]).to.deep.include({ importId: "default" });
        expect(ofType(rs, T.channel)[0].inputs).to.include({ name: "default", s3BucketName: "archive" });
        expect(ofType(rs, T.status)[0].importId).to.equal("default");
    });

    it("Detective: imports the behavior graph by its ARN", async () => {
        const rs = await plan(args({ services: services({ detective: { mode: "adopt", graphArns: { "us-east-1": GRAPH } } }) }));
        expect(ofType(rs, T.graph).map(g => g.importId)).to.deep.equal([GRAPH]);
    });

    it("manage: creates everything, imports nothing", async () => {
        const rs = await plan(args());
        expect(rs.filter(r => r.importId)).to.deep.equal([]);
        for (const t of [T.detector, T.hub, T.recorder, T.graph]) expect(ofType(rs, t), t).to.have.length(1);
    });

    it("refuses adopt without the id to import, before declaring anything", async () => {
        expect(() => new DetectionBaseline("x", args({ services: services({ guardDuty: { mode: "adopt", detectorIds: {} } }) })))
            .to.throw(/services.guardDuty is adopt but detectorIds has no detector id for us-east-1/);
        expect(() => new DetectionBaseline("x", args({ services: services({ detective: { mode: "adopt", graphArns: {} } }) })))
            .to.throw(/services.detective is adopt but graphArns has no graph for us-east-1/);
    });
});

describe("skip: declare nothing for a service someone else covers", () => {
    it("GuardDuty: no detector, features, lists or export", async () => {
        const rs = await plan(args({ services: services({ guardDuty: { mode: "skip" } }), trustedIpLists: [], findingsExport: { bucketArn: "arn:aws:s3:::a", kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" } }));
        for (const t of [T.detector, T.feature, "aws:guardduty/publishingDestination:PublishingDestination"]) expect(ofType(rs, t), t).to.be.empty;
    });

    it("Security Hub: no hub and no standards", async () => {
        const rs = await plan(args({ services: services({ securityHub: { mode: "skip" } }) }));
        expect([...ofType(rs, T.hub), ...ofType(rs, T.standard)]).to.be.empty;
    });

    it("Config (Control Tower): no recorder, channel or status", async () => {
        const rs = await plan(args({ services: services({ config: { mode: "skip" } }), configDelivery: undefined }));
        expect([...ofType(rs, T.recorder), ...ofType(rs, T.channel), ...ofType(rs, T.status)]).to.be.empty;
    });

    it("Detective: no graph", async () => {
        const rs = await plan(args({ services: services({ detective: { mode: "skip" } }) }));
        expect(ofType(rs, T.graph)).to.be.empty;
    });

    it("in an organization, a member that skips Security Hub is associated as self-managed and one that skips Detective is not enrolled", async () => {
        const rs = await plan(args({
            mode: "admin",
            organization: {
                accounts: [
                    { accountId: MGMT, email: "m@example.com", kind: "management", services: managedServices() },
                    { accountId: WORK, email: "w@example.com", kind: "workload", services: services({ securityHub: { mode: "skip" }, detective: { mode: "skip" } }) },
                ],
                securityHubPolicyTargets: ["r-ab12"],
            },
        }));
        const associations = Object.fromEntries(ofType(rs, T.association).map(a => [a.inputs.targetId, a.inputs.policyId]));
        expect(associations[WORK]).to.equal("SELF_MANAGED_SECURITY_HUB");
        expect(associations["r-ab12"]).to.be.a("string").and.not.equal("SELF_MANAGED_SECURITY_HUB");
        expect(ofType(rs, T.detectiveMember).map(m => m.inputs.accountId)).to.deep.equal([MGMT]);
    });
});

describe("AccountBaseline: the Config service-linked role and the organization's prerequisites", () => {
    async function account(mode: "manage" | "adopt" | "skip", extra: Partial<ConstructorParameters<typeof AccountBaseline>[1]> = {}) {
        let baseline!: AccountBaseline;
        const { resources } = await runMocked(() => {
            baseline = new AccountBaseline("a", { accountId: MGMT, partition: "aws", configServiceLinkedRole: mode, ...extra }, { provider: testProvider(MGMT, "us-east-1") });
        }, { requireExplicitProviders: true });
        return { resources, baseline };
    }

    it("creates AWSServiceRoleForConfig (manage), imports it by ARN (adopt), or leaves it alone (skip) — and never deletes it", async () => {
        const arn = `arn:aws:iam::${MGMT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
        const managed = await account("manage");
        expect(ofType(managed.resources, T.slr).map(r => [r.inputs.awsServiceName, r.importId, r.retainOnDelete])).to.deep.equal([["config.amazonaws.com", undefined, true]]);
        expect(managed.baseline.configRoleArn).to.equal(arn);
        const adopted = await account("adopt");
        expect(ofType(adopted.resources, T.slr).map(r => r.importId)).to.deep.equal([arn]);
        expect(ofType((await account("skip")).resources, T.slr)).to.be.empty;
    });

    it("enables trusted access principal by principal (never the whole Organization), kept on delete, and registers Config's delegated admin after it", async () => {
        const { resources } = await account("manage", {
            trustedAccess: [
                { principal: "cloudtrail.amazonaws.com", reason: "", source: "" },
                { principal: "config.amazonaws.com", reason: "", source: "" },
            ],
            delegatedAdministrators: [{ servicePrincipal: "config.amazonaws.com", accountId: SEC }],
        });
        expect(ofType(resources, "aws:organizations/organization:Organization")).to.be.empty;
        const access = ofType(resources, "aws:organizations/awsServiceAccess:AwsServiceAccess");
        expect(access.map(a => [a.inputs.servicePrincipal, a.retainOnDelete])).to.deep.equal([["cloudtrail.amazonaws.com", true], ["config.amazonaws.com", true]]);
        const [delegation] = ofType(resources, "aws:organizations/delegatedAdministrator:DelegatedAdministrator");
        expect(delegation.inputs).to.deep.include({ servicePrincipal: "config.amazonaws.com", accountId: SEC });
        expect(delegation.dependsOn).to.include.members(access.map(a => a.urn));
    });
});
