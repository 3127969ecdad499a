import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

/** Secrets a real deploy must have; the offline plan shows placeholders for them. */
export const DEPLOY_TIME_SECRETS = ["guardpost:telegramBotToken"];

export interface StackFile {
    stack: string;
    file: string;
    /** Config as the Pulumi runtime hands it to a program: full keys, string values, objects as JSON. */
    config: Record<string, string>;
    secretKeys: string[];
    /** Providers whose defaults the stack disables (`pulumi:disable-default-providers`). */
    disabledDefaultProviders: string[];
}

export function stackFilePath(stack: string, dir = __dirname): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** Read `Pulumi.<stack>.yaml` the way the Pulumi CLI would hand it to the program. */
export function readStackFile(stack: string, dir?: string): StackFile {
    if (!/^[\w.-]+$/.test(stack)) throw new Error(`invalid stack name '${stack}'`);
    const file = stackFilePath(stack, dir);
    if (!fs.existsSync(file)) {
        const known = fs.readdirSync(path.dirname(file)).filter(f => /^Pulumi\.[\w.-]+\.yaml$/.test(f)).map(f => f.slice(7, -5));
        throw new Error(`no stack file ${path.basename(file)}; known stacks: ${known.join(", ") || "none"}`);
    }
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    let disabledDefaultProviders: string[] = [];
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (key === "pulumi:disable-default-providers") {
            disabledDefaultProviders = Array.isArray(value) ? value.map(String) : [];
            continue;
        }
        if (value && typeof value === "object" && "secure" in (value as object)) {
            // Encrypted values need the stack's secrets provider, which only the CLI has.
            secretKeys.push(key);
            config[key] = `<secret ${key}>`;
            continue;
        }
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { stack, file, config, secretKeys, disabledDefaultProviders };
}
