import { expect } from "chai";
import * as path from "path";
import { ConfigError, parseConfig } from "../config";
import * as fs from "fs";
import * as os from "os";
import { coreSiem, estateAccounts, siemDomainName, STACK_DIR_ENV, WRITER_ROLES_OUTPUT } from "../estate";
import { mergeEstate, type EstateAccount } from "../model/estateAccounts";
import { MockedResource, runMocked } from "../plan/engine";
import { OFFLINE_PLAN_ENV } from "../wiring";
import { SplitStack, SYNTHETIC_ARCHIVE, SYNTHETIC_SIEM_ENDPOINT, syntheticConfig, syntheticSplit, writeStackFiles } from "../bench/scaleWorker";

const INDEX = path.join(__dirname, "..", "index");

async function program(stack: string, config: Record<string, string>, stackOutputs?: Record<string, Record<string, unknown>>) {
    const previous = process.env[OFFLINE_PLAN_ENV];
    process.env[OFFLINE_PLAN_ENV] = "1";
    try {
        return await runMocked(() => {
            delete require.cache[require.resolve(INDEX)];
            return require(INDEX);
        }, { stack, config, stackOutputs, secretKeys: ["guardpost:telegramBotToken"], requireExplicitProviders: true });
    } finally {
        if (previous === undefined) delete process.env[OFFLINE_PLAN_ENV];
        else process.env[OFFLINE_PLAN_ENV] = previous;
    }
}

/** A resource's identity across stacks: its URN without the stack (names are built from account and region). */
const identity = (r: MockedResource) => r.urn.replace(/^urn:pulumi:[^:]+::/, "");
const problems = (config: Record<string, string>) => {
    try { parseConfig(config); return ""; } catch (e) { return (e as ConfigError).message; }
};

/** Runs the tests of a block with the stacks' files in a folder of their own, where the core reads them (estate.ts). */
function withStackFiles(stacks: () => SplitStack[]) {
    let previous: string | undefined;
    before(() => {
        previous = process.env[STACK_DIR_ENV];
        process.env[STACK_DIR_ENV] = writeStackFiles(stacks());
    });
    after(() => {
        fs.rmSync(process.env[STACK_DIR_ENV]!, { recursive: true, force: true });
        if (previous === undefined) delete process.env[STACK_DIR_ENV];
        else process.env[STACK_DIR_ENV] = previous;
    });
}

/** Inputs that name accounts, compared across stacks. */
const byIdentity = (run: { resources: MockedResource[] }, pick: (r: MockedResource) => boolean) =>
    // The mock engine numbers ids in creation order, which differs between stacks.
    JSON.parse(JSON.stringify(Object.fromEntries(run.resources.filter(pick).map(r => [identity(r), r.inputs]))).replace(/-id-\d+/g, "-id"));

describe("an estate split over stacks (guardpost:estate)", function () {
    this.timeout(120_000);
    // 5 accounts × 2 regions; stacks of 2 accounts: a core (SIEM, security + 1 workload) and two account stacks.
    const split = syntheticSplit(5, 2, 2);
    withStackFiles(() => split);

    it("validates the split before any resource: parts, what each may deploy, and where the SIEM is", () => {
        const [core, accounts] = split;
        expect(problems(core.config)).to.equal("");
        expect(problems(accounts.config)).to.equal("");
        const withEstate = (estate: object, base = accounts.config) => ({ ...base, "guardpost:estate": JSON.stringify(estate) });
        expect(problems(withEstate({ part: "accounts", deploys: ["workload-3"] }))).to.match(/guardpost:estate.siemEndpoint.*missing.*pulumi stack output siemEndpoint/s);
        expect(problems(withEstate({ part: "accounts", deploys: ["security"], siemEndpoint: SYNTHETIC_SIEM_ENDPOINT }))).to.match(/only workload accounts, not security/);
        expect(problems(withEstate({ part: "accounts", deploys: ["nobody"], siemEndpoint: SYNTHETIC_SIEM_ENDPOINT }))).to.match(/'nobody' is not one of guardpost:accounts/);
        expect(problems(withEstate({ part: "accounts", deploys: ["workload-3"], siemEndpoint: "https://evil.example.com" }))).to.match(/guardpost:estate.siemEndpoint/);
        expect(problems(withEstate({ part: "core", deploys: ["workload-1"] }, core.config))).to.match(/core stack must deploy security/);
        expect(problems(withEstate({ part: "all", accountStacks: ["x"] }, core.config))).to.match(/accountStacks.*only read by the core stack/);
        expect(parseConfig(syntheticConfig(2, 1)).estate).to.deep.include({ part: "all", deploys: ["security", "workload-1"], accountStacks: [] });
        // An accounts stack's Config recorders deliver to the core's archive: without its outputs the stack is refused.
        const noArchive = { part: "accounts", deploys: ["workload-3"], siemEndpoint: SYNTHETIC_SIEM_ENDPOINT };
        expect(problems(withEstate(noArchive))).to.match(/guardpost:estate.archiveBucket: is missing for an accounts stack with AWS Config on.*pulumi stack output archiveBucket/s);
        expect(problems(withEstate({ ...noArchive, archiveBucket: "b", archiveKeyArn: "k" }))).to.match(/guardpost:estate.archiveBucket.*guardpost:estate.archiveKeyArn/s);
    });

    it("has an accounts stack's Config recorders deliver to the core's archive named in its config", async () => {
        const [core, accounts] = split;
        const coreRun = await program(core.name, core.config, core.stackOutputs);
        expect(coreRun.outputs?.archiveBucket).to.equal(SYNTHETIC_ARCHIVE.bucketName);
        const run = await program(accounts.name, accounts.config);
        const channels = run.resources.filter(r => r.type === "aws:cfg/deliveryChannel:DeliveryChannel");
        expect(channels.length).to.be.greaterThan(0);
        const estate = JSON.parse(accounts.config["guardpost:estate"]);
        for (const c of channels) expect(c.inputs).to.include({ s3BucketName: estate.archiveBucket, s3KmsKeyArn: estate.archiveKeyArn });
        expect(run.resources.filter(r => r.type === "aws:s3/bucket:Bucket" && r.name.startsWith("archive-"))).to.deep.equal([]);
    });

    it("deploys every resource of the one-stack estate exactly once across the stacks, one provider per account per stack", async () => {
        const whole = await program("bench", syntheticConfig(5, 2));
        const parts = [];
        for (const st of split) parts.push({ st, run: await program(st.name, st.config, st.stackOutputs) });
        const seen = new Map<string, string>();
        for (const { st, run } of parts) {
            for (const r of run.resources) {
                if (r.type === "pulumi:providers:aws" || r.type === "pulumi:pulumi:StackReference" || r.type === "pulumi:pulumi:Stack") continue;
                expect(seen.has(identity(r)), `${identity(r)} in ${seen.get(identity(r))} and ${st.name}`).to.equal(false);
                seen.set(identity(r), st.name);
            }
            const accounts = JSON.parse(st.config["guardpost:estate"]).deploys as string[];
            expect(run.resources.filter(r => r.type === "pulumi:providers:aws").map(r => r.name).sort()).to.deep.equal(accounts.map(a => `aws-${a}`).sort());
        }
        const expected = whole.resources.filter(r => !["pulumi:providers:aws", "pulumi:pulumi:Stack"].includes(r.type)).map(identity).sort();
        expect([...seen.keys()].sort()).to.deep.equal(expected);
    });

    it("lets the core admit the account stacks' writers through StackReferences, and only the core references another stack", async () => {
        const [core, accounts] = split;
        const run = await program(core.name, core.config, core.stackOutputs);
        const refs = run.resources.filter(r => r.type === "pulumi:pulumi:StackReference").map(r => r.inputs.name).sort();
        expect(refs).to.deep.equal(Object.keys(core.stackOutputs!).sort());
        const policy = JSON.parse(run.resources.find(r => r.type === "aws:opensearch/domainPolicy:DomainPolicy")!.inputs.accessPolicies);
        const writers = policy.Statement.find((s: any) => s.Sid === "LogWriters").Principal.AWS as string[];
        for (const outputs of Object.values(core.stackOutputs!)) {
            for (const arn of outputs[WRITER_ROLES_OUTPUT] as string[]) expect(writers).to.include(arn);
        }
        const own = await program(accounts.name, accounts.config);
        expect(own.resources.filter(r => r.type === "pulumi:pulumi:StackReference")).to.deep.equal([]);
        expect(own.resources.filter(r => r.type.startsWith("aws:opensearch/"))).to.deep.equal([]);
        // What the account stack exports is what the core's reference reads: its writer roles.
        const exported = own.outputs?.[WRITER_ROLES_OUTPUT] as string[];
        expect(exported).to.have.length.greaterThan(0);
        for (const arn of exported) expect(arn).to.match(/^arn:aws:iam::\d{12}:role\//);
    });

    it("points an account stack's pipelines at the core's domain: the configured endpoint and the core domain's own ARN", async () => {
        const [core, accounts] = split;
        const coreRun = await program(core.name, core.config, core.stackOutputs);
        const domain = coreRun.resources.find(r => r.type === "aws:opensearch/domain:Domain")!;
        const expected = coreSiem(parseConfig(accounts.config))!;
        expect(domain.inputs.domainName).to.equal(siemDomainName("bench"));
        expect(expected.domainArn).to.equal(`arn:aws:es:us-east-1:100000000000:domain/${domain.inputs.domainName}`);
        const run = await program(accounts.name, accounts.config);
        const shipper = run.resources.find(r => r.type === "aws:lambda/function:Function" && r.name.includes("shipper"))!;
        expect(shipper.inputs.environment.variables.OPENSEARCH_ENDPOINT).to.equal(`https://${SYNTHETIC_SIEM_ENDPOINT}`);
        expect(JSON.stringify(run.resources.filter(r => r.type === "aws:iam/rolePolicy:RolePolicy").map(r => r.inputs.policy))).to.contain(expected.domainArn);
    });

    it("has the core admit every account stack's accounts before they deploy: archive policies and Config aggregator as in the one-stack estate", async () => {
        const [core] = split;
        const whole = await program("bench", syntheticConfig(5, 2));
        const coreRun = await program(core.name, core.config, core.stackOutputs);
        const namesAccounts = (r: MockedResource) =>
            r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.name.startsWith("archive-") ||
            r.type === "aws:kms/key:Key" && r.name.startsWith("archive-") ||
            r.type === "aws:cfg/configurationAggregator:ConfigurationAggregator";
        const inCore = byIdentity(coreRun, namesAccounts);
        expect(Object.keys(inCore)).to.have.length.greaterThan(2);
        expect(inCore).to.deep.equal(byIdentity(whole, namesAccounts));
        // The last account stack's last account is named in the archive bucket policy the core declares.
        const bucketPolicy = (Object.entries(inCore).find(([id]) => id.includes("BucketPolicy"))![1] as any).policy as string;
        expect(bucketPolicy).to.contain("100000000004");
    });

    it("refuses a core whose account stacks' files are missing, deploy an account twice, or belong to another estate", () => {
        const [core, first] = split;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-stacks-"));
        try {
            const cfg = parseConfig(core.config);
            expect(() => estateAccounts(cfg, dir)).to.throw(ConfigError, /guardpost:estate.accountStacks.*cannot read account stack bench-accounts-1.*Pulumi\.<stack>\.yaml/s);
            const twice = { ...first, config: { ...first.config, "guardpost:estate": JSON.stringify({ ...JSON.parse(first.config["guardpost:estate"]), deploys: ["workload-1", "workload-2"] }), "guardpost:accounts": JSON.stringify([...JSON.parse(core.config["guardpost:accounts"]), ...JSON.parse(first.config["guardpost:accounts"]).slice(1)]) } };
            writeStackFiles([twice, split[2]], dir);
            expect(() => estateAccounts(cfg, dir)).to.throw(ConfigError, /workload-1 \(100000000001\) is deployed by both the core stack and bench-accounts-1/);
            writeStackFiles([{ ...first, config: { ...first.config, "guardpost:stage": "other" } }, split[2]], dir);
            expect(() => estateAccounts(cfg, dir)).to.throw(ConfigError, /bench-accounts-1 has stage other, this stack bench.*same stage as the core/s);
            writeStackFiles([first, split[2]], dir);
            expect(estateAccounts(cfg, dir).map(a => a.name)).to.deep.equal(["security", "workload-1", "workload-2", "workload-3", "workload-4"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("an organization estate split over stacks: the core enrolls the account stacks' accounts", function () {
    this.timeout(120_000);
    // Management, security and workload-1 in the core; workload-2 and workload-3 in an account stack; Detective
    // and Security Hub central configuration on; workload-3 keeps its own Security Hub (skip).
    const accounts = [
        { name: "management", id: "200000000000", kind: "management", email: "root@example.com", regions: ["us-east-1", "eu-west-1"] },
        { name: "security", id: "200000000001", kind: "security", email: "sec@example.com", regions: ["us-east-1", "eu-west-1"] },
        { name: "workload-1", id: "200000000002", kind: "workload", email: "w1@example.com", regions: ["us-east-1", "eu-west-1"] },
        { name: "workload-2", id: "200000000003", kind: "workload", email: "w2@example.com", regions: ["us-east-1", "eu-west-1"] },
        { name: "workload-3", id: "200000000004", kind: "workload", email: "w3@example.com", regions: ["us-east-1", "eu-west-1"], services: { securityHub: "skip" } },
    ];
    const base = {
        ...syntheticConfig(1, 1),
        "guardpost:organization": "true",
        "guardpost:detection": JSON.stringify({ detective: true, securityHub: { policyTargets: ["r-ab12"] } }),
    };
    const whole = { ...base, "guardpost:accounts": JSON.stringify(accounts) };
    const stacks: SplitStack[] = [
        {
            name: "org-core", part: "core", placements: 6,
            config: { ...base, "guardpost:accounts": JSON.stringify(accounts.slice(0, 3)), "guardpost:estate": JSON.stringify({ part: "core", deploys: ["management", "security", "workload-1"], accountStacks: ["org-accounts-1"] }) },
            stackOutputs: { "org-accounts-1": { [WRITER_ROLES_OUTPUT]: [] } },
        },
        {
            name: "org-accounts-1", part: "accounts", placements: 4,
            config: {
                ...base, "guardpost:accounts": JSON.stringify([accounts[0], accounts[1], ...accounts.slice(3)]),
                "guardpost:estate": JSON.stringify({ part: "accounts", deploys: ["workload-2", "workload-3"], siemEndpoint: SYNTHETIC_SIEM_ENDPOINT, archiveBucket: SYNTHETIC_ARCHIVE.bucketName, archiveKeyArn: SYNTHETIC_ARCHIVE.kmsKeyArn("200000000001", "us-east-1") }),
            },
        },
    ];
    withStackFiles(() => stacks);

    it("declares the Detective members, Security Hub associations and archive policies for them, as the one-stack estate does", async () => {
        expect(problems(whole)).to.equal("");
        const one = await program("org", whole);
        const core = await program(stacks[0].name, stacks[0].config, stacks[0].stackOutputs);
        const namesAccounts = (r: MockedResource) => [
            "aws:detective/member:Member", "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation",
            "aws:securityhub/findingAggregator:FindingAggregator", "aws:securityhub/member:Member", "aws:guardduty/member:Member",
            "aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key", "aws:cfg/configurationAggregator:ConfigurationAggregator",
        ].includes(r.type) && (!r.type.startsWith("aws:s3/") && !r.type.startsWith("aws:kms/") || r.name.startsWith("archive-"));
        const inCore = byIdentity(core, namesAccounts);
        expect(inCore).to.deep.equal(byIdentity(one, namesAccounts));
        const members = core.resources.filter(r => r.type === "aws:detective/member:Member").map(r => r.inputs.accountId);
        expect(members).to.include.members(["200000000003", "200000000004"]);
        // workload-3 (in the account stack) keeps its own hub: the core marks it self-managed, so the policy on the
        // root does not reach it; workload-2 takes the root's policy.
        const associations = core.resources.filter(r => r.type.startsWith("aws:securityhub/configurationPolicyAssociation")).map(r => r.inputs);
        expect(associations.filter(a => a.targetId === "200000000004").map(a => a.policyId)).to.deep.equal(["SELF_MANAGED_SECURITY_HUB"]);
        expect(associations.map(a => a.targetId)).to.not.include("200000000003");
    });
});

describe("mergeEstate", () => {
    const account = (name: string, id: string): EstateAccount => ({ name, id, kind: "workload", regions: ["us-east-1"], services: {} as EstateAccount["services"] });
    it("replaces the core's reference copy of an account another stack deploys, and refuses one name for two ids", () => {
        const core = { accounts: [account("security", "1"), account("w1", "2")], deploys: ["security"] };
        const merged = mergeEstate(core, [{ stack: "s1", accounts: [{ ...account("w1", "2"), regions: ["eu-west-1"] }] }]);
        expect(merged.map(a => [a.name, a.regions[0]])).to.deep.equal([["security", "us-east-1"], ["w1", "eu-west-1"]]);
        expect(() => mergeEstate(core, [{ stack: "s1", accounts: [account("w1", "3")] }])).to.throw(/the account name w1 is given to both 2 and 3/);
        expect(() => mergeEstate(core, [{ stack: "s1", accounts: [account("w2", "4")] }, { stack: "s2", accounts: [account("w2", "4")] }])).to.throw(/w2 \(4\) is deployed by both s1 and s2/);
    });
});
