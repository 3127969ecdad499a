import { expect } from "chai";
import { ConfigError, parseConfig, type RawConfig } from "../config";
import { isThreatListUrl } from "../model/threatListLocation";
import { canRecordIamGlobalTypes } from "../model/awsRegions";

function raw(values: Record<string, unknown>): RawConfig {
    const out: RawConfig = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined) out[`guardpost:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return out;
}

const MGMT = { name: "mgmt", id: "333333333333", kind: "management", email: "mgmt@example.com", regions: ["us-east-1", "eu-west-1"] };
const SEC = { name: "security", id: "111111111111", kind: "security", regions: ["us-east-1", "eu-west-1"] };
const APP = { name: "app", id: "222222222222", kind: "workload", email: "app@example.com", regions: ["us-east-1", "eu-west-1"] };

function org(overrides: Record<string, unknown> = {}): RawConfig {
    return raw({
        stage: "prod", homeRegion: "us-east-1", organization: true,
        accounts: [MGMT, SEC, APP],
        detection: { detective: true, securityHub: { policyTargets: ["r-ab12"] } },
        ...overrides,
    });
}

function standalone(overrides: Record<string, unknown> = {}): RawConfig {
    return raw({ stage: "dev", homeRegion: "us-east-1", accounts: [SEC, { ...APP, email: undefined }], ...overrides });
}

function problems(r: RawConfig): string {
    try { parseConfig(r); } catch (e) { expect(e).to.be.instanceOf(ConfigError); return (e as Error).message; }
    throw new Error("expected the config to be rejected");
}

describe("organization config: no blind region", () => {
    it("refuses an account that Security Hub's central configuration reaches in a region where no Config records for it (Config.1), naming the fix", () => {
        const message = problems(org({ accounts: [MGMT, SEC, { ...APP, regions: ["us-east-1"] }] }));
        expect(message).to.contain("guardpost:accounts[app].regions: Security Hub's central configuration turns on its standards for 'app' in every region of the organization");
        expect(message).to.contain("in eu-west-1 (used by mgmt, security) the Critical control Config.1 would fail");
        expect(message).to.contain("add eu-west-1 to the regions of 'app', or set its services.securityHub to skip");
        // Self-managed in Security Hub, or Config left to Control Tower: the policy or the recorder is not guardpost's to align.
        expect(() => parseConfig(org({ accounts: [MGMT, SEC, { ...APP, regions: ["us-east-1"], services: { securityHub: "skip" } }] }))).to.not.throw();
        expect(() => parseConfig(org({ accounts: [MGMT, SEC, { ...APP, regions: ["us-east-1"] }], detection: { securityHub: { enabled: false } } }))).to.not.throw();
    });

    it("refuses a member region where the delegated admin does not operate, naming account, region and fix", () => {
        const message = problems(org({ accounts: [MGMT, SEC, { ...APP, regions: ["us-east-1", "ap-south-1"] }] }));
        expect(message).to.contain("guardpost:accounts[app].regions: ap-south-1 has no delegated administrator: the security account 'security' does not operate there");
        expect(message).to.contain("add ap-south-1 to the regions of 'security' and of the management account 'mgmt', or remove it from 'app'");
    });

    it("accepts an organization whose admin covers every region", () => {
        const cfg = parseConfig(org());
        expect(cfg.accounts.map(a => a.name)).to.deep.equal(["mgmt", "security", "app"]);
    });
});

describe("organization config: one partition per stack", () => {
    it("refuses regions of another partition than the home region's", () => {
        const message = problems(standalone({ accounts: [SEC, { ...APP, email: undefined, regions: ["us-east-1", "cn-north-1"] }] }));
        expect(message).to.contain("guardpost:accounts[app].regions: cn-north-1 is in partition 'aws-cn' but the home region us-east-1 is in 'aws'");
    });

    it("builds the deployer role ARN in the stack's partition", () => {
        const cfg = parseConfig(raw({ stage: "cn", homeRegion: "cn-north-1", accounts: [{ ...SEC, regions: ["cn-north-1", "cn-northwest-1"] }] }));
        expect(cfg.partition).to.equal("aws-cn");
        expect(cfg.securityAccount.roleArn).to.equal("arn:aws-cn:iam::111111111111:role/guardpost-deployer");
        const gov = parseConfig(raw({ stage: "gov", homeRegion: "us-gov-west-1", accounts: [{ ...SEC, regions: ["us-gov-west-1"] }] }));
        expect(gov.securityAccount.roleArn).to.equal("arn:aws-us-gov:iam::111111111111:role/guardpost-deployer");
    });

    it("refuses a role ARN or WAF ACL from another partition", () => {
        const message = problems(standalone({ accounts: [{ ...SEC, roleArn: "arn:aws-cn:iam::111111111111:role/deployer" }, {
            ...APP, email: undefined, logs: { wafWebAclArns: ["arn:aws-us-gov:wafv2:us-east-1:222222222222:regional/webacl/a/1a2b"] },
        }] }));
        expect(message).to.contain("guardpost:accounts[security].roleArn: is in partition 'aws-cn' but the stack's regions are in 'aws'");
        expect(message).to.contain("is in partition 'aws-us-gov', the account's regions in 'aws'");
    });
});

describe("organization config: global resources recorded where AWS Config can", () => {
    it("defaults globalResourcesRegion to the home region (Security Hub's aggregation region)", () => {
        expect(parseConfig(standalone({ homeRegion: "eu-west-1", accounts: [{ ...SEC, regions: ["eu-west-1"] }] })).detection.awsConfig.globalResourcesRegion).to.equal("eu-west-1");
    });

    it("refuses a region that opened to AWS Config after February 2022", () => {
        for (const region of ["eu-central-2", "ap-south-2", "il-central-1", "ca-west-1", "mx-central-1"]) {
            expect(canRecordIamGlobalTypes(region), region).to.equal(false);
            expect(problems(standalone({ detection: { awsConfig: { globalResourcesRegion: region } } }))).to.contain(`guardpost:detection.awsConfig.globalResourcesRegion: ${region}`);
        }
        for (const region of ["us-east-1", "ap-northeast-2", "eu-west-1", "ap-southeast-3", "cn-north-1", "us-gov-west-1"]) expect(canRecordIamGlobalTypes(region), region).to.equal(true);
    });
});

describe("organization config: threat list locations GuardDuty accepts", () => {
    it("accepts the documented path-style, virtual-hosted, regional and s3:// forms", () => {
        for (const url of [
            "https://s3.amazonaws.com/bucket.name/file.txt", "https://s3-us-west-2.amazonaws.com/bucket.name/file.txt",
            "http://bucket.s3.amazonaws.com/file.txt", "http://bucket.s3-us-west-2.amazonaws.com/file.txt", "s3://bucket.name/file.txt",
            "https://s3.ap-east-1.amazonaws.com/bucket/key/list.txt", "https://bucket.s3.eu-west-1.amazonaws.com/list.txt",
            "https://s3.cn-north-1.amazonaws.com.cn/bucket/list.txt",
        ]) {
            expect(isThreatListUrl(url), url).to.equal(true);
            expect(() => parseConfig(standalone({ detection: { threatIntelSets: [{ name: "x", s3Url: url }] } })), url).to.not.throw();
        }
    });

    it("refuses other hosts and schemes", () => {
        for (const url of ["ftp://bucket/list.txt", "https://example.com/list.txt", "https://s3.amazonaws.com/", "s3://b"]) {
            expect(isThreatListUrl(url), url).to.equal(false);
        }
    });
});

describe("organization config: manage, adopt, skip per account and service", () => {
    it("manages everything by default", () => {
        const app = parseConfig(org()).accounts.find(a => a.name === "app")!;
        expect(Object.fromEntries(Object.entries(app.services).map(([k, v]) => [k, v.mode]))).to.deep.equal({ guardDuty: "manage", securityHub: "manage", config: "manage", detective: "manage" });
    });

    it("needs the existing detector id in every region to adopt GuardDuty, and names the command that finds it", () => {
        const message = problems(standalone({ accounts: [{ ...SEC, services: { guardDuty: { mode: "adopt", detectorIds: { "us-east-1": "0123456789abcdef0123456789abcdef" } } } }, { ...APP, email: undefined }] }));
        expect(message).to.contain("guardpost:accounts[security].services.guardDuty.detectorIds: adopting GuardDuty needs the existing detector id in eu-west-1");
        expect(message).to.contain("aws guardduty list-detectors --region <region>");
        const ok = parseConfig(standalone({ accounts: [{ ...SEC, services: { guardDuty: { mode: "adopt", detectorIds: { "us-east-1": "0123456789abcdef0123456789abcdef", "eu-west-1": "fedcba9876543210fedcba9876543210" } } } }, { ...APP, email: undefined }] }));
        expect(ok.securityAccount.services.guardDuty).to.deep.equal({ mode: "adopt", detectorIds: { "us-east-1": "0123456789abcdef0123456789abcdef", "eu-west-1": "fedcba9876543210fedcba9876543210" } });
    });

    it("adopts a Config recorder and channel by name, 'default' unless given", () => {
        const cfg = parseConfig(standalone({ accounts: [SEC, { ...APP, email: undefined, services: { config: "adopt" } }] }));
        expect(cfg.accounts[1].services.config).to.deep.equal({ mode: "adopt", recorderName: "default", deliveryChannelName: "default" });
    });

    it("skips Config in a Control Tower account and refuses to manage it there", () => {
        const cfg = parseConfig(org({ accounts: [MGMT, SEC, { ...APP, controlTower: true }] }));
        expect(cfg.accounts[2].services.config.mode).to.equal("skip");
        expect(problems(org({ accounts: [MGMT, SEC, { ...APP, controlTower: true, services: { config: "manage" } }] })))
            .to.contain("guardpost:accounts[app].services.config: is 'manage' but the account is enrolled in Control Tower");
    });

    it("refuses to skip GuardDuty or Security Hub on the delegated admin, and GuardDuty on a member (auto-enable ALL enrolls it)", () => {
        const message = problems(org({ accounts: [MGMT, { ...SEC, services: { guardDuty: "skip", securityHub: "skip" } }, { ...APP, services: { guardDuty: "skip" } }] }));
        expect(message).to.contain("guardpost:accounts[security].services.guardDuty: is 'skip' on the delegated administrator");
        expect(message).to.contain("guardpost:accounts[security].services.securityHub: is 'skip' on the delegated administrator");
        expect(message).to.contain("guardpost:accounts[app].services.guardDuty: is 'skip', but the delegated administrator enables GuardDuty in every organization account");
    });

    it("needs the e-mail of accounts the admin adds as members, and the policy targets of central configuration", () => {
        const message = problems(org({ accounts: [{ ...MGMT, email: undefined }, SEC, { ...APP, email: undefined }], detection: { detective: true } }));
        expect(message).to.contain("guardpost:accounts[mgmt].email: is missing: the delegated administrator adds this account as a GuardDuty and Security Hub and Detective member");
        expect(message).to.contain("guardpost:accounts[app].email: is missing: the delegated administrator adds this account as a Detective member");
        expect(message).to.contain("guardpost:detection.securityHub.policyTargets: is empty");
    });

    it("refuses unknown modes and ids for regions the account does not operate in", () => {
        const message = problems(standalone({ accounts: [{ ...SEC, services: { detective: "import", guardDuty: { mode: "adopt", detectorIds: { "ap-south-1": "0123456789abcdef0123456789abcdef" } } } }, { ...APP, email: undefined }] }));
        expect(message).to.contain("guardpost:accounts[security].services.detective: 'import' is not allowed");
        expect(message).to.contain("guardpost:accounts[security].services.guardDuty.detectorIds.ap-south-1: ap-south-1 is not one of the account's regions");
    });
});
