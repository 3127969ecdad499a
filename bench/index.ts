/**
 * `npm run bench`: every benchmark, each printing ratios measured side by side in this one run (the
 * machines are noisy, so absolute numbers from different runs are not comparable). Not a test.
 * `npm run bench -- scale` (or alerting, logs) runs one section.
 */
const sections: Record<string, () => Promise<string[]>> = {
    alerting: () => require("./alerting").benchAlerting(),
    functions: () => require("./functions").benchFunctions(),
    logs: () => require("./logs").benchLogs(),
    scale: () => require("./scale").benchScale(),
    // Not in the default run: the whole 50 × 17 estate as one stack (minutes, ~8 GiB).
    "scale-single": () => require("./scale").benchScaleSingle(),
};

async function main(): Promise<void> {
    const wanted = process.argv.slice(2);
    for (const name of wanted.length > 0 ? wanted : Object.keys(sections).filter((n) => n !== "scale-single")) {
        const section = sections[name];
        if (!section) throw new Error(`unknown bench section '${name}'; known: ${Object.keys(sections).join(", ")}`);
        const started = Date.now();
        const lines = await section();
        console.log(lines.join("\n"));
        console.log(`  (${name} took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    }
}

main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });
