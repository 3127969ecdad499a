import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError, missingSecrets, parseConfig, reservedConcurrencyIn, UNRESERVED_CONCURRENCY_FLOOR } from "../config";
import { runPlan } from "../plan/plan";
import { runMocked } from "../plan/engine";
import { readStackFile } from "../stackFile";

const ROOT = path.join(__dirname, "..");
const STACKS = fs.readdirSync(ROOT).filter((f) => /^Pulumi\.[\w.-]+\.yaml$/.test(f)).map((f) => f.slice(7, -5));

describe("config the Pulumi CLI accepts", function () {
    this.timeout(120_000);

    it("every key Pulumi.yaml declares without a default is set in every stack file (the CLI requires it, pulumi/pulumi#21797)", () => {
        const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, any> };
        expect(STACKS).to.include.members(["dev", "prod"]);
        for (const stack of STACKS) {
            const file = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
            for (const [key, decl] of Object.entries(project.config)) {
                const hasDefault = decl && typeof decl === "object" && ("default" in decl || "value" in decl);
                if (!hasDefault) expect(file.config, `${key} is required by Pulumi.yaml but Pulumi.${stack}.yaml does not set it`).to.have.property(key);
            }
        }
        expect(project.config, "a secret only some stacks need must not be declared").to.not.have.property("guardpost:telegramBotToken");
    });

    it("requires the bot token only where Telegram is configured, naming the command that sets it", () => {
        const raw = readStackFile("dev").config;
        const cfg = parseConfig(raw);
        const err = missingSecrets(raw, cfg, "dev");
        expect(err).to.be.instanceOf(ConfigError);
        expect(err!.message).to.contain("guardpost:telegramBotToken: is not set, but alerts.telegramChatId is set");
        expect(err!.message).to.contain("pulumi config set --secret guardpost:telegramBotToken <value> --stack dev");
        expect(missingSecrets({ ...raw, "guardpost:telegramBotToken": "123:abc" }, cfg, "dev")).to.equal(undefined);

        const emailOnly = { ...raw, "guardpost:alerts": JSON.stringify({ emails: ["secops@example.com"] }) };
        expect(missingSecrets(emailOnly, parseConfig(emailOnly), "dev")).to.equal(undefined);
    });

    it("the program itself stops before any resource when the token is missing", async () => {
        const { config, secretKeys } = readStackFile("dev");
        let error: Error | undefined;
        try {
            await runMocked(() => {
                delete require.cache[require.resolve("../index")];
                return require("../index");
            }, { stack: "dev", config, secretKeys, requireExplicitProviders: true });
        } catch (e) {
            error = e as Error;
        }
        expect(error?.message).to.contain("pulumi config set --secret guardpost:telegramBotToken <value> --stack dev");
    });
});

describe("reserved concurrency for the shipper and Telegram", function () {
    this.timeout(300_000);
    const dev = () => readStackFile("dev").config;
    const withAccounts = (raw: Record<string, string>, edit: (a: any[]) => void): Record<string, string> => {
        const accounts = JSON.parse(raw["guardpost:accounts"]);
        edit(accounts);
        return { ...raw, "guardpost:accounts": JSON.stringify(accounts) };
    };
    const problems = (raw: Record<string, string>): string => {
        try { parseConfig(raw); return ""; } catch (e) { return (e as Error).message; }
    };

    it("reserves 10 for the shipper (its ceiling) and 5 for Telegram in the dev plan", async () => {
        const report = await runPlan("dev");
        const fns = report.resources.filter((r) => r.type === "aws:lambda/function:Function");
        const byTag = (tag: string) => fns.filter((f) => f.inputs.tags["guardpost:function"] === tag);
        expect(byTag("cloudtrail-shipper").length).to.be.greaterThan(0);
        for (const f of byTag("cloudtrail-shipper")) expect(f.inputs.reservedConcurrentExecutions, f.name).to.equal(10);
        expect(byTag("telegram-alert").length).to.be.greaterThan(0);
        for (const f of byTag("telegram-alert")) expect(f.inputs.reservedConcurrentExecutions, f.name).to.equal(5);
        for (const f of byTag("vpcflow-transform")) expect(f.inputs.reservedConcurrentExecutions, "transforms keep the shared pool").to.equal(undefined);
    });

    it("refuses reservations that would leave fewer than 100 unreserved executions in a region, naming the quota and the fix", () => {
        const cfg = parseConfig(dev());
        const sandbox = cfg.accounts.find((a) => a.name === "sandbox")!;
        expect(reservedConcurrencyIn(cfg, sandbox, "ap-northeast-2"), "trail region: shipper + Telegram").to.equal(15);
        expect(reservedConcurrencyIn(cfg, sandbox, "us-east-1"), "other regions: Telegram only").to.equal(5);

        const exact = withAccounts(dev(), (a) => { a.find((x) => x.name === "sandbox").lambdaConcurrencyQuota = UNRESERVED_CONCURRENCY_FLOOR + 15; });
        expect(problems(exact)).to.equal("");
        const tooSmall = withAccounts(dev(), (a) => { a.find((x) => x.name === "sandbox").lambdaConcurrencyQuota = 50; });
        const message = problems(tooSmall);
        expect(message).to.contain("guardpost:accounts[sandbox].lambdaConcurrencyQuota: guardpost reserves 15 concurrent executions in ap-northeast-2");
        expect(message).to.contain("above the 100 Lambda keeps unreserved");
        expect(message).to.contain("L-B99A9384");
        // A new account with a small quota can still deploy without reservations.
        const none = { ...tooSmall, "guardpost:logs": JSON.stringify({ ...JSON.parse(tooSmall["guardpost:logs"]), shipperReservedConcurrency: 0 }),
            "guardpost:alerts": JSON.stringify({ ...JSON.parse(tooSmall["guardpost:alerts"]), telegramReservedConcurrency: 0 }) };
        expect(problems(none)).to.equal("");
    });
});

describe("log sources outside the SIEM's home region", () => {
    it("are accepted (the log relay ships them), and the relay's reservation counts against the region's Lambda quota", () => {
        const raw = readStackFile("dev").config;
        const accounts = JSON.parse(raw["guardpost:accounts"]);
        const sandbox = accounts.find((a: any) => a.name === "sandbox");
        sandbox.logs.vpcFlowLogs["us-east-1"] = ["vpc-0fedcba9876543210"];
        sandbox.logs.wafWebAclArns.push("arn:aws:wafv2:us-east-1:222222222222:global/webacl/cdn/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0");
        const cfg = parseConfig({ ...raw, "guardpost:accounts": JSON.stringify(accounts) });
        const account = cfg.accounts.find((a) => a.name === "sandbox")!;
        expect(reservedConcurrencyIn(cfg, account, "us-east-1"), "us-east-1 relays: relay + Telegram").to.equal(5 + 5);
        expect(reservedConcurrencyIn(cfg, account, "ap-northeast-2"), "the home region ships through Firehose: shipper + Telegram").to.equal(15);
        // A quota that holds Telegram alone but not the relay beside it is refused, naming the relay's key.
        sandbox.lambdaConcurrencyQuota = UNRESERVED_CONCURRENCY_FLOOR + 15;
        let message = "";
        try { parseConfig({ ...raw, "guardpost:accounts": JSON.stringify(accounts), "guardpost:logs": JSON.stringify({ ...JSON.parse(raw["guardpost:logs"]), relayReservedConcurrency: 11 }) }); } catch (e) { message = (e as Error).message; }
        expect(message).to.contain("guardpost reserves 16 concurrent executions in us-east-1 (logs.shipperReservedConcurrency, logs.relayReservedConcurrency where it relays");
        let bad = "";
        try { parseConfig({ ...raw, "guardpost:logs": JSON.stringify({ ...JSON.parse(raw["guardpost:logs"]), relayReservedConcurrency: -1 }) }); } catch (e) { bad = (e as Error).message; }
        expect(bad).to.contain("guardpost:logs.relayReservedConcurrency");
        expect(bad).to.contain("log relay");
    });

    it("both stack files pass, so they are deployable as written", () => {
        for (const stack of ["dev", "prod"]) expect(() => parseConfig(readStackFile(stack).config), stack).to.not.throw();
    });
});
