import * as http from "http";
import { AddressInfo } from "net";

/**
 * A loopback stand-in for the Telegram Bot API's `sendMessage`, faithful in the ways an alerting
 * client can get wrong: token and chat checks, the 4096-unit text limit after entities, entities that
 * run past the text, and Telegram's error envelope `{"ok":false,"error_code":N,"description":"..."}`
 * with the same HTTP status. Failures can be scripted per request (429 + retry_after, 500, 400, hang).
 */

export type ScriptedFailure =
    | { kind: "429"; retryAfter: number }
    | { kind: "500" }
    | { kind: "400"; description: string }
    | { kind: "hang" };

export interface AcceptedMessage {
    message_id: number;
    chat_id: string;
    text: string;
    entities: any[];
    reply_markup?: any;
    parse_mode?: string;
    link_preview_options?: any;
    contentType: string;
}

export interface TelegramPeer {
    apiRoot: string;
    token: string;
    chatId: string;
    /** Every message accepted, in order. */
    messages: AcceptedMessage[];
    /** Every request that reached the server, accepted or not. */
    requests: Array<{ method: string; path: string; status: number | "hung" }>;
    /** Queues failures answered to the next requests, in order, before any validation. */
    script(...failures: ScriptedFailure[]): void;
    reset(): void;
    close(): Promise<void>;
}

const TEXT_LIMIT = 4096;
const MAX_BODY = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
                reject(new Error("body too large"));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

/**
 * Bot API parameters arrive either as a JSON object or urlencoded, where structured fields (entities,
 * reply_markup) are JSON strings — the library sends the latter. Normalise both to objects.
 */
function parseParams(contentType: string, body: string): Record<string, any> {
    if (contentType.startsWith("application/json")) return body ? JSON.parse(body) : {};
    const out: Record<string, any> = {};
    for (const [k, v] of new URLSearchParams(body)) out[k] = v;
    return out;
}

function structured(value: unknown, field: string): any {
    if (value === undefined || typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        throw new BadRequest(`Bad Request: can't parse ${field} JSON object`);
    }
}

class BadRequest extends Error {}

function validateSendMessage(p: Record<string, any>, chatId: string): Omit<AcceptedMessage, "message_id" | "contentType"> {
    if (p.chat_id === undefined || p.chat_id === "") throw new BadRequest("Bad Request: chat_id is empty");
    if (String(p.chat_id) !== chatId) throw new BadRequest("Bad Request: chat not found");
    const text = typeof p.text === "string" ? p.text : p.text === undefined ? "" : String(p.text);
    if (text.trim().length === 0) throw new BadRequest("Bad Request: message text is empty");
    // JS length counts UTF-16 units, the unit Telegram uses for the limit and for entity offsets.
    if (text.length > TEXT_LIMIT) throw new BadRequest("Bad Request: message is too long");
    const entities = structured(p.entities, "entities") ?? [];
    if (!Array.isArray(entities)) throw new BadRequest("Bad Request: can't parse entities JSON object");
    for (const e of entities) {
        if (!Number.isInteger(e?.offset) || !Number.isInteger(e?.length) || e.offset < 0 || e.length < 1 ||
            typeof e.type !== "string") {
            throw new BadRequest("Bad Request: can't parse entities: invalid entity");
        }
        if (e.offset + e.length > text.length) {
            throw new BadRequest(`Bad Request: can't parse entities: entity beginning at UTF-16 offset ${e.offset} ends after the end of the text`);
        }
    }
    if (p.parse_mode !== undefined && entities.length) {
        throw new BadRequest("Bad Request: can't use parse_mode together with entities");
    }
    const replyMarkup = structured(p.reply_markup, "reply_markup");
    if (replyMarkup !== undefined) {
        if (!Array.isArray(replyMarkup.inline_keyboard)) throw new BadRequest("Bad Request: can't parse reply keyboard markup JSON object");
        for (const row of replyMarkup.inline_keyboard) {
            for (const button of row) {
                if (typeof button.text !== "string" || !button.text) throw new BadRequest("Bad Request: BUTTON_TEXT_EMPTY");
                if (button.url !== undefined && !/^(https?|tg):\/\/[^\s]+$/.test(button.url)) {
                    throw new BadRequest(`Bad Request: inline keyboard button URL '${button.url}' is invalid: Wrong HTTP URL`);
                }
            }
        }
    }
    return {
        chat_id: String(p.chat_id),
        text,
        entities,
        reply_markup: replyMarkup,
        parse_mode: p.parse_mode,
        link_preview_options: structured(p.link_preview_options, "link_preview_options"),
    };
}

export async function startTelegramPeer(opts: { token?: string; chatId?: string } = {}): Promise<TelegramPeer> {
    const token = opts.token ?? "123456789:AAF-peer_token_for_tests_only-0123456";
    const chatId = opts.chatId ?? "-1001234567890";
    const messages: AcceptedMessage[] = [];
    const requests: TelegramPeer["requests"] = [];
    let queue: ScriptedFailure[] = [];
    let nextId = 1;

    function reply(res: http.ServerResponse, record: { method: string; path: string }, status: number, body: unknown) {
        requests.push({ ...record, status });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
    }

    function fail(res: http.ServerResponse, record: { method: string; path: string }, status: number, description: string, parameters?: object) {
        reply(res, record, status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
    }

    const server = http.createServer(async (req, res) => {
        const path = (req.url ?? "").split("?")[0];
        const record = { method: req.method ?? "", path: path.replace(token, "<token>") };
        let body: string;
        try {
            body = await readBody(req);
        } catch {
            return fail(res, record, 413, "Request Entity Too Large");
        }
        const scripted = queue.shift();
        if (scripted?.kind === "hang") {
            requests.push({ ...record, status: "hung" });
            return; // never answer; the client's timeout must fire
        }
        if (scripted?.kind === "429") {
            return fail(res, record, 429, `Too Many Requests: retry after ${scripted.retryAfter}`, { retry_after: scripted.retryAfter });
        }
        if (scripted?.kind === "500") return fail(res, record, 500, "Internal Server Error");
        if (scripted?.kind === "400") return fail(res, record, 400, scripted.description);

        const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(path);
        if (!m) return fail(res, record, 404, "Not Found");
        if (m[1] !== token) return fail(res, record, 401, "Unauthorized");
        if (m[2] !== "sendMessage") return fail(res, record, 404, "Not Found: method not found");
        if (req.method !== "POST") return fail(res, record, 405, "Method Not Allowed");
        const contentType = String(req.headers["content-type"] ?? "");
        try {
            const accepted = validateSendMessage(parseParams(contentType, body), chatId);
            const message_id = nextId++;
            messages.push({ ...accepted, message_id, contentType });
            return reply(res, record, 200, {
                ok: true,
                result: {
                    message_id,
                    from: { id: Number(token.split(":")[0]), is_bot: true, first_name: "guardpost", username: "guardpost_test_bot" },
                    chat: { id: Number(chatId), title: "security", type: "supergroup" },
                    date: Math.floor(Date.now() / 1000),
                    text: accepted.text,
                    ...(accepted.entities.length ? { entities: accepted.entities } : {}),
                    ...(accepted.reply_markup ? { reply_markup: accepted.reply_markup } : {}),
                },
            });
        } catch (err) {
            if (err instanceof BadRequest) return fail(res, record, 400, err.message);
            if (err instanceof SyntaxError) return fail(res, record, 400, "Bad Request: can't parse JSON");
            throw err;
        }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;

    return {
        apiRoot: `http://127.0.0.1:${port}`,
        token,
        chatId,
        messages,
        requests,
        script: (...failures) => { queue.push(...failures); },
        reset: () => { messages.length = 0; requests.length = 0; queue = []; },
        close: () => new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
