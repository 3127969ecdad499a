/**
 * `npm run deployer-role -- --stack S --account NAME [--json] [--trust ARN]… [--stackset DIR]`: the deployer
 * role an account needs for this stack — its trust policy and least-privilege permissions, derived from the
 * offline plan, and the permissions boundary every guardpost role carries (scripts/deployerBoundary.ts) — and,
 * with --stackset, CloudFormation templates (one per account kind) that create both.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config";
import { runPlan } from "../plan/plan";
import { deployerRoleFromPlan, splitPolicy, stackSetTemplates } from "./deployerRoleLib";
import { boundaryCreateCommand } from "./deployerBoundary";
import { exitAfterFlush } from "./exitAfterFlush";

interface Args { stack?: string; account?: string; json: boolean; trust: string[]; stackset?: string }

const USAGE = "Usage: npm run deployer-role -- --stack NAME --account NAME [--json] [--trust ARN]... [--stackset DIR]";

export function parseArgs(argv: string[]): Args {
    const a: Args = { json: false, trust: [] };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = () => {
            const v = argv[++i];
            if (!v) throw new Error(`${flag} needs a value. ${USAGE}`);
            return v;
        };
        if (flag === "--stack" || flag === "-s") a.stack = value();
        else if (flag === "--account") a.account = value();
        else if (flag === "--trust") a.trust.push(value());
        else if (flag === "--stackset") a.stackset = value();
        else if (flag === "--json") a.json = true;
        else throw new Error(`unknown argument '${flag}'. ${USAGE}`);
    }
    if (!a.stack) throw new Error(`--stack is required. ${USAGE}`);
    if (!a.account && !a.stackset) throw new Error(`--account (or --stackset) is required. ${USAGE}`);
    for (const t of a.trust) if (!/^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user|root)/.test(t)) throw new Error(`--trust '${t}' is not an IAM principal ARN`);
    return a;
}

export async function main(argv: string[], write: (s: string) => void, writeErr: (s: string) => void, stackDir?: string): Promise<number> {
    let args: Args;
    try { args = parseArgs(argv); } catch (e) { writeErr((e as Error).message); return 2; }
    try {
        const report = await runPlan(args.stack!, stackDir);
        if (args.stackset) {
            fs.mkdirSync(args.stackset, { recursive: true });
            for (const [file, template] of Object.entries(stackSetTemplates(report, args.trust))) {
                fs.writeFileSync(path.join(args.stackset, file), JSON.stringify(template, null, 2) + "\n");
                writeErr(`wrote ${path.join(args.stackset, file)}`);
            }
        }
        if (!args.account) return 0;
        const role = deployerRoleFromPlan(report, args.account, args.trust);
        if (args.json) {
            write(JSON.stringify({ trustPolicy: role.trustPolicy, permissionsPolicy: role.permissionsPolicy, boundaryPolicy: role.boundaryPolicy }, null, 2));
        } else {
            write(`Deployer role for account '${role.account.name}' (${role.account.id}, ${role.account.kind}) in stack ${args.stack}: ${role.account.roleArn}`);
            write(`Resource types it manages (${role.types.length}): ${role.types.join(", ")}`);
            write(`Managed policies needed (IAM's 6,144-character limit): ${splitPolicy(role.permissionsPolicy).length}`);
            write(`Trust policy:\n${JSON.stringify(role.trustPolicy, null, 2)}`);
            write(`Permissions policy:\n${JSON.stringify(role.permissionsPolicy, null, 2)}`);
            write(`Permissions boundary of every guardpost role (create it first: ${boundaryCreateCommand()}):\n${JSON.stringify(role.boundaryPolicy, null, 2)}`);
        }
        return 0;
    } catch (e) {
        if (e instanceof ConfigError) { writeErr(`config: INVALID (Pulumi.${args.stack}.yaml)\n${e.message}`); return 1; }
        writeErr(`deployer-role failed: ${(e as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), (s) => process.stdout.write(s + "\n"), (s) => process.stderr.write(s + "\n")).then(exitAfterFlush);
}
