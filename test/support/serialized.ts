import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * Serializes a Lambda callback factory exactly as CallbackFunction would, writes the text inside the
 * project (so `require` resolves node_modules like the deployment archive does), loads it and returns
 * what Lambda would call. Closure-capture bugs that the mock engine hides (it just hangs) surface here.
 */
export async function loadSerializedHandler<T extends (...args: any[]) => any>(
    name: string,
    factory: () => T,
): Promise<{ handler: T; text: string; file: string }> {
    const serialized = await pulumi.runtime.serializeFunction(factory, { isFactoryFunction: true, allowSecrets: false });
    const dir = path.join(__dirname, "..", ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}-${process.pid}-${Date.now()}.js`);
    fs.writeFileSync(file, serialized.text);
    const loaded = require(file);
    return { handler: loaded[serialized.exportName] as T, text: serialized.text, file };
}
