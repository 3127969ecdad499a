import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GuardedFunction, excludedPackages, runtimeProvided } from "../components/shared/guardedFunction";
import { TELEGRAM_ALERT_PACKAGES } from "../components/alerting/alertFanout";
import { SHIPPER_PACKAGES } from "../components/logging/logPipeline";
import { LAMBDA_HANDLER, lambdaArchive, packageFolders, serializedFactory } from "../components/shared/lambdaArchive";
import { createVpcflowTransformHandler } from "../functions/vpcflow-transform/vpcflowTransform";
import { createWafTransformHandler } from "../functions/waf-transform/wafTransform";
import { runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";

async function assetsOf(archive: pulumi.asset.AssetArchive): Promise<Record<string, any>> {
    return await (archive as any).assets;
}

describe("lambdaArchive: one archive per factory and package selection, as CallbackFunction lays it out", () => {
    it("returns the same archive for the same factory and exclusions, in any order", async () => {
        const a = lambdaArchive(createWafTransformHandler, excludedPackages(["maxmind"]));
        const b = lambdaArchive(createWafTransformHandler, [...excludedPackages(["maxmind"])].reverse());
        expect(b).to.equal(a);
        expect(await b).to.equal(await a);
        const other = lambdaArchive(createWafTransformHandler, excludedPackages([]));
        expect(other).to.not.equal(a);
    });

    it("holds the serialized factory as __index.js, loadable with the handler name Lambda is given", async () => {
        expect(LAMBDA_HANDLER).to.equal("__index.handler");
        const assets = await assetsOf(await lambdaArchive(createVpcflowTransformHandler, excludedPackages([])));
        const index = assets["__index.js"];
        expect(index).to.be.instanceOf(pulumi.asset.StringAsset);
        const text: string = await index.text;
        expect(text).to.equal((await serializedFactory(createVpcflowTransformHandler)).text);
        // Loaded the way the runtime loads /var/task/__index.js, the export answers a Firehose event.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-archive-"));
        fs.writeFileSync(path.join(dir, "__index.js"), text);
        const handler = require(path.join(dir, "__index.js")).handler;
        const warn = console.warn;
        console.warn = () => undefined;
        try {
            const res = await handler({ records: [{ recordId: "1", data: Buffer.from("not a flow log line").toString("base64") }] });
            expect(res.records).to.deep.include({ recordId: "1", result: "ProcessingFailed", data: res.records[0].data });
        } finally {
            console.warn = warn;
        }
    });

    it("ships exactly the package folders computeCodePaths selects for the named packages, and none of the excluded ones", async () => {
        const assets = await assetsOf(await lambdaArchive(createWafTransformHandler, excludedPackages(["maxmind"])));
        const folders = Object.keys(assets).filter(k => k !== "__index.js");
        expect(folders.some(f => f.endsWith(path.join("node_modules", "maxmind")))).to.equal(true);
        for (const excluded of ["@opensearch-project/opensearch", "node-telegram-bot-api", "@aws-sdk/client-s3"]) {
            expect(folders.some(f => f.includes(`node_modules/${excluded}`)), excluded).to.equal(false);
        }
        const direct = await pulumi.runtime.computeCodePaths({ extraExcludePackages: [...excludedPackages(["maxmind"]), "aws-sdk"] });
        expect(folders.sort()).to.deep.equal([...direct.keys()].sort());
        expect(await packageFolders(excludedPackages(["maxmind"]))).to.equal(await packageFolders([...excludedPackages(["maxmind"]), "aws-sdk"]));
    });

    it("never ships what the nodejs22.x runtime provides (the AWS SDK v3), even when a function names it", async () => {
        expect(runtimeProvided("@aws-sdk/client-ssm")).to.equal(true);
        expect(runtimeProvided("node-telegram-bot-api")).to.equal(false);
        for (const packages of [TELEGRAM_ALERT_PACKAGES, SHIPPER_PACKAGES]) {
            const excluded = excludedPackages(packages);
            for (const p of packages) expect(excluded.includes(p), p).to.equal(runtimeProvided(p));
            const folders = [...(await packageFolders(excluded)).keys()];
            expect(folders.filter(f => /node_modules\/@(aws-sdk|smithy)\//.test(f)), packages.join()).to.deep.equal([]);
        }
    });

    it("refuses a factory that captures a Pulumi secret, instead of shipping it in the archive", async () => {
        const token = pulumi.secret("not-for-the-archive");
        const leaky = () => { const t = token; return async () => t; };
        let err: Error | undefined;
        try { await serializedFactory(leaky); } catch (e) { err = e as Error; }
        expect(err?.message).to.match(/Secret outputs cannot be captured/);
    });

    it("gives every GuardedFunction of the same factory the same code, handler and explicit runtime", async () => {
        const { resources } = await runMocked(() => {
            for (const region of ["eu-west-1", "us-east-1"]) {
                new GuardedFunction(`waf-${region}`, {
                    region, permissionsBoundary: "arn:aws:iam::111111111111:policy/guardpost/guardpost-boundary", functionTag: "waf-transform", description: "test", callbackFactory: createWafTransformHandler, packages: ["maxmind"],
                }, { provider: testProvider("111111111111", region) });
            }
        });
        const fns = resources.filter(r => r.type === "aws:lambda/function:Function");
        expect(fns).to.have.length(2);
        for (const fn of fns) {
            expect(fn.inputs.handler).to.equal("__index.handler");
            expect(fn.inputs.runtime).to.equal("nodejs22.x");
        }
        const [a, b] = await Promise.all(fns.map(fn => fn.inputs.code.assets));
        expect(Object.keys(a).sort()).to.deep.equal(Object.keys(b).sort());
        expect(Object.keys(a)).to.include("__index.js");
        expect(await a["__index.js"].text).to.equal((await serializedFactory(createWafTransformHandler)).text);
        expect(await b["__index.js"].text).to.equal(await a["__index.js"].text);
    });
});
