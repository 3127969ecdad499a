import * as pulumi from "@pulumi/pulumi";

/**
 * The deployment archive of a guarded Lambda, built the way `aws.lambda.CallbackFunction` builds it —
 * the callback factory serialized by `pulumi.runtime.serializeFunction` into `__index.js` (export
 * `handler`), plus the package folders `pulumi.runtime.computeCodePaths` selects — but built ONCE per
 * process for each (factory, package selection), not once per function instance.
 *
 * CallbackFunction serializes the closure and walks the package tree (npm's arborist) for every
 * instance; with a function per account × region that was the second-largest cost of the whole program
 * (the 5 × 5 profile: ~80 ms per function). The archive depends only on the factory's code and the
 * package selection, so every placement can share it: same bytes, same handler, same runtime layout.
 *
 * Unlike CallbackFunction (which passes `allowSecrets: true` and only warns), a factory that captures a
 * Pulumi secret fails here: guardpost functions read configuration from the environment, never from
 * captured values.
 */

/** CallbackFunction's file and export names, so `handler` stays `__index.handler`. */
export const SERIALIZED_FILE = "__index";
export const HANDLER_EXPORT = "handler";
export const LAMBDA_HANDLER = `${SERIALIZED_FILE}.${HANDLER_EXPORT}`;

/** CallbackFunction always leaves out the v2 SDK (`aws-sdk`); so do we. */
const ALWAYS_EXCLUDED = ["aws-sdk"];

type Factory = () => unknown;

const closures = new Map<Factory, Promise<pulumi.runtime.SerializedFunction>>();
const codePaths = new Map<string, Promise<Map<string, pulumi.asset.Asset | pulumi.asset.Archive>>>();
const archives = new Map<Factory, Map<string, Promise<pulumi.asset.AssetArchive>>>();

/** The serialized factory, as CallbackFunction serializes a `callbackFactory`. */
export function serializedFactory(factory: Factory): Promise<pulumi.runtime.SerializedFunction> {
    let closure = closures.get(factory);
    if (!closure) {
        closure = pulumi.runtime.serializeFunction(factory, {
            exportName: HANDLER_EXPORT,
            isFactoryFunction: true,
            allowSecrets: false,
        });
        closures.set(factory, closure);
    }
    return closure;
}

function exclusionKey(excludePackages: readonly string[]): string {
    return [...new Set([...excludePackages, ...ALWAYS_EXCLUDED])].sort().join("\n");
}

/** The package folders for an exclusion list, as `computeCodePaths` selects them (cached per list). */
export function packageFolders(excludePackages: readonly string[]): Promise<Map<string, pulumi.asset.Asset | pulumi.asset.Archive>> {
    const key = exclusionKey(excludePackages);
    let paths = codePaths.get(key);
    if (!paths) {
        paths = pulumi.runtime.computeCodePaths({ extraExcludePackages: key.split("\n") });
        codePaths.set(key, paths);
    }
    return paths;
}

/**
 * The archive for `factory` with every dependency in `excludePackages` left out. The same promise (and
 * archive object) is returned for every call with the same factory and exclusions.
 */
export function lambdaArchive(factory: Factory, excludePackages: readonly string[]): Promise<pulumi.asset.AssetArchive> {
    const key = exclusionKey(excludePackages);
    let byExclusion = archives.get(factory);
    if (!byExclusion) {
        byExclusion = new Map();
        archives.set(factory, byExclusion);
    }
    let archive = byExclusion.get(key);
    if (!archive) {
        archive = Promise.all([serializedFactory(factory), packageFolders(excludePackages)]).then(([closure, folders]) => {
            const assets: pulumi.asset.AssetMap = { [`${SERIALIZED_FILE}.js`]: new pulumi.asset.StringAsset(closure.text) };
            for (const [folder, asset] of folders) assets[folder] = asset;
            return new pulumi.asset.AssetArchive(assets);
        });
        byExclusion.set(key, archive);
    }
    return archive;
}
