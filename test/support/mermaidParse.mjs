// Parses Mermaid text from stdin with the real mermaid parser (ESM-only, needs a DOM: jsdom).
// Prints {"diagramType": …} and exits 0, or prints the parse error and exits 1.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const mermaid = (await import("mermaid")).default;

let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
    const result = await mermaid.parse(text);
    process.stdout.write(JSON.stringify({ diagramType: result.diagramType }) + "\n");
} catch (e) {
    process.stdout.write(String(e?.message ?? e) + "\n");
    process.exit(1);
}
