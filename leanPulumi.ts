/**
 * Takes two per-resource costs out of Pulumi's Node SDK that the scale profiles found (README "Scale";
 * `npm run bench -- scale` measures Pulumi's own floor beside them). Both only change how Pulumi computes
 * bookkeeping it already keeps; what the program declares and what the engine receives stay the same.
 *
 * 1. Promise bookkeeping (`promises`). `@pulumi/pulumi/runtime/debuggable.js` wraps several promises per
 *    output property in `debuggablePromise`, which does `new Error().stack` for each and keeps the string on
 *    the promise; the string is read only when PULUMI_DEBUG_PROMISE_LEAKS is set, to print leaked promises at
 *    exit. Under ts-node — how Pulumi's Node host runs a TypeScript program — each `.stack` also goes through
 *    the source-map formatter frame by frame. The replacement does the same bookkeeping without the stack:
 *    the promise goes into the run's `leakCandidates` (so unresolved promises still fail the run at exit)
 *    and leaves it when it settles; a rejection still carries `err.promise` and is rethrown unchanged. The
 *    first call goes to the original, which schedules the exit-time leak check. If the module does not look
 *    the way it was measured, the fallback (`stacks`) is a `prepareStackTrace` that returns "" only for the
 *    message-less `Error` that `debuggablePromise` itself creates; every other error keeps its stack.
 * 2. Source positions (`positions`). For every resource, `Resource.stackTrace` captures the whole stack
 *    (`Error.stackTraceLimit = Infinity`), has ts-node's source-map support map every frame, parses the
 *    text back and sends the frames with the registration. Resources declared by the same code path have the
 *    same raw (generated-code) stack, and mapping a raw stack is deterministic, so the replacement keys the
 *    original's result by the raw stack (V8's own call-site text, no source maps) and computes it with the
 *    original only for a stack it has not seen. The frames sent are identical; a test checks it, and at
 *    start-up the memo is applied only if the original, called through it, returns the frames it returns
 *    when called directly (so a Pulumi that counts frames differently keeps its own).
 *
 * Turning it off: GUARDPOST_LEAN_PULUMI=off leaves Pulumi exactly as shipped; PULUMI_DEBUG_PROMISE_LEAKS
 * (Pulumi's own switch for leak reports with stacks) leaves the promise bookkeeping as shipped.
 *
 * Importing this module applies it once per process; it must be imported before any resource is declared.
 */

const DEBUGGABLE_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
const MARK = Symbol.for("guardpost.leanPulumi");

type PrepareStackTrace = (err: Error, sites: NodeJS.CallSite[]) => unknown;
type Marked<T> = T & { [MARK]?: true };

export interface LeanResult {
    /** `debuggablePromise` replaced by the stack-free version. */
    promises: boolean;
    /** The `prepareStackTrace` filter installed (the fallback for `promises`). */
    stacks: boolean;
    /** `Resource.stackTrace` memoized by raw stack. */
    positions: boolean;
}

/** Values of GUARDPOST_LEAN_PULUMI that turn every layer off. */
const OFF = new Set(["off", "0", "false", "no"]);

/** True for the bookkeeping stack `debuggablePromise` captures: its own message-less `new Error()` on top. */
export function isPromiseBookkeeping(err: Error, sites: NodeJS.CallSite[]): boolean {
    const top = sites[0];
    return top !== undefined && top.getFunctionName() === "debuggablePromise" && DEBUGGABLE_FILE.test(top.getFileName() ?? "") &&
        Object.getPrototypeOf(err) === Error.prototype && err.message === "";
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
        return isPromiseBookkeeping(err, sites) ? "" : inner(err, sites);
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
            (err) => {
                store.leakCandidates.delete(p);
                // The original tags the error with its promise; a non-object rejection (a string, undefined)
                // cannot be tagged, and is passed on as it is rather than replaced by a TypeError.
                if ((typeof err === "object" && err !== null) || typeof err === "function") err.promise = p;
                throw err;
            },
        );
    };
    lean[MARK] = true;
    debuggable.debuggablePromise = lean;
    return true;
}

/** One frame as `Resource.stackTrace` returns it (undefined for a frame without a position). */
export type StackFrame = { uri: string; line: number; column: number } | undefined;
type StackTraceFn = Marked<(skip: number) => StackFrame[]>;
interface ResourceModule { Resource?: { stackTrace?: StackTraceFn } }

function returnSites(_err: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] {
    return sites;
}

/**
 * The raw stack below `below`, as V8 describes each call site (generated-code positions, no source maps),
 * or undefined when the stack cannot be read that way. Everything the installed formatter reads from a
 * call site is in V8's text of it, except whether it is top-level or a constructor, which is added.
 */
export function rawStackKey(below: Function): string | undefined {
    const descriptor = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
    if (descriptor && !("value" in descriptor && descriptor.writable)) return undefined;
    const prepare = Error.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    try {
        Error.prepareStackTrace = returnSites;
        Error.stackTraceLimit = Number.POSITIVE_INFINITY;
        const holder: { stack?: unknown } = {};
        Error.captureStackTrace(holder, below);
        const sites = holder.stack;
        if (!Array.isArray(sites)) return undefined;
        let key = "";
        for (const site of sites as NodeJS.CallSite[]) key += `${site}\t${site.isToplevel()}${site.isConstructor()}\n`;
        return key;
    } finally {
        Error.prepareStackTrace = prepare;
        Error.stackTraceLimit = limit;
    }
}

const positionCounts = { calls: 0, computed: 0 };

/** How often the memoized `Resource.stackTrace` was called, and how often it had to run the original. */
export function leanPositionStats(): { calls: number; computed: number } {
    return { ...positionCounts };
}

function memoizeStackTrace(resourceModule: ResourceModule): boolean {
    const resource = resourceModule?.Resource;
    const original = resource?.stackTrace;
    if (!resource || typeof original !== "function" || original.length !== 1 || original[MARK]) return false;
    if (typeof Error.captureStackTrace !== "function") return false;
    const known = new Map<string, readonly StackFrame[]>();
    const lean: StackTraceFn = function stackTrace(this: unknown, skip: number): StackFrame[] {
        positionCounts.calls++;
        const raw = rawStackKey(lean);
        // Called from here, the original sees one more frame (this one) on top: skip it too.
        if (raw === undefined) {
            positionCounts.computed++;
            return original.call(this, skip + 1);
        }
        const key = `${skip}\n${raw}`;
        let frames = known.get(key);
        if (!frames) {
            positionCounts.computed++;
            frames = original.call(this, skip + 1).map(f => (f ? Object.freeze({ uri: f.uri, line: f.line, column: f.column }) : f));
            known.set(key, frames);
        }
        return frames.slice();
    };
    lean[MARK] = true;
    // Called from here the original must see exactly one more frame: checked once, on the same call site, so
    // a Pulumi whose stackTrace counts frames differently keeps its own.
    const probe = (fn: StackTraceFn) => fn.call(resource, 1);
    const [direct, memoized] = [original, lean].map(fn => JSON.stringify(probe(fn)));
    positionCounts.calls = 0;
    positionCounts.computed = 0;
    if (direct !== memoized || direct === "[]") return false;
    resource.stackTrace = lean;
    return true;
}

/** Applies the layers (see the module comment); idempotent. */
export function applyLeanPulumi(
    env: NodeJS.ProcessEnv = process.env,
    load: (id: string) => unknown = require,
): LeanResult {
    const none: LeanResult = { promises: false, stacks: false, positions: false };
    if (OFF.has(String(env.GUARDPOST_LEAN_PULUMI ?? "").toLowerCase())) return none;
    let promises = false;
    let stacks = false;
    if (!env.PULUMI_DEBUG_PROMISE_LEAKS) {
        try {
            promises = replaceDebuggablePromise(
                load("@pulumi/pulumi/runtime/debuggable") as DebuggableModule,
                load("@pulumi/pulumi/runtime/state") as StateModule,
            );
        } catch {
            promises = false;
        }
        // Only needed when the bookkeeping could not be replaced (and not already replaced earlier).
        const replaced = (() => { try { return Boolean((load("@pulumi/pulumi/runtime/debuggable") as DebuggableModule).debuggablePromise?.[MARK]); } catch { return false; } })();
        if (!replaced) stacks = installStackFilter();
    }
    let positions = false;
    try {
        positions = memoizeStackTrace(load("@pulumi/pulumi/resource") as ResourceModule);
    } catch {
        positions = false;
    }
    return { promises, stacks, positions };
}

applyLeanPulumi();
