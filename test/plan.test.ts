import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../config";
import { runPlan, type PlanNode, type PlanReport } from "../plan/plan";
import { isGlobalType } from "../plan/engine";
import { checkPolicies } from "../plan/policyCheck";
import { readStackFile } from "../stackFile";
import { main } from "../scripts/plan";
import { currentDiagram, END, README, START } from "../scripts/readmeDiagram";

async function runCli(args: string[], dir?: string): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main(args, s => { out += s + "\n"; }, s => { err += s + "\n"; }, dir);
    return { code, out, err };
}

const plans: Record<string, PlanReport> = {};
async function plan(stack: string): Promise<PlanReport> {
    plans[stack] ??= await runPlan(stack);
    return plans[stack];
}

describe("the program under the mock engine", function () {
    this.timeout(300_000);

    for (const stack of ["dev", "prod"]) {
        describe(`stack ${stack}`, () => {
            it("places every resource in a configured account, each regional one by its own region input in its component's region", async () => {
                const report = await plan(stack);
                const cfg = parseConfig(readStackFile(stack).config);
                // The region each top-level component was placed in by the plan (account × region of config).
                const regionOf = new Map<string, string>();
                const mark = (node: PlanNode, region: string) => { regionOf.set(node.urn, region); node.children.forEach(c => mark(c, region)); };
                for (const a of report.accounts) for (const r of a.regions) for (const c of r.components) mark(c, r.region);
                const custom = report.resources.filter(r => r.custom && !r.type.startsWith("pulumi:"));
                expect(custom.length).to.be.greaterThan(50);
                let global = 0;
                const accountOf = new Map<string, string>();
                for (const a of report.accounts) for (const r of a.regions) for (const c of r.components) accountOf.set(c.urn, a.id);
                const topOf = (urn: string): string => { const r = report.resources.find(x => x.urn === urn)!; return accountOf.has(urn) || !r.parent ? urn : topOf(r.parent); };
                for (const r of custom) {
                    const what = `${r.type} ${r.name}`;
                    // The OpenSearch dynamic resources run in the deploying process (no AWS provider): they
                    // carry the domain's region for SigV4 instead, checked below like every other.
                    if (r.type.startsWith("aws:")) expect(r.provider, what).to.not.equal(undefined);
                    const account = cfg.accounts.find(a => a.id === (r.provider?.account ?? accountOf.get(topOf(r.urn))));
                    expect(account, what).to.not.equal(undefined);
                    const configured = regionOf.get(r.urn);
                    expect(configured, what).to.be.a("string");
                    expect(account!.regions, what).to.include(configured);
                    if (isGlobalType(r.type)) {
                        global++;
                        expect(r.inputs.region, `${what} is global and takes no region`).to.equal(undefined);
                        continue;
                    }
                    // Explicit, never inherited from the account's provider, which serves all its regions.
                    expect(r.inputs.region, what).to.equal(configured);
                    expect(r.region, what).to.equal(configured);
                }
                expect(global, "IAM roles and policies are the global resources").to.be.greaterThan(0);
            });

            it("passes every invoke its region explicitly, through a configured account's provider in one of its regions", async () => {
                const report = await plan(stack);
                const cfg = parseConfig(readStackFile(stack).config);
                expect(report.invokes.length, "the SIEM reads its user pool's app clients").to.be.greaterThan(0);
                for (const i of report.invokes) {
                    const account = cfg.accounts.find(a => a.id === i.provider?.account);
                    expect(account, `${i.token}: provider`).to.not.equal(undefined);
                    expect(account!.regions, `${i.token}: region input`).to.include(i.inputs.region);
                }
            });

            it("creates exactly one provider per account, assuming that account's deployer role", async () => {
                const report = await plan(stack);
                const cfg = parseConfig(readStackFile(stack).config);
                const providers = report.resources.filter(r => r.type === "pulumi:providers:aws");
                expect(providers).to.have.length(cfg.accounts.length);
                expect(report.totals.providers).to.equal(cfg.accounts.length);
                for (const account of cfg.accounts) {
                    const p = providers.filter(x => x.provider?.account === account.id);
                    expect(p, account.name).to.have.length(1);
                    expect(p[0].provider!.region).to.equal(account.regions[0]);
                    expect(JSON.stringify(p[0].inputs.assumeRoles)).to.contain(account.roleArn);
                    expect(JSON.stringify(p[0].inputs.defaultTags)).to.contain("guardpost:account");
                }
            });

            it("passes every mandatory policy", async () => {
                expect(checkPolicies((await plan(stack)).resources)).to.deep.equal([]);
            });

            it("keeps the bot token a secret: never a plain input, never in a Lambda environment", async () => {
                const report = await plan(stack);
                const placeholder = "<placeholder for guardpost:telegramBotToken>";
                for (const r of report.resources) {
                    const text = JSON.stringify(r.inputs);
                    if (!text.includes(placeholder)) continue;
                    expect(r.type, `${r.type} ${r.name}`).to.equal("aws:ssm/parameter:Parameter");
                    expect(r.secretInputs).to.include("value");
                }
                for (const fn of report.resources.filter(r => r.type === "aws:lambda/function:Function")) {
                    expect(JSON.stringify(fn.inputs.environment ?? {})).to.not.contain(placeholder);
                }
            });
        });
    }

    it("dev is standalone: every account × region declares its own detector", async () => {
        const report = await plan("dev");
        const cfg = parseConfig(readStackFile("dev").config);
        const detectors = report.resources.filter(r => r.type === "aws:guardduty/detector:Detector");
        const placements = cfg.accounts.flatMap(a => a.regions.map(r => `${a.id}/${r}`));
        expect(detectors.map(d => `${d.provider!.account}/${d.region}`)).to.have.members(placements);
        for (const d of detectors) {
            expect(d.inputs.findingPublishingFrequency).to.equal("FIFTEEN_MINUTES");
            const features = report.resources.filter(r => r.type === "aws:guardduty/detectorFeature:DetectorFeature" && r.propertyDependencies.detectorId?.includes(d.urn));
            expect(features.map(f => f.inputs.name)).to.include.members(["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS"]);
            for (const f of features) expect(f.provider).to.deep.equal(d.provider);
        }
        expect(report.resources.filter(r => r.type === "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount")).to.have.length(0);
    });

    it("prod is an organization: no member detectors, delegation from management in each admin region", async () => {
        const report = await plan("prod");
        const cfg = parseConfig(readStackFile("prod").config);
        const detectors = report.resources.filter(r => r.type === "aws:guardduty/detector:Detector");
        // AWS creates member detectors under auto-enable; declaring them fails with "already exists". The
        // management account is not auto-enrolled, so it declares its own.
        const expected = [cfg.securityAccount, cfg.managementAccount!].flatMap(a => a.regions.map(r => `${a.id}/${r}`));
        expect(detectors.map(d => `${d.provider!.account}/${d.region}`)).to.have.members(expected);
        const delegations = report.resources.filter(r => r.type === "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount");
        expect(delegations.map(d => d.region)).to.have.members(cfg.securityAccount.regions);
        for (const d of delegations) {
            expect(d.provider!.account).to.equal(cfg.managementAccount!.id);
            expect(d.inputs.adminAccountId).to.equal(cfg.securityAccount.id);
        }
        const orgConfigs = report.resources.filter(r => r.type === "aws:guardduty/organizationConfiguration:OrganizationConfiguration");
        expect(orgConfigs).to.have.length(cfg.securityAccount.regions.length);
        for (const o of orgConfigs) expect(o.inputs.autoEnableOrganizationMembers).to.equal("ALL");
    });

    it("declares exactly one SIEM domain, in the security account's home region", async () => {
        for (const stack of ["dev", "prod"]) {
            const report = await plan(stack);
            const cfg = parseConfig(readStackFile(stack).config);
            const domains = report.resources.filter(r => r.type === "aws:opensearch/domain:Domain");
            expect(domains, stack).to.have.length(1);
            expect(domains[0].provider).to.include({ account: cfg.securityAccount.id });
        expect(domains[0].region).to.equal(cfg.homeRegion);
        }
    });
});

describe("npm run plan", function () {
    this.timeout(300_000);

    it("prints the whole prod plan into a pipe, the config verdict last (the process waits for stdout to flush)", () => {
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "scripts", "plan.ts"), "--stack", "prod"],
            { cwd: path.join(__dirname, ".."), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stdout.length).to.be.greaterThan(65_536);
        expect(run.stdout.trimEnd().split("\n").pop()).to.equal("config: valid (Pulumi.prod.yaml)");
    });

    it("prints the tree account → region → component → resources, totals, policy result and config verdict", async () => {
        const { code, out } = await runCli(["--stack", "dev"]);
        expect(code).to.equal(0);
        expect(out).to.contain("Offline plan, computed by Pulumi's mock engine: no AWS credentials used, no cloud calls made, nothing deployed.");
        expect(out).to.match(/^account security \(111111111111, security\) — \d+ resources$/m);
        expect(out).to.match(/^ {2}ap-northeast-2 — \d+ resources$/m);
        expect(out).to.match(/^ {6}DetectionBaseline security-ap-northeast-2 \(\d+ resources\)$/m);
        expect(out).to.match(/^ {8}aws:guardduty\/detector:Detector {2}security-ap-northeast-2-detector$/m);
        expect(out).to.match(/^totals: \d+ resources in \d+ components through 2 providers$/m);
        expect(out).to.contain("policy: all mandatory rules pass");
        expect(out).to.contain("config: valid (Pulumi.dev.yaml)");
        expect(out).to.contain("warning: guardpost:telegramBotToken is not set; the plan uses a placeholder");
    });

    it("--json writes the same plan as data, with totals that add up", async () => {
        const { code, out } = await runCli(["--stack", "prod", "--json"]);
        expect(code).to.equal(0);
        const data = JSON.parse(out);
        expect(data.offline).to.equal(true);
        expect(data.configValid).to.equal(true);
        expect(data.accounts.map((a: any) => a.name)).to.deep.equal(["management", "security", "payments", "storefront", "data"]);
        const sum = data.accounts.reduce((n: number, a: any) => n + a.resourceCount, 0);
        expect(sum).to.equal(data.totals.resources);
        expect(data.policy.violations).to.deep.equal([]);
    });

    it("exits 1 with the validation message, before planning anything, on invalid config", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-"));
        const bad = fs.readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml"), "utf8").replace('id: "111111111111"', 'id: "1111"');
        fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), bad);
        let caught: Error | undefined;
        try { await runPlan("broken", dir); } catch (e) { caught = e as Error; }
        expect(caught?.name).to.equal("ConfigError");
        expect(caught?.message).to.contain("guardpost:accounts[security].id");
    });

    it("exits 3 and lists the violation when a mandatory policy fails", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-"));
        const weak = fs.readFileSync(path.join(__dirname, "..", "Pulumi.dev.yaml"), "utf8").replace("findingPublishingFrequency: FIFTEEN_MINUTES", "findingPublishingFrequency: SIX_HOURS");
        expect(weak).to.contain("SIX_HOURS");
        fs.writeFileSync(path.join(dir, "Pulumi.weak.yaml"), weak);
        const { code, out } = await runCli(["--stack", "weak"], dir);
        expect(code).to.equal(3);
        expect(out).to.match(/policy: 3 mandatory violations/);
        expect(out).to.contain("[guardduty-detector-fifteen-minutes]").and.to.contain("set findingPublishingFrequency: FIFTEEN_MINUTES");
    });

    it("exits 1 naming the known stacks for an unknown one, and 2 on an unknown flag", async () => {
        const missing = await runCli(["--stack", "staging"]);
        expect(missing.code).to.equal(1);
        expect(missing.err).to.contain("known stacks: dev, prod");
        const flag = await runCli(["--yaml"]);
        expect(flag.code).to.equal(2);
        expect(flag.err).to.contain("unknown argument '--yaml'");
    });

    it("--mermaid prints a flowchart that the real Mermaid parser accepts", async () => {
        const { code, out } = await runCli(["--stack", "prod", "--mermaid"]);
        expect(code).to.equal(0);
        expect(out.startsWith("flowchart LR\n")).to.equal(true);
        expect(out).to.contain("DetectionBaseline").and.to.contain("SiemDomain").and.to.contain("--> telegram");
        const parsed = spawnSync(process.execPath, [path.join(__dirname, "support", "mermaidParse.mjs")], { input: out, encoding: "utf8" });
        expect(parsed.stdout.trim(), parsed.stdout + parsed.stderr).to.equal('{"diagramType":"flowchart-v2"}');
        const broken = spawnSync(process.execPath, [path.join(__dirname, "support", "mermaidParse.mjs")], { input: out.replace("end\n", "end end [\n"), encoding: "utf8" });
        expect(broken.status).to.equal(1);
    });
});

describe("README", function () {
    this.timeout(120_000);

    it("embeds the prod stack diagram exactly as the plan renders it now", async () => {
        const readme = fs.readFileSync(README, "utf8");
        const embedded = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END));
        expect(embedded, "run `npm run docs:diagram`").to.equal(`\n\`\`\`mermaid\n${await currentDiagram()}\`\`\`\n`);
    });
});
