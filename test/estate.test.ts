import { expect } from "chai";
import * as path from "path";
import { ConfigError, parseConfig } from "../config";
import { coreSiem, siemDomainName, WRITER_ROLES_OUTPUT } from "../estate";
import { MockedResource, runMocked } from "../plan/engine";
import { OFFLINE_PLAN_ENV } from "../wiring";
import { SYNTHETIC_ARCHIVE, SYNTHETIC_SIEM_ENDPOINT, syntheticConfig, syntheticSplit } from "../bench/scaleWorker";

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

describe("an estate split over stacks (guardpost:estate)", function () {
    this.timeout(120_000);
    // 5 accounts × 2 regions; stacks of 2 accounts: a core (SIEM, security + 1 workload) and two account stacks.
    const split = syntheticSplit(5, 2, 2);

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
});
