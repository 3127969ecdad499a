/**
 * Pulumi's own cost per resource, without guardpost: N plain `aws.sqs.Queue`s (region and tags, one
 * explicit provider) under the same mock engine, with the same leanPulumi the program uses. Prints one
 * JSON line: {resources, wallMs, maxRssMb, cpuMs}. `npm run bench -- scale` runs it at two sizes and scales the
 * difference to the estate's resource count: the least any single process needs for that estate.
 */
import "../leanPulumi";
import { runMocked } from "../plan/engine";

async function main(): Promise<void> {
    const n = Number(process.argv[2]);
    const started = process.hrtime.bigint();
    const { resources } = await runMocked(() => {
        const aws = require("@pulumi/aws");
        const provider = new aws.Provider("floor", { region: "us-east-1", allowedAccountIds: ["100000000000"] });
        for (let i = 0; i < n; i++) new aws.sqs.Queue(`q${i}`, { region: "us-east-1", tags: { "guardpost:bench": "floor" } }, { provider });
    }, { stack: "floor", requireExplicitProviders: true, drainTimeoutSeconds: 3600 });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ resources: resources.filter(r => r.custom).length, wallMs, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 }) + "\n");
}

main().then(() => process.exit(0), e => { process.stderr.write(String(e?.stack ?? e) + "\n"); process.exit(1); });
