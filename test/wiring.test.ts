import { expect } from "chai";
import * as aws from "@pulumi/aws";
import { parseConfig, type RawConfig } from "../config";
import { runMocked } from "../plan/engine";
import { Providers } from "../providers";
import { deploymentOrder, detectionMode, OFFLINE_PLAN_ENV, recordsGlobalResources, requireDeployFile, shipsSecurityHubFindings, trailFor } from "../wiring";

function cfgOf(values: Record<string, unknown>): ReturnType<typeof parseConfig> {
    const raw: RawConfig = {};
    for (const [k, v] of Object.entries(values)) raw[`guardpost:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return parseConfig(raw);
}

const org = cfgOf({
    stage: "test",
    homeRegion: "us-east-1",
    organization: true,
    accounts: [
        { name: "app", id: "333333333333", kind: "workload", regions: ["eu-west-1", "us-east-1"] },
        { name: "security", id: "222222222222", kind: "security", regions: ["us-east-1", "eu-west-1"] },
        { name: "mgmt", id: "111111111111", kind: "management", regions: ["us-east-1", "eu-west-1"], email: "mgmt@example.com" },
    ],
    logs: { organizationTrail: true },
    detection: { awsConfig: { globalResourcesRegion: "us-east-1" }, securityHub: { policyTargets: ["r-ab12"] } },
});
const standalone = cfgOf({
    stage: "test",
    homeRegion: "us-east-1",
    accounts: [
        { name: "security", id: "222222222222", kind: "security", regions: ["us-east-1"] },
        { name: "app", id: "333333333333", kind: "workload", regions: ["eu-west-1", "ap-northeast-2"], logs: { cloudTrail: true } },
        { name: "quiet", id: "444444444444", kind: "workload", regions: ["us-east-1"], logs: { cloudTrail: false } },
    ],
});

describe("wiring", () => {
    it("orders placements management → security → workloads, every account × region once", () => {
        expect(deploymentOrder(org).map(p => `${p.account.name}/${p.region}`)).to.deep.equal(["mgmt/us-east-1", "mgmt/eu-west-1", "security/us-east-1", "security/eu-west-1", "app/eu-west-1", "app/us-east-1"]);
    });

    it("gives each account its detection mode", () => {
        const modes = (cfg: typeof org) => Object.fromEntries(cfg.accounts.map(a => [a.name, detectionMode(cfg, a)]));
        expect(modes(org)).to.deep.equal({ app: "member", security: "admin", mgmt: "management" });
        expect(modes(standalone)).to.deep.equal({ security: "standalone", app: "standalone", quiet: "standalone" });
    });

    it("puts the only trail in the management account with an organization trail", () => {
        const trails = deploymentOrder(org).map(p => `${p.account.name}/${p.region}:${trailFor(org, p.account, p.region)}`);
        expect(trails).to.deep.equal(["mgmt/us-east-1:organization", "mgmt/eu-west-1:none", "security/us-east-1:none", "security/eu-west-1:none", "app/eu-west-1:none", "app/us-east-1:none"]);
    });

    it("gives every account one trail, in the trail region or its first region, unless it opts out", () => {
        const trails = deploymentOrder(standalone).map(p => `${p.account.name}/${p.region}:${trailFor(standalone, p.account, p.region)}`);
        expect(trails).to.deep.equal(["security/us-east-1:account", "app/eu-west-1:account", "app/ap-northeast-2:none", "quiet/us-east-1:none"]);
    });

    it("records global resource types in exactly one region per account", () => {
        for (const cfg of [org, standalone]) {
            for (const account of cfg.accounts) {
                expect(account.regions.filter(r => recordsGlobalResources(cfg, account, r)), account.name).to.have.length(1);
            }
        }
    });

    it("ships Security Hub findings only where they are aggregated, so none is indexed twice", () => {
        const ships = (cfg: typeof org) => deploymentOrder(cfg).filter(p => shipsSecurityHubFindings(cfg, p.account, p.region)).map(p => `${p.account.name}/${p.region}`);
        expect(ships(org)).to.deep.equal(["security/us-east-1"]);
        // app does not operate in the home region, so it has no aggregator and ships from each region.
        expect(ships(standalone)).to.deep.equal(["security/us-east-1", "app/eu-west-1", "app/ap-northeast-2", "quiet/us-east-1"]);
    });

    it("refuses a missing deploy file with the key and the fix, but lets the offline plan through", () => {
        const previous = process.env[OFFLINE_PLAN_ENV];
        try {
            delete process.env[OFFLINE_PLAN_ENV];
            expect(() => requireDeployFile("geoip/none.mmdb", "guardpost:logs.geoipDatabasePath")).to.throw(/guardpost:logs.geoipDatabasePath: geoip\/none.mmdb does not exist.*GeoIP database/);
            process.env[OFFLINE_PLAN_ENV] = "1";
            expect(requireDeployFile("geoip/none.mmdb", "k", "/repo")).to.equal("/repo/geoip/none.mmdb");
        } finally {
            if (previous === undefined) delete process.env[OFFLINE_PLAN_ENV];
            else process.env[OFFLINE_PLAN_ENV] = previous;
        }
    });
});

describe("providers", () => {
    it("creates one provider per account, memoized, in its first region, assuming the account's role with its tags", async () => {
        const seen: aws.Provider[] = [];
        const { resources } = await runMocked(() => {
            const providers = new Providers("dev");
            const [security, app] = standalone.accounts;
            seen.push(providers.forAccount(app), providers.forAccount(app), providers.forAccount(security));
        }, { stack: "dev" });
        expect(seen[0]).to.equal(seen[1]);
        expect(seen[0]).to.not.equal(seen[2]);
        const created = resources.filter(r => r.type === "pulumi:providers:aws");
        expect(created.map(r => r.name)).to.deep.equal(["aws-app", "aws-security"]);
        const p = created[0];
        expect(p.provider).to.include({ account: "333333333333", region: "eu-west-1" });
        expect(JSON.parse(p.inputs.assumeRoles)[0]).to.include({ roleArn: "arn:aws:iam::333333333333:role/guardpost-deployer", sessionName: "guardpost-dev" });
        expect(JSON.parse(p.inputs.defaultTags).tags).to.deep.equal({ "guardpost:stack": "dev", "guardpost:account": "app", "guardpost:managed-by": "pulumi" });
    });
});
