// One cold start, as Lambda's Node.js runtime does it: load the handler from the task directory, then
// hand it one event. Plain JavaScript, run by `node` with nothing preloaded: the only code on the path is
// Node itself, the archive's files (argv[2]) and, through NODE_PATH, the emulated runtime's SDK.
// Prints one JSON line. Times are performance.now(): milliseconds since this process started.
"use strict";
const path = require("path");
const fs = require("fs");

async function main() {
    const [taskDir, eventFile] = process.argv.slice(2);
    const event = JSON.parse(fs.readFileSync(eventFile, "utf8"));
    const bootMs = performance.now();
    const handler = require(path.join(taskDir, "__index.js")).handler;
    const loadedMs = performance.now();
    const deadline = Date.now() + 30_000;
    const result = await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
    const handledMs = performance.now();
    const summary = result && typeof result === "object"
        ? { status: result.status, indexed: result.indexed, records: Array.isArray(result.records) ? result.records.length : undefined }
        : { value: String(result) };
    process.stdout.write(JSON.stringify({ bootMs, loadMs: loadedMs - bootMs, firstEventMs: handledMs - loadedMs, coldStartMs: handledMs - bootMs, result: summary }) + "\n");
}

main().then(() => process.exit(0), (err) => {
    process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + "\n");
    process.exit(1);
});
