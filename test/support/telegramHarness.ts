import { LogFn, makeTelegramAlertHandler, TelegramAlertDeps } from "../../functions/telegram-alert/telegramAlert";
import { startTelegramPeer, TelegramPeer } from "./telegramPeer";

const tg = require("node-telegram-bot-api");

export interface TelegramHarness {
    /** The loopback Bot API, started before the block's tests and reset before each. */
    peer: TelegramPeer;
    /** What the handler logged in the current test (the same array throughout: cleared before each test). */
    readonly logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
    log: LogFn;
    /** A node-telegram-bot-api client on the peer, with short test deadlines. */
    api(o?: Record<string, unknown>): any;
    /** The telegram-alert handler on the peer's chat, for `stage`. */
    handler(o?: Partial<TelegramAlertDeps> & { client?: any }): ReturnType<typeof makeTelegramAlertHandler>;
}

/** Registers the peer's hooks in the calling `describe` block and returns what its tests use. */
export function telegramHarness(stage: string): TelegramHarness {
    const logs: TelegramHarness["logs"] = [];
    const h: TelegramHarness = {
        peer: undefined as unknown as TelegramPeer,
        logs,
        log: (level, msg, fields) => { logs.push({ level, msg, fields }); },
        api: (o = {}) => new tg.Api(h.peer.token, { apiRoot: h.peer.apiRoot, timeoutMs: 400, maxRetries: 2, retryBackoffMs: 5, maxRetryAfterMs: 2_000, ...o }),
        handler: (o = {}) => {
            const client = o.client ?? h.api();
            return makeTelegramAlertHandler({ stage, chatId: h.peer.chatId, getApi: async () => client, tg, log: h.log, ...o });
        },
    };
    before(async () => { h.peer = await startTelegramPeer(); });
    after(async () => { await h.peer.close(); });
    beforeEach(() => { h.peer.reset(); logs.length = 0; });
    return h;
}
