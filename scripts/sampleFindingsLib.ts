/**
 * `npm run sample-findings`: ask GuardDuty for sample findings in every selected account × region, so the
 * whole alert path (EventBridge → Lambda → Telegram/e-mail, SIEM) can be tested end to end. The testable
 * logic lives here; `sampleFindings.ts` only loads the stack and calls `runSampleFindings`.
 */
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateSampleFindingsCommand, GuardDutyClient, ListDetectorsCommand } from "@aws-sdk/client-guardduty";
import { assumeRoleRefused, isCredentialRefusal, SAMPLE_FINDINGS_SESSION } from "../model/sessionName";

/** One place to create sample findings: an account's deployer role in one region. */
export interface SampleTarget {
    accountName: string;
    accountId: string;
    roleArn: string;
    region: string;
}

export interface SampleOptions {
    stack: string;
    account?: string;
    region?: string;
    /** GuardDuty finding types; none means `REPRESENTATIVE_TYPES`; `--all-types` asks GuardDuty for every type. */
    types?: string[];
    /** `--all-types`: one sample of every finding type (hundreds per account × region: an alert storm). */
    allTypes?: boolean;
    help?: boolean;
}

export interface SampleResult {
    target: SampleTarget;
    ok: boolean;
    detectorId?: string;
    error?: string;
}

export interface SampleDeps {
    /** Every account × region of the stack, from its stack file. */
    loadTargets: (stack: string) => SampleTarget[];
    log: (line: string) => void;
    error: (line: string) => void;
    /** For tests and other partitions' endpoints; defaults to the SDK clients. */
    makeSts?: (region: string) => STSClient;
    makeGuardDuty?: (region: string, credentials: TemporaryCredentials) => GuardDutyClient;
}

export interface TemporaryCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
    expiration?: Date;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * One finding type per severity band, so a test run shows every band's message once and not hundreds of
 * alerts: Low, Medium and High by their default severity in the GuardDuty finding-type table
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html), Critical from the
 * attack sequences (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-attack-sequence-finding-types.html).
 */
export const REPRESENTATIVE_TYPES: readonly { band: "Low" | "Medium" | "High" | "Critical"; type: string }[] = [
    { band: "Low", type: "Policy:S3/BucketBlockPublicAccessDisabled" },
    { band: "Medium", type: "Recon:EC2/Portscan" },
    { band: "High", type: "CryptoCurrency:EC2/BitcoinTool.B!DNS" },
    { band: "Critical", type: "AttackSequence:IAM/CompromisedCredentials" },
];

export const USAGE = `usage: npm run sample-findings -- --stack <name> [--account <name>] [--region <region>] [--types <type>,<type> | --all-types]

Creates GuardDuty sample findings (titles start with [SAMPLE]) in every account × region of the stack,
or only the ones selected, by assuming each account's deployer role. Needs AWS credentials that may
assume those roles.

By default one finding per severity band (${REPRESENTATIVE_TYPES.map(t => `${t.band}: ${t.type}`).join("; ")}).
Ask for other types with --types, or for one sample of every type GuardDuty knows with --all-types
(hundreds of alerts per account × region).`;

const FINDING_TYPE = /^[A-Za-z]+:[A-Za-z0-9]+\/\S+$/;

export class UsageError extends Error {}

/** Parse the command line; `--flag value` and `--flag=value` both work. */
export function parseArgs(argv: string[]): SampleOptions {
    const opts: Partial<SampleOptions> = {};
    const valueOf = (flag: string, inline: string | undefined, i: number): [string, number] => {
        if (inline !== undefined) return [inline, i];
        const next = argv[i + 1];
        if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return [next, i + 1];
    };
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
        let value: string;
        switch (flag) {
            case "--help": case "-h":
                opts.help = true;
                break;
            case "--all-types":
                if (inline !== undefined) throw new UsageError("--all-types takes no value");
                opts.allTypes = true;
                break;
            case "--stack": [value, i] = valueOf(flag, inline, i); opts.stack = value; break;
            case "--account": [value, i] = valueOf(flag, inline, i); opts.account = value; break;
            case "--region": [value, i] = valueOf(flag, inline, i); opts.region = value; break;
            case "--types": {
                [value, i] = valueOf(flag, inline, i);
                const types = value.split(",").map(t => t.trim()).filter(t => t.length > 0);
                const bad = types.filter(t => !FINDING_TYPE.test(t));
                if (types.length === 0 || bad.length > 0) {
                    throw new UsageError(`--types wants GuardDuty finding types such as Recon:EC2/PortProbeUnprotectedPort, got '${bad.join(",") || value}'`);
                }
                opts.types = types;
                break;
            }
            default:
                throw new UsageError(`unknown argument '${argv[i]}'`);
        }
    }
    if (!opts.help && !opts.stack) throw new UsageError("--stack is required, e.g. --stack dev");
    if (opts.allTypes && opts.types) throw new UsageError("--types and --all-types exclude each other");
    return opts as SampleOptions;
}

/** Expand accounts with their regions into targets. */
export function targetsFromAccounts(accounts: { name: string; id: string; roleArn: string; regions: string[] }[]): SampleTarget[] {
    return accounts.flatMap(a => a.regions.map(region => ({ accountName: a.name, accountId: a.id, roleArn: a.roleArn, region })));
}

/** Narrow the targets to `--account`/`--region`; a filter that matches nothing is an error naming the choices. */
export function selectTargets(targets: SampleTarget[], filter: { account?: string; region?: string }): SampleTarget[] {
    if (filter.account !== undefined && !targets.some(t => t.accountName === filter.account)) {
        const names = [...new Set(targets.map(t => t.accountName))];
        throw new UsageError(`no account named '${filter.account}' in this stack; accounts: ${names.join(", ")}`);
    }
    const byAccount = targets.filter(t => filter.account === undefined || t.accountName === filter.account);
    const selected = byAccount.filter(t => filter.region === undefined || t.region === filter.region);
    if (selected.length === 0) {
        const regions = [...new Set(byAccount.map(t => t.region))];
        throw new UsageError(`region '${filter.region}' is not configured${filter.account ? ` for account '${filter.account}'` : ""}; regions: ${regions.join(", ")}`);
    }
    return selected;
}

const defaultSts = (region: string) => new STSClient({ region });
const defaultGuardDuty = (region: string, credentials: TemporaryCredentials) => new GuardDutyClient({ region, credentials });

/** Assume the target's role, find its detector and create sample findings there. Never throws. */
export async function sampleOne(target: SampleTarget, types: string[] | undefined, deps: Pick<SampleDeps, "makeSts" | "makeGuardDuty">): Promise<SampleResult> {
    const where = `${target.accountName} (${target.accountId}) ${target.region}`;
    try {
        const sts = (deps.makeSts ?? defaultSts)(target.region);
        let assumed;
        try {
            assumed = await sts.send(new AssumeRoleCommand({ RoleArn: target.roleArn, RoleSessionName: SAMPLE_FINDINGS_SESSION, DurationSeconds: 900 }));
        } catch (e: any) {
            throw isCredentialRefusal(e) ? assumeRoleRefused(target.roleArn, SAMPLE_FINDINGS_SESSION, `${e?.name ?? "Error"}: ${e?.message ?? e}`) : e;
        }
        const c = assumed.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
            throw new Error(`assuming ${target.roleArn} returned no credentials`);
        }
        const guardDuty = (deps.makeGuardDuty ?? defaultGuardDuty)(target.region, {
            accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration,
        });
        const { DetectorIds = [] } = await guardDuty.send(new ListDetectorsCommand({}));
        const detectorId = DetectorIds[0];
        if (!detectorId) {
            return {
                target, ok: false,
                error: `no GuardDuty detector in ${where}; deploy guardpost there first (organization members get theirs from the admin's auto-enable, which can take up to 24 hours)`,
            };
        }
        await guardDuty.send(new CreateSampleFindingsCommand({ DetectorId: detectorId, ...(types ? { FindingTypes: types } : {}) }));
        return { target, ok: true, detectorId };
    } catch (e) {
        const err = e as Error & { name?: string };
        return { target, ok: false, error: `${where}: ${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message}` };
    }
}

/** The whole command; resolves to the process exit code. */
export async function runSampleFindings(argv: string[], deps: SampleDeps): Promise<number> {
    let opts: SampleOptions;
    let targets: SampleTarget[];
    try {
        opts = parseArgs(argv);
        if (opts.help) {
            deps.log(USAGE);
            return EXIT_OK;
        }
        targets = selectTargets(deps.loadTargets(opts.stack), opts);
    } catch (e) {
        deps.error(`sample-findings: ${(e as Error).message}`);
        if (e instanceof UsageError) deps.error(USAGE);
        return EXIT_USAGE;
    }

    // Nothing asked: the representative handful. `--all-types` sends no FindingTypes, which GuardDuty reads
    // as "one of every type" (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateSampleFindings.html).
    const types = opts.allTypes ? undefined : opts.types ?? REPRESENTATIVE_TYPES.map(t => t.type);
    const what = opts.allTypes ? "one of every finding type" : opts.types ? opts.types.join(", ")
        : `one per severity band: ${REPRESENTATIVE_TYPES.map(t => `${t.band} ${t.type}`).join(", ")}; --types T1,T2 for others, --all-types for every type`;
    deps.log(`Creating GuardDuty sample findings (${what}) in ${targets.length} account × region target(s) of stack '${opts.stack}':`);
    const results: SampleResult[] = [];
    // One at a time: a handful of targets, and the output stays in a readable order.
    for (const target of targets) {
        const result = await sampleOne(target, types, deps);
        results.push(result);
        const where = `${target.accountName} (${target.accountId}) ${target.region}`;
        if (result.ok) deps.log(`  ok      ${where}: detector ${result.detectorId}`);
        else deps.error(`  FAILED  ${result.error}`);
    }
    const failed = results.filter(r => !r.ok).length;
    deps.log(`${results.length - failed} succeeded, ${failed} failed. Sample findings have "[SAMPLE]" in their title and reach EventBridge within about 5 minutes.`);
    return failed === 0 ? EXIT_OK : EXIT_FAILED;
}
