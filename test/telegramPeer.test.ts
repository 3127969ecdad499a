import { expect } from "chai";
import { startTelegramPeer, TelegramPeer } from "./support/telegramPeer";

describe("loopback Bot API peer fidelity", () => {
    let peer: TelegramPeer;
    before(async () => { peer = await startTelegramPeer(); });
    after(async () => { await peer.close(); });
    beforeEach(() => peer.reset());

    const post = (body: unknown, token = peer.token) => fetch(`${peer.apiRoot}/bot${token}/sendMessage`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, json: await r.json() as any }));

    it("accepts a JSON body and answers with Telegram's success envelope", async () => {
        const r = await post({ chat_id: peer.chatId, text: "hi", entities: [{ type: "bold", offset: 0, length: 2 }] });
        expect(r.status).to.equal(200);
        expect(r.json.ok).to.equal(true);
        expect(r.json.result.message_id).to.equal(1);
        expect(peer.messages[0].contentType).to.equal("application/json");
    });

    it("rejects text over 4096 UTF-16 units with Telegram's 400 envelope", async () => {
        const r = await post({ chat_id: peer.chatId, text: "🔥".repeat(2049) });
        expect(r.status).to.equal(400);
        expect(r.json).to.deep.equal({ ok: false, error_code: 400, description: "Bad Request: message is too long" });
        expect((await post({ chat_id: peer.chatId, text: "🔥".repeat(2048) })).status).to.equal(200);
    });

    it("rejects an entity that ends past the text", async () => {
        const r = await post({ chat_id: peer.chatId, text: "abc", entities: [{ type: "bold", offset: 1, length: 3 }] });
        expect(r.status).to.equal(400);
        expect(r.json.description).to.match(/^Bad Request: can't parse entities/);
    });

    it("rejects an unknown chat, an empty text and a wrong token like Telegram", async () => {
        expect((await post({ chat_id: "42", text: "x" })).json.description).to.equal("Bad Request: chat not found");
        expect((await post({ chat_id: peer.chatId, text: " " })).json.description).to.equal("Bad Request: message text is empty");
        const unauthorized = await post({ chat_id: peer.chatId, text: "x" }, "1:wrong");
        expect(unauthorized).to.deep.equal({ status: 401, json: { ok: false, error_code: 401, description: "Unauthorized" } });
        expect(peer.messages).to.have.length(0);
    });

    it("answers scripted 429s with parameters.retry_after", async () => {
        peer.script({ kind: "429", retryAfter: 7 });
        const r = await post({ chat_id: peer.chatId, text: "x" });
        expect(r.status).to.equal(429);
        expect(r.json.parameters).to.deep.equal({ retry_after: 7 });
    });
});
