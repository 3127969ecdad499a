import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateSampleFindingsCommand, GuardDutyClient, ListDetectorsCommand } from "@aws-sdk/client-guardduty";
import {
    EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseArgs, REPRESENTATIVE_TYPES, runSampleFindings, SampleTarget, selectTargets, targetsFromAccounts, USAGE,
} from "../scripts/sampleFindingsLib";

const TARGETS: SampleTarget[] = targetsFromAccounts([
    { name: "security", id: "111111111111", roleArn: "arn:aws:iam::111111111111:role/guardpost-deployer", regions: ["ap-northeast-2"] },
    { name: "sandbox", id: "222222222222", roleArn: "arn:aws:iam::222222222222:role/guardpost-deployer", regions: ["ap-northeast-2", "us-east-1"] },
]);

/** Session keys that name the account they were issued for, so each GuardDuty call shows whose they are. */
const keyFor = (roleArn: string) => `ASIA${roleArn.split(":")[4]}`;

describe("sample findings command", () => {
    // Created in `before`, not at load: mockClient patches the client class for the whole process.
    let sts: ReturnType<typeof mockClient>;
    let guardDuty: ReturnType<typeof mockClient>;
    before(() => {
        sts = mockClient(STSClient);
        guardDuty = mockClient(GuardDutyClient);
    });
    let out: string[];
    let err: string[];
    const deps = () => ({ loadTargets: (stack: string) => { expect(stack).to.equal("dev"); return TARGETS; }, log: (l: string) => out.push(l), error: (l: string) => err.push(l) });

    beforeEach(() => {
        out = [];
        err = [];
        sts.reset();
        guardDuty.reset();
        sts.on(AssumeRoleCommand).callsFake(input => ({
            Credentials: { AccessKeyId: keyFor(input.RoleArn), SecretAccessKey: "secret-never-logged", SessionToken: "token-never-logged", Expiration: new Date(Date.now() + 900_000) },
        }));
        guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: ["d-abc123"] });
        guardDuty.on(CreateSampleFindingsCommand).resolves({});
    });

    after(() => {
        sts.restore();
        guardDuty.restore();
    });

    it("assumes each account's role in each of its regions and creates sample findings in that region's detector", async () => {
        const code = await runSampleFindings(["--stack", "dev"], deps());
        expect(code, err.join("\n")).to.equal(EXIT_OK);

        const assumed = await Promise.all(sts.commandCalls(AssumeRoleCommand).map(async c => ({
            role: c.args[0].input.RoleArn, region: await (c.thisValue as STSClient).config.region(), session: c.args[0].input.RoleSessionName,
        })));
        expect(assumed).to.deep.equal([
            { role: "arn:aws:iam::111111111111:role/guardpost-deployer", region: "ap-northeast-2", session: "guardpost-sample-findings" },
            { role: "arn:aws:iam::222222222222:role/guardpost-deployer", region: "ap-northeast-2", session: "guardpost-sample-findings" },
            { role: "arn:aws:iam::222222222222:role/guardpost-deployer", region: "us-east-1", session: "guardpost-sample-findings" },
        ]);

        const created = await Promise.all(guardDuty.commandCalls(CreateSampleFindingsCommand).map(async c => {
            const client = c.thisValue as GuardDutyClient;
            return { region: await client.config.region(), key: (await client.config.credentials()).accessKeyId, input: c.args[0].input };
        }));
        const handful = REPRESENTATIVE_TYPES.map(t => t.type);
        expect(created).to.deep.equal([
            { region: "ap-northeast-2", key: "ASIA111111111111", input: { DetectorId: "d-abc123", FindingTypes: handful } },
            { region: "ap-northeast-2", key: "ASIA222222222222", input: { DetectorId: "d-abc123", FindingTypes: handful } },
            { region: "us-east-1", key: "ASIA222222222222", input: { DetectorId: "d-abc123", FindingTypes: handful } },
        ]);
        expect(out.join("\n")).to.contain("3 succeeded, 0 failed");
        expect(out.join("\n") + err.join("\n")).to.not.match(/secret-never-logged|token-never-logged/);
    });

    it("by default asks for one finding per severity band, and says how to ask for more", async () => {
        expect(REPRESENTATIVE_TYPES.map(t => t.band)).to.deep.equal(["Low", "Medium", "High", "Critical"]);
        const code = await runSampleFindings(["--stack", "dev", "--account", "security"], deps());
        expect(code, err.join("\n")).to.equal(EXIT_OK);
        const calls = guardDuty.commandCalls(CreateSampleFindingsCommand);
        expect(calls).to.have.length(1);
        expect(calls[0].args[0].input.FindingTypes).to.deep.equal(["Policy:S3/BucketBlockPublicAccessDisabled", "Recon:EC2/Portscan", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "AttackSequence:IAM/CompromisedCredentials"]);
        expect(out[0]).to.contain("one per severity band").and.to.contain("--types T1,T2 for others, --all-types for every type");
        expect(USAGE).to.contain("--all-types").and.to.contain("hundreds of alerts");
    });

    it("--all-types sends no FindingTypes, which GuardDuty reads as one of every type; it excludes --types", async () => {
        const code = await runSampleFindings(["--stack", "dev", "--account", "security", "--all-types"], deps());
        expect(code, err.join("\n")).to.equal(EXIT_OK);
        expect(guardDuty.commandCalls(CreateSampleFindingsCommand)[0].args[0].input).to.deep.equal({ DetectorId: "d-abc123" });
        expect(out[0]).to.contain("one of every finding type");
        expect(() => parseArgs(["--stack", "dev", "--all-types", "--types", "Recon:EC2/Portscan"])).to.throw(/exclude each other/);
    });

    it("narrows to one account and region and passes the requested finding types", async () => {
        const code = await runSampleFindings(["--stack=dev", "--account", "sandbox", "--region", "us-east-1", "--types", "Recon:EC2/PortProbeUnprotectedPort, Backdoor:EC2/C&CActivity.B!DNS"], deps());
        expect(code).to.equal(EXIT_OK);
        expect(sts.commandCalls(AssumeRoleCommand).map(c => c.args[0].input.RoleArn)).to.deep.equal(["arn:aws:iam::222222222222:role/guardpost-deployer"]);
        const calls = guardDuty.commandCalls(CreateSampleFindingsCommand);
        expect(calls).to.have.length(1);
        expect(await (calls[0].thisValue as GuardDutyClient).config.region()).to.equal("us-east-1");
        expect(calls[0].args[0].input.FindingTypes).to.deep.equal(["Recon:EC2/PortProbeUnprotectedPort", "Backdoor:EC2/C&CActivity.B!DNS"]);
    });

    it("reports a target without a detector as failed, keeps going, and exits 1", async () => {
        guardDuty.on(ListDetectorsCommand).callsFake(async (_input, getClient) => {
            const region = await (getClient() as GuardDutyClient).config.region();
            return { DetectorIds: region === "us-east-1" ? [] : ["d-abc123"] };
        });
        const code = await runSampleFindings(["--stack", "dev"], deps());
        expect(code).to.equal(EXIT_FAILED);
        expect(guardDuty.commandCalls(CreateSampleFindingsCommand)).to.have.length(2);
        expect(err.join("\n")).to.contain("no GuardDuty detector in sandbox (222222222222) us-east-1");
        expect(out.join("\n")).to.contain("2 succeeded, 1 failed");
    });

    it("reports an AccessDenied from AssumeRole with the account it failed for", async () => {
        const denied = Object.assign(new Error("User is not authorized to perform: sts:AssumeRole"), { name: "AccessDenied" });
        sts.on(AssumeRoleCommand, { RoleArn: "arn:aws:iam::111111111111:role/guardpost-deployer" }).rejects(denied);
        const code = await runSampleFindings(["--stack", "dev"], deps());
        expect(code).to.equal(EXIT_FAILED);
        expect(err.join("\n")).to.contain("security (111111111111) ap-northeast-2: AssumeRoleRefused: STS refused to let this identity assume arn:aws:iam::111111111111:role/guardpost-deployer as session 'guardpost-sample-findings': AccessDenied: User is not authorized");
        expect(err.join("\n")).to.contain('"sts:RoleSessionName": "guardpost-*"');
        expect(guardDuty.commandCalls(CreateSampleFindingsCommand)).to.have.length(2);
    });

    it("exits 2 with the choices when a filter matches nothing, before calling AWS", async () => {
        expect(await runSampleFindings(["--stack", "dev", "--account", "prod"], deps())).to.equal(EXIT_USAGE);
        expect(err[0]).to.contain("no account named 'prod' in this stack; accounts: security, sandbox");
        err = [];
        expect(await runSampleFindings(["--stack", "dev", "--account", "security", "--region", "us-east-1"], deps())).to.equal(EXIT_USAGE);
        expect(err[0]).to.contain("region 'us-east-1' is not configured for account 'security'; regions: ap-northeast-2");
        expect(sts.calls()).to.be.empty;
    });

    it("exits 2 when the stack cannot be loaded, with the loader's message", async () => {
        const code = await runSampleFindings(["--stack", "dev"], { ...deps(), loadTargets: () => { throw new Error("no stack file Pulumi.dev.yaml"); } });
        expect(code).to.equal(EXIT_USAGE);
        expect(err[0]).to.equal("sample-findings: no stack file Pulumi.dev.yaml");
    });

    it("prints usage and exits 0 for --help", async () => {
        expect(await runSampleFindings(["--help"], deps())).to.equal(EXIT_OK);
        expect(out[0]).to.match(/^usage: npm run sample-findings -- --stack <name>/);
    });
});

describe("sample findings arguments", () => {
    it("requires --stack and a value for each flag", () => {
        expect(() => parseArgs([])).to.throw("--stack is required");
        expect(() => parseArgs(["--stack"])).to.throw("--stack needs a value");
        expect(() => parseArgs(["--stack", "dev", "--region", "--account", "x"])).to.throw("--region needs a value");
    });

    it("rejects unknown arguments and malformed finding types", () => {
        expect(() => parseArgs(["--stack", "dev", "--all"])).to.throw("unknown argument '--all'");
        expect(() => parseArgs(["--stack", "dev", "--types", "PortProbe"])).to.throw(/--types wants GuardDuty finding types/);
        expect(() => parseArgs(["--stack", "dev", "--types="])).to.throw(/--types wants GuardDuty finding types/);
    });

    it("selects every target without filters, and by region across accounts", () => {
        expect(selectTargets(TARGETS, {})).to.have.length(3);
        expect(selectTargets(TARGETS, { region: "ap-northeast-2" }).map(t => t.accountName)).to.deep.equal(["security", "sandbox"]);
    });
});
