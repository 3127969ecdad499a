import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { excludedPackages, runtimeProvided } from "../components/shared/guardedFunction";
import { serializedFactory } from "../components/shared/lambdaArchive";
import { TELEGRAM_ALERT_PACKAGES } from "../components/alerting/alertFanout";
import { SHIPPER_PACKAGES, VPCFLOW_TRANSFORM_PACKAGES, WAF_TRANSFORM_PACKAGES } from "../components/logging/logPipeline";
import { createTelegramAlertHandler } from "../functions/telegram-alert/telegramAlert";
import { createCloudTrailShipperHandler } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { createVpcflowTransformHandler, DEFAULT_VPC_FLOW_FIELDS } from "../functions/vpcflow-transform/vpcflowTransform";
import { createWafTransformHandler } from "../functions/waf-transform/wafTransform";
import { awslogsEvent, cloudTrailRecords, firehoseEvent, fixtureLines, GEOIP_ASN, GEOIP_CITY } from "../test/support/logFixtures";
import { findingEvents } from "../test/support/alertFixtures";
import { OpenSearchPeer } from "../test/support/opensearchPeer";
import { startTelegramPeer, TelegramPeer } from "../test/support/telegramPeer";

/**
 * `npm run bench -- functions`: every function's archive (unzipped bytes, laid out as GuardedFunction
 * deploys it) and its cold start, each beside the same figures for the code and package lists before
 * issue 12 (commit BASE_COMMIT, which shipped the AWS SDK and the OpenSearch client in the archives).
 *
 * Cold start: a fresh `node` process that sees only the archive's files (unpacked in a temporary
 * directory, as Lambda unpacks to /var/task) and, through NODE_PATH, an emulated runtime holding just the
 * AWS SDK v3 packages the nodejs22.x runtime provides. Measured from the start of loading `__index.js` to
 * the first event handled, with the production environment: the Telegram token read from SSM and the
 * dedup table in DynamoDB (moto_server), Telegram and OpenSearch as loopback peers, GeoIP databases on.
 * Node's own start-up (the runtime's, before it loads the handler) is printed apart.
 */

export const ARCHIVE_TARGET_BYTES = 2 * 1024 * 1024;
export const COLD_START_TARGET_MS = 150;
/** The commit before issue 12, for the "before" figures. */
export const BASE_COMMIT = "b4e9b4a";
const RUNS = 5;
const ROOT = path.join(__dirname, "..");
const FAKE_AWS = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIAGUARDPOSTCOLD001", AWS_SECRET_ACCESS_KEY: "cold-start-bench-not-a-secret" };

/** The package lists each function shipped before issue 12 (the SDK and OpenSearch client included). */
const BEFORE_PACKAGES: Record<string, string[]> = {
    "telegram-alert": ["node-telegram-bot-api", "@aws-sdk/client-ssm", "@aws-sdk/client-dynamodb"],
    "cloudtrail-shipper": ["@opensearch-project/opensearch", "maxmind", "@aws-sdk/client-s3", "@aws-sdk/credential-providers"],
    "vpcflow-transform": [],
    "waf-transform": ["maxmind"],
};

interface Peers { telegram: TelegramPeer; opensearch: OpenSearchPeer; aws: string }

interface FunctionSpec {
    tag: string;
    factory: () => unknown;
    packages: string[];
    /** Module path (from the repo root) and export of the factory, to load the BASE_COMMIT version. */
    source: [string, string];
    env: (p: Peers) => Record<string, string>;
    /** The event of run `i` (telegram-alert: a different finding each time, or dedup would rightly suppress it). */
    event: (i: number) => unknown;
    ok: (r: any) => boolean;
}

const SPECS: FunctionSpec[] = [
    {
        tag: "telegram-alert", factory: createTelegramAlertHandler, packages: TELEGRAM_ALERT_PACKAGES,
        source: ["functions/telegram-alert/telegramAlert", "createTelegramAlertHandler"],
        env: (p) => ({
            TELEGRAM_CHAT_ID: p.telegram.chatId, TELEGRAM_API_ROOT: p.telegram.apiRoot, STAGE: "bench",
            TELEGRAM_TOKEN_PARAMETER: "/guardpost/bench/telegram-token", DEDUP_TABLE: "guardpost-bench-dedup", DEDUP_QUIET_MINUTES: "60",
            AWS_ENDPOINT_URL_SSM: p.aws, AWS_ENDPOINT_URL_DYNAMODB: p.aws,
        }),
        event: (i) => findingEvents().filter((e: any) => e["detail-type"] === "GuardDuty Finding" && e.detail?.severity >= 4)[i],
        ok: (r) => r.status === "sent",
    },
    {
        tag: "cloudtrail-shipper", factory: createCloudTrailShipperHandler, packages: SHIPPER_PACKAGES,
        source: ["functions/cloudtrail-shipper/cloudtrailShipper", "createCloudTrailShipperHandler"],
        env: (p) => ({
            OPENSEARCH_ENDPOINT: p.opensearch.url, INDEX_PREFIX: "ct-cold", GEOIP_DATABASE: GEOIP_CITY, GEOIP_ASN_DATABASE: GEOIP_ASN,
            DEAD_LETTER_BUCKET: "guardpost-bench-dead-letters",
        }),
        event: () => awslogsEvent(cloudTrailRecords("invictus_original_delivery_file_20230710T1205Z.json")),
        ok: (r) => r.status === "shipped" && r.indexed === 10,
    },
    {
        tag: "vpcflow-transform", factory: createVpcflowTransformHandler, packages: VPCFLOW_TRANSFORM_PACKAGES,
        source: ["functions/vpcflow-transform/vpcflowTransform", "createVpcflowTransformHandler"],
        env: () => ({}),
        event: () => {
            const src = fixtureLines("vpcflow", "custom_v5_service_traffic_path.log");
            const header = src[0].split(" ");
            const values = src[2].split(" ");
            return firehoseEvent([DEFAULT_VPC_FLOW_FIELDS.map((f) => (header.includes(f) ? values[header.indexOf(f)] : "-")).join(" ")]);
        },
        ok: (r) => r.records === 1,
    },
    {
        tag: "waf-transform", factory: createWafTransformHandler, packages: WAF_TRANSFORM_PACKAGES,
        source: ["functions/waf-transform/wafTransform", "createWafTransformHandler"],
        env: () => ({ GEOIP_DATABASE: GEOIP_CITY, GEOIP_ASN_DATABASE: GEOIP_ASN }),
        event: () => firehoseEvent(fixtureLines("waf", "aws_docs_waf_log_examples.ndjson").slice(0, 1)),
        ok: (r) => r.records === 1,
    },
];

function treeBytes(p: string): { files: number; bytes: number } {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return { files: 0, bytes: 0 };
    if (!st.isDirectory()) return { files: 1, bytes: st.size };
    let files = 0;
    let bytes = 0;
    for (const e of fs.readdirSync(p)) {
        const s = treeBytes(path.join(p, e));
        files += s.files;
        bytes += s.bytes;
    }
    return { files, bytes };
}

/** Unpacks an archive the way Lambda finds it in /var/task: `__index.js` plus the package folders. */
function unpack(dir: string, text: string, folders: string[]): { files: number; bytes: number } {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "__index.js"), text);
    for (const folder of folders) fs.cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true, dereference: true });
    return treeBytes(dir);
}

/**
 * An emulated /var/runtime/node_modules: links to the AWS SDK v3 packages the functions use and
 * everything they load, as the runtime provides them (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included).
 */
function emulatedRuntime(dir: string): string {
    const modules = path.join(dir, "node_modules");
    fs.mkdirSync(modules, { recursive: true });
    const seen = new Set<string>();
    const queue = [...new Set([...TELEGRAM_ALERT_PACKAGES, ...SHIPPER_PACKAGES].filter(runtimeProvided))].map((name) => ({ name, from: ROOT }));
    while (queue.length > 0) {
        const { name, from } = queue.shift()!;
        const pkgDir = path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
        if (seen.has(pkgDir)) continue;
        seen.add(pkgDir);
        if (pkgDir === path.join(ROOT, "node_modules", name)) {
            const link = path.join(modules, name);
            fs.mkdirSync(path.dirname(link), { recursive: true });
            if (!fs.existsSync(link)) fs.symlinkSync(pkgDir, link, "dir");
        }
        const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
        for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: pkgDir });
    }
    return modules;
}

async function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
    });
}

/** moto_server for SSM and DynamoDB, seeded with the token parameter and the dedup table. */
async function startMoto(token: string): Promise<{ url: string; proc: ChildProcess }> {
    const port = await freePort();
    const proc = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    let failed: Error | undefined;
    proc.on("error", (err) => { failed = new Error(`moto_server (pip install "moto[server]") is needed for the telegram-alert cold start: ${err.message}`); });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
        if (failed) throw failed;
        try { if ((await fetch(`${url}/moto-api/`)).status < 500) break; } catch { /* not up yet */ }
        await new Promise((r) => setTimeout(r, 100));
    }
    const { SSMClient, PutParameterCommand } = require("@aws-sdk/client-ssm");
    const { DynamoDBClient, CreateTableCommand } = require("@aws-sdk/client-dynamodb");
    const cfg = { region: FAKE_AWS.AWS_REGION, endpoint: url, credentials: { accessKeyId: FAKE_AWS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS.AWS_SECRET_ACCESS_KEY } };
    await new SSMClient(cfg).send(new PutParameterCommand({ Name: "/guardpost/bench/telegram-token", Type: "SecureString", Value: token, Overwrite: true }));
    await new DynamoDBClient(cfg).send(new CreateTableCommand({
        TableName: "guardpost-bench-dedup", BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }], KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }));
    return { url, proc };
}

interface ColdStart { bootMs: number; loadMs: number; firstEventMs: number; coldStartMs: number; result: any }

/** One fresh process; asynchronous, because the peers it talks to live in this process. */
function coldStart(taskDir: string, runtimeModules: string, env: Record<string, string>, eventFile: string): Promise<ColdStart> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, "coldStartRunner.js"), taskDir, eventFile], {
            cwd: taskDir,
            env: { PATH: process.env.PATH ?? "", NODE_PATH: runtimeModules, ...FAKE_AWS, AWS_EC2_METADATA_DISABLED: "true", ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (c) => { stdout += c; });
        child.stderr!.on("data", (c) => { stderr += c; });
        const timer = setTimeout(() => child.kill(), 60_000);
        child.on("close", () => {
            clearTimeout(timer);
            const last = stdout.trim().split("\n").pop() ?? "";
            let parsed: any;
            try { parsed = JSON.parse(last); } catch { return reject(new Error(`cold start produced no result: ${stderr || stdout}`)); }
            if (parsed.error) return reject(new Error(`cold start failed: ${parsed.error}`));
            resolve(parsed);
        });
    });
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** The BASE_COMMIT version of `functions/`, exported next to nothing else, for its factories. */
function baseFunctions(work: string): string | undefined {
    const dir = path.join(work, "base");
    try {
        fs.mkdirSync(dir, { recursive: true });
        const tar = execFileSync("git", ["archive", BASE_COMMIT, "functions"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
        execFileSync("tar", ["-x", "-C", dir], { input: tar });
        return dir;
    } catch {
        return undefined;
    }
}

export interface FunctionFigures {
    tag: string;
    archive: { files: number; bytes: number };
    before?: { files: number; bytes: number };
    cold: { coldStartMs: number; bootMs: number; loadMs: number; firstEventMs: number };
    beforeCold?: { coldStartMs: number };
}

export async function measureFunctions(): Promise<FunctionFigures[]> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-functions-"));
    const saved = { ...process.env };
    const telegram = await startTelegramPeer();
    const opensearch = await OpenSearchPeer.start();
    opensearch.requireAuth("sigv4", { credentials: { accessKeyId: FAKE_AWS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS.AWS_SECRET_ACCESS_KEY } });
    const moto = await startMoto(telegram.token);
    const peers: Peers = { telegram, opensearch, aws: moto.url };
    const runtime = emulatedRuntime(path.join(work, "runtime"));
    const base = baseFunctions(work);
    const figures: FunctionFigures[] = [];
    try {
        for (const spec of SPECS) {
            const eventFile = (i: number) => {
                const file = path.join(work, `${spec.tag}.event-${i}.json`);
                fs.writeFileSync(file, JSON.stringify(spec.event(i)));
                return file;
            };
            const env = spec.env(peers);

            const folders = [...(await pulumiFolders(excludedPackages(spec.packages)))];
            const taskDir = path.join(work, spec.tag, "var", "task");
            const archive = unpack(taskDir, (await serializedFactory(spec.factory)).text, folders);
            const runs: ColdStart[] = [];
            for (let i = 0; i < RUNS; i++) {
                telegram.reset();
                const r = await coldStart(taskDir, runtime, env, eventFile(i));
                if (!spec.ok(r.result)) throw new Error(`${spec.tag}: the cold start did not handle its event: ${JSON.stringify(r.result)}`);
                runs.push(r);
            }
            const f: FunctionFigures = {
                tag: spec.tag, archive,
                cold: { coldStartMs: median(runs.map((r) => r.coldStartMs)), bootMs: median(runs.map((r) => r.bootMs)), loadMs: median(runs.map((r) => r.loadMs)), firstEventMs: median(runs.map((r) => r.firstEventMs)) },
            };

            if (base) {
                // Before: the BASE_COMMIT code, its package lists, the SDK shipped (no runtime exclusion).
                const old = require(path.join(base, spec.source[0]))[spec.source[1]];
                const oldText = (await pulumi.runtime.serializeFunction(old, { exportName: "handler", isFactoryFunction: true })).text;
                const deps = require("../package.json").dependencies as Record<string, string>;
                const oldExclude = Object.keys(deps).filter((d) => !BEFORE_PACKAGES[spec.tag].includes(d) && !d.startsWith("@pulumi/"));
                const oldDir = path.join(work, `${spec.tag}-before`, "var", "task");
                f.before = unpack(oldDir, oldText, [...(await pulumiFolders(oldExclude))]);
                const oldRuns: number[] = [];
                for (let i = 0; i < RUNS; i++) {
                    telegram.reset();
                    const r = await coldStart(oldDir, path.join(work, "no-runtime-sdk"), env, eventFile(RUNS + i)).catch(() => undefined);
                    if (r && spec.ok(r.result)) oldRuns.push(r.coldStartMs);
                }
                if (oldRuns.length > 0) f.beforeCold = { coldStartMs: median(oldRuns) };
            }
            figures.push(f);
        }
    } finally {
        moto.proc.kill();
        await telegram.close();
        await opensearch.close();
        process.env = saved;
        fs.rmSync(work, { recursive: true, force: true });
    }
    return figures;
}

async function pulumiFolders(exclude: string[]): Promise<string[]> {
    return [...(await pulumi.runtime.computeCodePaths({ extraExcludePackages: [...exclude, "aws-sdk"] })).keys()];
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

export async function benchFunctions(): Promise<string[]> {
    const lines = ["functions: archives as deployed (unzipped) and cold starts in a fresh process that sees only the archive and the runtime's SDK"];
    for (const f of await measureFunctions()) {
        const before = f.before ? `; before issue 12: ${mb(f.before.bytes)} (${f.before.files} files)` : "";
        lines.push(`  ${f.tag.padEnd(19)} archive ${mb(f.archive.bytes)} (${f.archive.files} files)${before} [target <= 2 MB: ${verdict(f.archive.bytes <= ARCHIVE_TARGET_BYTES)}]`);
        const coldBefore = f.beforeCold ? `; before issue 12: ${f.beforeCold.coldStartMs.toFixed(0)} ms` : "";
        lines.push(`  ${"".padEnd(19)} cold start ${f.cold.coldStartMs.toFixed(0)} ms to the first handled event (load ${f.cold.loadMs.toFixed(0)} ms + first event ${f.cold.firstEventMs.toFixed(0)} ms; Node's own start-up before it ${f.cold.bootMs.toFixed(0)} ms)${coldBefore} [target <= ${COLD_START_TARGET_MS} ms: ${verdict(f.cold.coldStartMs <= COLD_START_TARGET_MS)}]`);
    }
    return lines;
}
