import { expect } from "chai";
import { applyLeanPulumi, isPromiseBookkeeping } from "../leanPulumi";

const debuggable = require("@pulumi/pulumi/runtime/debuggable");
const state = require("@pulumi/pulumi/runtime/state");

function site(functionName: string | null, fileName: string): NodeJS.CallSite {
    return { getFunctionName: () => functionName, getFileName: () => fileName } as unknown as NodeJS.CallSite;
}

describe("leanPulumi: Pulumi's promise bookkeeping without a stack per promise", () => {
    it("has replaced debuggablePromise in this process (importing the module applies it, as index.ts does first)", () => {
        expect(debuggable.debuggablePromise[Symbol.for("guardpost.leanPulumi")]).to.equal(true);
        // A second application changes nothing.
        expect(applyLeanPulumi()).to.deep.equal({ promises: false, stacks: false });
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

    it("still tags a rejection with the promise it came from, and forgets it", async () => {
        const leaks: Set<Promise<unknown>> = state.getStore().leakCandidates;
        const p = Promise.reject(new Error("boom"));
        const err = await debuggable.debuggablePromise(p, "test").catch((e: any) => e);
        expect(err.message).to.equal("boom");
        expect(err.promise).to.equal(p);
        expect(leaks.has(p)).to.equal(false);
    });

    it("keeps the original bookkeeping, stacks included, when PULUMI_DEBUG_PROMISE_LEAKS asks for leak reports", () => {
        const loaded: string[] = [];
        const result = applyLeanPulumi({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }, (id) => { loaded.push(id); return {}; });
        expect(result).to.deep.equal({ promises: false, stacks: false });
        expect(loaded).to.deep.equal([]);
    });

    it("leaves a module it does not recognise alone", () => {
        const fake = { debuggablePromise: (p: Promise<unknown>) => p };
        const result = applyLeanPulumi({}, (id) => id.endsWith("debuggable") ? fake : { getStore: () => ({ leakCandidates: new Set() }) });
        expect(result.promises).to.equal(false);
        expect(fake.debuggablePromise.length).to.equal(1);
    });

    it("recognises only debuggable.js's own frame as bookkeeping", () => {
        const file = "/app/node_modules/@pulumi/pulumi/runtime/debuggable.js";
        expect(isPromiseBookkeeping([site("debuggablePromise", file)])).to.equal(true);
        expect(isPromiseBookkeeping([site("debuggablePromise", "/app/index.ts")])).to.equal(false);
        expect(isPromiseBookkeeping([site("registerResource", file)])).to.equal(false);
        expect(isPromiseBookkeeping([])).to.equal(false);
    });

    it("formats every other stack as before: real errors keep their frames", () => {
        function namedThrower(): Error { return new Error("real"); }
        const stack = namedThrower().stack ?? "";
        expect(stack).to.match(/^Error: real\n/);
        expect(stack).to.contain("namedThrower");
        expect(stack).to.contain("leanPulumi.test.ts");
    });
});
