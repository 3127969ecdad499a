/**
 * Takes the per-promise stack capture out of Pulumi's promise bookkeeping, the largest cost per resource
 * the profiles found (README "Scale"; `npm run bench -- scale` measures Pulumi's own floor beside it).
 *
 * `@pulumi/pulumi/runtime/debuggable.js` wraps several promises per resource (one per output property)
 * in `debuggablePromise`, which does `new Error().stack` for each and keeps the string on the promise.
 * That string is read only when PULUMI_DEBUG_PROMISE_LEAKS is set, to print leaked promises at exit.
 * Under ts-node — how Pulumi's Node host runs a TypeScript program — each `.stack` also goes through the
 * source-map formatter frame by frame: ~30 % of the 5 × 5 scale run, and in a minimal program of plain
 * queues `new Error()` plus its formatting and garbage were more than half of Pulumi's time per resource.
 *
 * Two layers, each kept only as long as the SDK looks the way it was measured:
 * 1. `debuggablePromise` is replaced by one that does the same bookkeeping — the promise goes into the
 *    run's `leakCandidates` (so unresolved promises still fail the run at exit) and leaves it when it
 *    settles, a rejection still carries `err.promise` — without capturing a stack. The first call goes to
 *    the original, which schedules the exit-time leak check.
 * 2. If that cannot be applied (the module changed), `Error.prepareStackTrace` returns "" for stacks
 *    whose top frame is `debuggablePromise` in that file, so at least the formatting is skipped.
 * With PULUMI_DEBUG_PROMISE_LEAKS set, nothing is changed and leak reports keep their stacks. Every other
 * stack — real errors, the source positions Pulumi records per resource — is untouched.
 *
 * Importing this module applies it once per process.
 */

const DEBUGGABLE_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
const MARK = Symbol.for("guardpost.leanPulumi");

type PrepareStackTrace = (err: Error, sites: NodeJS.CallSite[]) => unknown;
type Marked<T> = T & { [MARK]?: true };

export interface LeanResult {
    /** `debuggablePromise` replaced by the stack-free version. */
    promises: boolean;
    /** The `prepareStackTrace` filter installed (the fallback). */
    stacks: boolean;
}

/** True for the bookkeeping stack `debuggablePromise` captures (its own frame on top). */
export function isPromiseBookkeeping(sites: NodeJS.CallSite[]): boolean {
    const top = sites[0];
    return top !== undefined && top.getFunctionName() === "debuggablePromise" && DEBUGGABLE_FILE.test(top.getFileName() ?? "");
}

/** V8's own format, for when no formatter was installed before ours. */
function v8Format(err: Error, sites: NodeJS.CallSite[]): string {
    const head = err.message ? `${err.name}: ${err.message}` : err.name;
    return [head, ...sites.map(s => `    at ${s}`)].join("\n");
}

function installStackFilter(): boolean {
    const current = Error.prepareStackTrace as Marked<PrepareStackTrace> | undefined;
    if (current?.[MARK]) return false;
    const inner: PrepareStackTrace = current ?? v8Format;
    const lean: Marked<PrepareStackTrace> = function prepareStackTrace(err: Error, sites: NodeJS.CallSite[]): unknown {
        return isPromiseBookkeeping(sites) ? "" : inner(err, sites);
    };
    lean[MARK] = true;
    Error.prepareStackTrace = lean;
    return true;
}

interface DebuggableModule { debuggablePromise: Marked<(p: Promise<any>, ctx: any) => Promise<any>> }
interface StateModule { getStore(): { leakCandidates: Set<Promise<any>> } }

function replaceDebuggablePromise(debuggable: DebuggableModule, state: StateModule): boolean {
    const original = debuggable.debuggablePromise;
    if (typeof original !== "function" || original.length !== 2 || original[MARK]) return false;
    if (typeof state.getStore !== "function" || !(state.getStore()?.leakCandidates instanceof Set)) return false;
    let first = true;
    const lean: DebuggableModule["debuggablePromise"] = function debuggablePromise(p: Promise<any>, ctx: any): Promise<any> {
        if (first) {
            first = false;
            return original(p, ctx);
        }
        const store = state.getStore();
        store.leakCandidates.add(p);
        return p.then(
            (value) => { store.leakCandidates.delete(p); return value; },
            (err) => { store.leakCandidates.delete(p); err.promise = p; throw err; },
        );
    };
    lean[MARK] = true;
    debuggable.debuggablePromise = lean;
    return true;
}

/** Applies both layers (see the module comment); idempotent. */
export function applyLeanPulumi(
    env: NodeJS.ProcessEnv = process.env,
    load: (id: string) => unknown = require,
): LeanResult {
    if (env.PULUMI_DEBUG_PROMISE_LEAKS) return { promises: false, stacks: false };
    let promises = false;
    try {
        promises = replaceDebuggablePromise(
            load("@pulumi/pulumi/runtime/debuggable") as DebuggableModule,
            load("@pulumi/pulumi/runtime/state") as StateModule,
        );
    } catch {
        promises = false;
    }
    return { promises, stacks: installStackFilter() };
}

applyLeanPulumi();
