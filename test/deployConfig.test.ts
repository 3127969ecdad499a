import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError, missingSecrets, parseConfig } from "../config";
import { runMocked } from "../plan/engine";
import { readStackFile } from "../plan/stackFile";

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
