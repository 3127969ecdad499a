import { createTelegramAlertHandler } from "../functions/telegram-alert/telegramAlert";
import { buildFindingMessage, parseFindingEvent } from "../functions/telegram-alert/findingMessage";
import { startTelegramPeer, TelegramPeer } from "../test/support/telegramPeer";
import { findingEvents } from "../test/support/alertFixtures";

const ROUNDS = 20;
const WARMUP_ROUNDS = 2;
const TIME_CAP_MS = 15_000;

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

/**
 * Handler time per finding against the loopback peer, next to the floor measured in the same run: a raw
 * `fetch` POST of the same message (text, entities, button) as JSON to the same peer. The ratio is the
 * handler's own overhead (parsing, message building, the client's form encoding and envelope handling).
 */
async function handlerTiming(peer: TelegramPeer): Promise<string> {
    const tg = require("node-telegram-bot-api");
    const events = findingEvents().filter((e) => parseFindingEvent(e).kind === "finding");
    const saved = { ...process.env };
    Object.assign(process.env, { TELEGRAM_BOT_TOKEN: peer.token, TELEGRAM_API_ROOT: peer.apiRoot, TELEGRAM_CHAT_ID: peer.chatId, STAGE: "bench" });
    delete process.env.DEDUP_TABLE;
    delete process.env.TELEGRAM_TOKEN_PARAMETER;
    const handler = createTelegramAlertHandler();
    process.env = saved;

    const url = `${peer.apiRoot}/bot${peer.token}/sendMessage`;
    const bodies = events.map((e) => {
        const parsed = parseFindingEvent(e);
        if (parsed.kind !== "finding") throw new Error("unreachable");
        const m = buildFindingMessage(parsed.finding, { stage: "bench" }, tg);
        return JSON.stringify({ chat_id: peer.chatId, text: m.text, entities: m.entities, reply_markup: m.replyMarkup, link_preview_options: { is_disabled: true } });
    });
    const rawPost = async (body: string) => {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
        const json: any = await res.json();
        if (!json.ok) throw new Error(`peer refused the baseline body: ${json.description}`);
    };

    const handlerMs: number[] = [];
    const rawMs: number[] = [];
    const quiet = { log: console.log };
    // The handler's JSON log line is still built; only the terminal write is skipped, to keep output readable.
    console.log = () => undefined;
    const started = Date.now();
    try {
        for (let round = 0; round < WARMUP_ROUNDS + ROUNDS && Date.now() - started < TIME_CAP_MS; round++) {
            for (let i = 0; i < events.length; i++) {
                let t = process.hrtime.bigint();
                const r: any = await handler(events[i]);
                const h = Number(process.hrtime.bigint() - t) / 1e6;
                if (r.status !== "sent") throw new Error(`handler did not send: ${JSON.stringify(r)}`);
                t = process.hrtime.bigint();
                await rawPost(bodies[i]);
                const b = Number(process.hrtime.bigint() - t) / 1e6;
                if (round >= WARMUP_ROUNDS) {
                    handlerMs.push(h);
                    rawMs.push(b);
                }
            }
            peer.reset();
        }
    } finally {
        console.log = quiet.log;
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const hs = [...handlerMs].sort((a, b) => a - b);
    const rs = [...rawMs].sort((a, b) => a - b);
    return `alerting: telegram-alert handler ${ms(mean(hs))}/finding (p50 ${ms(percentile(hs, 0.5))}, p95 ${ms(percentile(hs, 0.95))}, n=${hs.length}) ` +
        `vs raw fetch POST ${ms(mean(rs))}/request (p50 ${ms(percentile(rs, 0.5))}) -> ${(mean(hs) / mean(rs)).toFixed(2)}x baseline`;
}

export async function benchAlerting(): Promise<string[]> {
    const lines: string[] = [];
    const peer = await startTelegramPeer();
    try {
        lines.push(await handlerTiming(peer));
    } finally {
        await peer.close();
    }
    lines.push("alerting: telegram-alert archive and cold start: see the functions section");
    return lines;
}
