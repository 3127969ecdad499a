import { expect } from "chai";
import { MockedResource, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";
import { DetectionBaseline, DetectionBaselineArgs, ProtectionSwitches } from "../components/detection/detectionBaseline";
import { planFeatures } from "../components/detection/detectionPlan";
import { managedServices } from "../model/services";

const SEC = "111111111111";
const OFF: ProtectionSwitches = {
    s3DataEvents: true, eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: true, lambdaNetworkLogs: true,
    runtimeMonitoring: false, eksRuntimeMonitoring: false, aiProtection: false, aiAnalyst: false, agentManagement: { eks: false, ecsFargate: false, ec2: false },
};

function args(protections: ProtectionSwitches, over: Partial<DetectionBaselineArgs> = {}): DetectionBaselineArgs {
    return {
        accountId: SEC, region: "us-east-1", mode: "admin", homeRegion: "us-east-1", protections,
        detective: false, securityHub: { enabled: false, standards: [] }, awsConfig: { enabled: false, includeGlobalResourceTypes: false },
        services: managedServices(), organization: { accounts: [], securityHubPolicyTargets: [] },
        ...over,
    };
}

async function features(p: ProtectionSwitches): Promise<MockedResource[]> {
    const { resources } = await runMocked(() => {
        new DetectionBaseline("rt", args(p), { provider: testProvider(SEC, "us-east-1") });
    }, { requireExplicitProviders: true });
    return resources.filter(r => r.type === "aws:guardduty/detectorFeature:DetectorFeature" ||
        r.type === "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature");
}

const status = (rs: MockedResource[], name: string) => Object.fromEntries(rs.filter(r => r.inputs.name === name).map(r => [r.type.split(":")[1], r.inputs.status ?? r.inputs.autoEnable]));

describe("review: runtime monitoring switches can be turned off", () => {
    // Deleting a (organization) feature resource only forgets it; the plan stays on and billed. So every
    // switch position must declare the same feature resources, and "off" must be an explicit DISABLED/NONE.
    const positions: Array<[string, ProtectionSwitches]> = [
        ["both off", OFF],
        ["EKS runtime on", { ...OFF, eksRuntimeMonitoring: true, agentManagement: { eks: true, ecsFargate: false, ec2: false } }],
        ["runtime on", { ...OFF, runtimeMonitoring: true, agentManagement: { eks: true, ecsFargate: true, ec2: true } }],
    ];

    it("declares the same feature resources in every switch position, so switching never deletes one", async () => {
        const names: string[][] = [];
        for (const [, p] of positions) names.push((await features(p)).map(r => `${r.type}/${r.name}`).sort());
        expect(names[1]).to.deep.equal(names[0]);
        expect(names[2]).to.deep.equal(names[0]);
    });

    it("turns the unused runtime plan explicitly off, in the detector and in the organization", async () => {
        const [, eksOn, runtimeOn] = await Promise.all(positions.map(([, p]) => features(p)));
        expect(status(eksOn, "EKS_RUNTIME_MONITORING")).to.deep.equal({ "guardduty/detectorFeature": "ENABLED", "guardduty/organizationConfigurationFeature": "ALL" });
        expect(status(eksOn, "RUNTIME_MONITORING")).to.deep.equal({ "guardduty/detectorFeature": "DISABLED", "guardduty/organizationConfigurationFeature": "NONE" });
        expect(status(runtimeOn, "RUNTIME_MONITORING")).to.deep.equal({ "guardduty/detectorFeature": "ENABLED", "guardduty/organizationConfigurationFeature": "ALL" });
        expect(status(runtimeOn, "EKS_RUNTIME_MONITORING")).to.deep.equal({ "guardduty/detectorFeature": "DISABLED", "guardduty/organizationConfigurationFeature": "NONE" });
    });

    it("never plans both runtime features enabled, and orders the enabled one before the disabled one", () => {
        for (const [what, p] of positions) {
            const plans = planFeatures(p);
            const runtime = plans.filter(f => f.name === "RUNTIME_MONITORING" || f.name === "EKS_RUNTIME_MONITORING");
            expect(runtime, what).to.have.length(2);
            expect(runtime.filter(f => f.enabled).length, what).to.be.at.most(1);
            if (runtime.some(f => f.enabled)) expect(runtime[0].enabled, what).to.equal(true);
            for (const f of runtime.filter(x => !x.enabled)) {
                expect(f.additional.every(a => !a.enabled), `${what}: ${f.name}`).to.equal(true);
            }
        }
    });
});

describe("review: DetectionBaseline argument errors", () => {
    it("fail before the component registers anything", async () => {
        let err: Error | undefined;
        const { resources } = await runMocked(() => {
            try {
                new DetectionBaseline("bad", args({ ...OFF, runtimeMonitoring: true, eksRuntimeMonitoring: true }), { provider: testProvider(SEC, "us-east-1") });
            } catch (e) {
                err = e as Error;
            }
        });
        expect(err?.message).to.match(/cannot both be on/);
        expect(resources.filter(r => r.type.startsWith("guardpost:") || r.name.startsWith("bad"))).to.deep.equal([]);
    });
});
