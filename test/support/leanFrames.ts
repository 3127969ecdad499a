/**
 * Runs a small program under the mock engine and prints, as one JSON line, the source position and stack
 * trace every registration carried to the engine, with what leanPulumi applied. test/leanPulumi.test.ts
 * runs it with GUARDPOST_LEAN_PULUMI=off and on, in fresh processes, and compares.
 */
import "../../leanPulumi";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { leanPositionStats } from "../../leanPulumi";
import { runMocked } from "../../plan/engine";
import { testProvider } from "./providers";

class Pair extends pulumi.ComponentResource {
    constructor(name: string, provider: aws.Provider, opts?: pulumi.ComponentResourceOptions) {
        super("test:lean:Pair", name, {}, opts);
        const queue = new aws.sqs.Queue(`${name}-q`, { region: "eu-west-1" }, { parent: this, provider });
        // Declared later, from a callback: a stack that starts in the microtask queue.
        queue.arn.apply(arn => new aws.sns.Topic(`${name}-t`, { region: "eu-west-1", tags: { from: arn.slice(0, 20) } }, { parent: this, provider }));
        this.registerOutputs({});
    }
}

async function main(): Promise<void> {
    const registrations: Record<string, unknown> = {};
    const settings = require("@pulumi/pulumi/runtime/settings");
    await runMocked(() => {
        const monitor = settings.getMonitor();
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, callback: any) => {
            registrations[`${req.getType()}::${req.getName()}`] = {
                position: req.getSourceposition()?.toObject(),
                frames: req.getStacktrace()?.getFramesList().map((f: any) => f.toObject()),
            };
            return register(req, callback);
        };
        const provider = testProvider("111111111111", "eu-west-1");
        for (let i = 0; i < 4; i++) new Pair(`pair-${i}`, provider);
        [5, 6].forEach(i => new Pair(`pair-${i}`, provider));
    });
    process.stdout.write(JSON.stringify({ stats: leanPositionStats(), registrations }) + "\n");
}

main().then(() => process.exit(0), e => { process.stderr.write(String(e?.stack ?? e) + "\n"); process.exit(1); });
