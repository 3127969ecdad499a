import { expect } from "chai";
import { builtinModules } from "module";
import * as path from "path";
import { RUNTIME_SDK_VERSION, runtimeProvided } from "../components/shared/guardedFunction";
import { serializedFactory } from "../components/shared/lambdaArchive";
import { TELEGRAM_ALERT_PACKAGES } from "../components/alerting/alertFanout";
import { SHIPPER_PACKAGES, WAF_TRANSFORM_PACKAGES } from "../components/logging/logPipeline";
import { createCloudTrailShipperHandler } from "../functions/cloudtrail-shipper/cloudtrailShipper";
import { createTelegramAlertHandler } from "../functions/telegram-alert/telegramAlert";
import { createVpcflowTransformHandler } from "../functions/vpcflow-transform/vpcflowTransform";
import { createWafTransformHandler } from "../functions/waf-transform/wafTransform";

/**
 * What a Lambda archive's code may load at run time, read from the exact text Pulumi serializes into
 * `__index.js`: Node's own modules, the packages the archive ships, and the AWS SDK v3 service clients the
 * nodejs22.x runtime provides (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included),
 * held to the version pinned for them — nothing of the SDK the runtime may lack, nothing newer than it.
 */

const FUNCTIONS: Array<{ tag: string; factory: () => unknown; packages: readonly string[] }> = [
    { tag: "telegram-alert", factory: createTelegramAlertHandler, packages: TELEGRAM_ALERT_PACKAGES },
    { tag: "cloudtrail-shipper", factory: createCloudTrailShipperHandler, packages: SHIPPER_PACKAGES },
    { tag: "vpcflow-transform", factory: createVpcflowTransformHandler, packages: [] },
    { tag: "waf-transform", factory: createWafTransformHandler, packages: WAF_TRANSFORM_PACKAGES },
];

const ROOT = path.join(__dirname, "..");
const pkg = require("../package.json") as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** Every `require(...)` in the serialized text, as written. */
function requires(text: string): string[] {
    return [...new Set([...text.matchAll(/\brequire\(([^)]*)\)/g)].map(m => m[1].trim()))];
}

function packageOf(id: string): string {
    const parts = id.split("/");
    return id.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

describe("runtime SDK: what each function loads, and the SDK it may take from the nodejs22.x runtime", () => {
    for (const f of FUNCTIONS) {
        it(`${f.tag} loads only Node's modules, its archive's packages and pinned runtime SDK clients`, async () => {
            const text = (await serializedFactory(f.factory)).text;
            for (const raw of requires(text)) {
                expect(raw, `${f.tag}: a require that is not a string literal`).to.match(/^"[^"]+"$/);
                const id = JSON.parse(raw) as string;
                if (builtinModules.includes(id.replace(/^node:/, ""))) continue;
                const name = packageOf(id);
                expect(f.packages, `${f.tag} requires '${id}' but does not name '${name}' in its packages`).to.include(name);
                if (!name.startsWith("@aws-sdk/")) continue;
                expect(runtimeProvided(name), `${f.tag}: '${name}' is not a service client the runtime provides`).to.equal(true);
                expect(pkg.dependencies[name], `${name} pinned in package.json`).to.equal(RUNTIME_SDK_VERSION);
                const installed = require(require.resolve(`${name}/package.json`, { paths: [ROOT] })).version;
                expect(installed, `${name} as installed`).to.equal(RUNTIME_SDK_VERSION);
            }
        });
    }

    it("counts only service clients as provided by the runtime; other SDK packages would be shipped", () => {
        expect(runtimeProvided("@aws-sdk/client-s3")).to.equal(true);
        expect(runtimeProvided("@aws-sdk/client-dynamodb")).to.equal(true);
        expect(runtimeProvided("@aws-sdk/credential-providers")).to.equal(false);
        expect(runtimeProvided("@aws-sdk/lib-storage")).to.equal(false);
        expect(runtimeProvided("maxmind")).to.equal(false);
    });

    it("pins every SDK package exactly, the clients a function may load at the runtime's version", () => {
        for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
            if (name.startsWith("@aws-sdk/") || name.startsWith("@smithy/")) expect(version, name).to.match(/^\d+\.\d+\.\d+$/);
        }
        const used = new Set(FUNCTIONS.flatMap(f => f.packages).filter(runtimeProvided));
        expect([...used]).to.deep.equal(["@aws-sdk/client-s3"]);
        for (const name of used) expect(pkg.dependencies[name], name).to.equal(RUNTIME_SDK_VERSION);
    });
});
