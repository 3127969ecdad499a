import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { applyLeanPulumi, isPromiseBookkeeping, rawStackKey } from "../leanPulumi";

const debuggable = require("@pulumi/pulumi/runtime/debuggable");
const state = require("@pulumi/pulumi/runtime/state");
const { Resource } = require("@pulumi/pulumi/resource");
const MARK = Symbol.for("guardpost.leanPulumi");
const DEBUGGABLE = "/app/node_modules/@pulumi/pulumi/runtime/debuggable.js";

/** A real V8 call site that reports another function name and file, as a frame of Pulumi's code would. */
function site(functionName: string | null, fileName: string): NodeJS.CallSite {
    const saved = Error.prepareStackTrace;
    let real!: NodeJS.CallSite;
    try {
        Error.prepareStackTrace = (_e, sites) => sites;
        real = (new Error().stack as unknown as NodeJS.CallSite[])[0];
    } finally {
        Error.prepareStackTrace = saved;
    }
    const overrides: Record<string, () => unknown> = {
        getFunctionName: () => functionName, getFileName: () => fileName, getScriptNameOrSourceURL: () => fileName,
        toString: () => `${functionName} (${fileName}:1:1)`,
    };
    return new Proxy(real, { get: (target, key) => overrides[key as string] ?? ((target as any)[key] as Function).bind(target) });
}

/** Runs test/support/leanFrames.ts in a fresh process: what every registration carried to the engine. */
function framesRun(env: Record<string, string>): { stats: { calls: number; computed: number }; registrations: Record<string, unknown> } {
    const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "support", "leanFrames.ts")], {
        cwd: path.join(__dirname, ".."), encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000,
    });
    expect(run.status, run.stderr).to.equal(0);
    return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

describe("leanPulumi: Pulumi's per-resource bookkeeping, computed more cheaply and otherwise unchanged", () => {
    it("has replaced debuggablePromise and Resource.stackTrace in this process (importing the module applies it, as index.ts does first)", () => {
        expect(debuggable.debuggablePromise[MARK]).to.equal(true);
        expect(Resource.stackTrace[MARK]).to.equal(true);
        // The fallback stack filter is not needed, so not installed: other errors are formatted as before.
        expect((Error.prepareStackTrace as any)?.[MARK]).to.equal(undefined);
        // A second application changes nothing.
        expect(applyLeanPulumi()).to.deep.equal({ promises: false, stacks: false, positions: false });
    });

    it("still tracks an unsettled promise as a leak candidate, and forgets it once it settles", async () => {
        const leaks: Set<Promise<unknown>> = state.getStore().leakCandidates;
        let resolve!: (v: number) => void;
        const p = new Promise<number>(r => { resolve = r; });
        const wrapped = debuggable.debuggablePromise(p, "test");
        expect(leaks.has(p)).to.equal(true);
        resolve(7);
        expect(await wrapped).to.equal(7);
        expect(leaks.has(p)).to.equal(false);
    });

    it("still tags a rejection with the promise it came from, rethrows it unchanged, and forgets the promise", async () => {
        const leaks: Set<Promise<unknown>> = state.getStore().leakCandidates;
        const boom = new Error("boom");
        const p = Promise.reject(boom);
        const err = await debuggable.debuggablePromise(p, "test").catch((e: any) => e);
        expect(err).to.equal(boom);
        expect(err.stack).to.match(/^Error: boom\n\s+at /);
        expect(err.promise).to.equal(p);
        expect(leaks.has(p)).to.equal(false);
    });

    it("passes on a rejection that is not an object as it is (the original would replace it with a TypeError)", async () => {
        const err = await debuggable.debuggablePromise(Promise.reject("plain string"), "test").catch((e: unknown) => e);
        expect(err).to.equal("plain string");
        const none = await debuggable.debuggablePromise(Promise.reject(undefined), "test").then(() => "resolved", (e: unknown) => ({ rejected: e }));
        expect(none).to.deep.equal({ rejected: undefined });
    });

    it("keeps the original bookkeeping, stacks included, when PULUMI_DEBUG_PROMISE_LEAKS asks for leak reports", () => {
        const loaded: string[] = [];
        const result = applyLeanPulumi({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }, (id) => { loaded.push(id); return {}; });
        expect(result).to.deep.equal({ promises: false, stacks: false, positions: false });
        expect(loaded).to.not.include("@pulumi/pulumi/runtime/debuggable");
    });

    it("changes nothing at all with GUARDPOST_LEAN_PULUMI=off", () => {
        for (const off of ["off", "0", "false", "OFF"]) {
            const loaded: string[] = [];
            expect(applyLeanPulumi({ GUARDPOST_LEAN_PULUMI: off }, (id) => { loaded.push(id); return {}; })).to.deep.equal({ promises: false, stacks: false, positions: false });
            expect(loaded).to.deep.equal([]);
        }
    });

    it("leaves modules it does not recognise alone, and then filters only the bookkeeping stacks", () => {
        const saved = Error.prepareStackTrace;
        try {
            const fake = { debuggablePromise: (p: Promise<unknown>) => p };
            const fakeResource = { Resource: { stackTrace: (skip: number, extra: number) => [skip, extra] } };
            const result = applyLeanPulumi({}, (id) =>
                id.endsWith("debuggable") ? fake : id.endsWith("resource") ? fakeResource : { getStore: () => ({ leakCandidates: new Set() }) });
            expect(result).to.deep.equal({ promises: false, stacks: true, positions: false });
            expect(fake.debuggablePromise.length).to.equal(1);
            expect(fakeResource.Resource.stackTrace.length).to.equal(2);
            // The fallback: the message-less Error debuggablePromise creates formats to "", nothing else does.
            const format = Error.prepareStackTrace!;
            expect(format(new Error(), [site("debuggablePromise", DEBUGGABLE)])).to.equal("");
            expect(format(new TypeError("Cannot read properties of undefined"), [site("debuggablePromise", DEBUGGABLE)]))
                .to.match(/^TypeError: Cannot read properties of undefined\n\s+at debuggablePromise/);
            expect(format(new Error(), [site("registerResource", DEBUGGABLE)])).to.match(/^Error\n\s+at registerResource/);
        } finally {
            Error.prepareStackTrace = saved;
        }
    });

    it("keeps Pulumi's own stackTrace when it does not count frames the way the memo assumes", () => {
        // Same shape (one argument), but the frames do not depend on the caller the way Pulumi's do.
        const bySkip = { Resource: { stackTrace: (skip: number) => [{ uri: `file:///skip-${skip}`, line: 1, column: 1 }] } };
        const empty = { Resource: { stackTrace: (_skip: number) => [] } };
        for (const fake of [bySkip, empty]) {
            const original = fake.Resource.stackTrace;
            const result = applyLeanPulumi({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }, (id) => (id.endsWith("resource") ? fake : {}));
            expect(result.positions).to.equal(false);
            expect(fake.Resource.stackTrace).to.equal(original);
        }
    });

    it("recognises only debuggable.js's own message-less Error as bookkeeping", () => {
        expect(isPromiseBookkeeping(new Error(), [site("debuggablePromise", DEBUGGABLE)])).to.equal(true);
        expect(isPromiseBookkeeping(new Error(), [site("debuggablePromise", "/app/index.ts")])).to.equal(false);
        expect(isPromiseBookkeeping(new Error(), [site("registerResource", DEBUGGABLE)])).to.equal(false);
        expect(isPromiseBookkeeping(new Error("real"), [site("debuggablePromise", DEBUGGABLE)])).to.equal(false);
        expect(isPromiseBookkeeping(new RangeError(), [site("debuggablePromise", DEBUGGABLE)])).to.equal(false);
        expect(isPromiseBookkeeping(new Error(), [])).to.equal(false);
    });

    it("formats every other stack as before: real errors keep their frames, mapped to the TypeScript source", () => {
        function namedThrower(): Error { return new Error("real"); }
        const stack = namedThrower().stack ?? "";
        expect(stack).to.match(/^Error: real\n/);
        expect(stack).to.contain("namedThrower");
        expect(stack).to.contain("leanPulumi.test.ts");
        // Reading the raw stack for the memo leaves the formatter and the limit as they were.
        const before = [Error.prepareStackTrace, Error.stackTraceLimit];
        function caller(): string | undefined { return rawStackKey(caller); }
        expect(caller()).to.match(/leanPulumi\.test\.ts:\d+:\d+\)\t/);
        expect([Error.prepareStackTrace, Error.stackTraceLimit]).to.deep.equal(before);
    });

    it("sends the engine exactly the source positions and stack traces Pulumi's own code computes, computing each distinct stack once", function () {
        this.timeout(240_000);
        const shipped = framesRun({ GUARDPOST_LEAN_PULUMI: "off" });
        const lean = framesRun({});
        expect(shipped.stats).to.deep.equal({ calls: 0, computed: 0 });
        const names = Object.keys(shipped.registrations).sort();
        expect(names.length).to.be.greaterThan(15);
        expect(Object.keys(lean.registrations).sort()).to.deep.equal(names);
        for (const name of names) expect(lean.registrations[name], name).to.deep.equal(shipped.registrations[name]);
        // Positions still point into the TypeScript program (source maps applied), e.g. the queue's line.
        expect(JSON.stringify((lean.registrations["aws:sqs/queue:Queue::pair-0-q"] as any).position)).to.match(/leanFrames\.ts","line":\d+/);
        expect(lean.stats.calls).to.equal(names.length);
        expect(lean.stats.computed).to.be.below(lean.stats.calls / 2);
    });
});
