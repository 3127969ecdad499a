import { expect } from "chai";
import { callDeadline } from "../functions/telegram-alert/telegramAlert";

describe("telegram-alert: each AWS call is bounded by an AbortSignal, not by a newer SDK option", () => {
    it("aborts at the call's own bound when the invocation has more time", async () => {
        const invocation = new AbortController();
        const started = Date.now();
        const signal = callDeadline(invocation.signal, 60);
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        expect(Date.now() - started).to.be.within(40, 500);
        expect((signal.reason as Error).name).to.equal("TimeoutError");
        expect(invocation.signal.aborted).to.equal(false);
    });

    it("aborts with the invocation's deadline when that comes first", () => {
        const invocation = new AbortController();
        const signal = callDeadline(invocation.signal, 60_000);
        expect(signal.aborted).to.equal(false);
        invocation.abort(new Error("Lambda deadline"));
        expect(signal.aborted).to.equal(true);
        expect((signal.reason as Error).message).to.equal("Lambda deadline");
    });

    it("bounds a call made without an invocation deadline too", () => {
        const signal = callDeadline(undefined, 60_000);
        expect(signal).to.be.instanceOf(AbortSignal);
        expect(signal.aborted).to.equal(false);
    });
});
