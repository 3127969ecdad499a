import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "fixtures");

function files(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

/** Table rows of a PROVENANCE.md that name `file` in their first cell. */
function rowsNaming(provenance: string, file: string): string[] {
    return provenance.split("\n").filter(l => l.startsWith("|") && (l.split("|")[1] ?? "").includes(`\`${file}\``));
}

describe("test fixtures (the repository stands on its own)", () => {
    const all = files(ROOT);
    const data = all.filter(f => !/(PROVENANCE|README)\.md$/.test(f));

    it("stay small: under 2 MB in all", () => {
        const bytes = all.reduce((n, f) => n + fs.statSync(f).size, 0);
        expect(bytes).to.be.below(2 * 1024 * 1024);
    });

    it("give every data file a provenance row with a licence this Apache-2.0 project can ship", () => {
        expect(data.length).to.be.greaterThan(20);
        const compatible = /MIT|Apache-2\.0|CC BY-SA 4\.0|constructed|derived/i;
        for (const file of data) {
            const provenance = fs.readFileSync(path.join(path.dirname(file), "PROVENANCE.md"), "utf8");
            const rows = rowsNaming(provenance, path.basename(file));
            expect(rows, `${path.relative(ROOT, file)} has no row in its PROVENANCE.md`).to.not.be.empty;
            for (const row of rows) {
                expect(row, path.relative(ROOT, file)).to.match(compatible);
                expect(row, path.relative(ROOT, file)).to.not.match(/Elastic License/i);
            }
        }
    });

    it("are the only fixtures the tests read: nothing outside the repository", () => {
        const sources = files(__dirname).filter(f => f.endsWith(".ts") && !f.includes(`${path.sep}fixtures${path.sep}`));
        for (const f of sources) expect(fs.readFileSync(f, "utf8"), f).to.not.match(/"shared",\s*"fixtures"|\.\.\/shared\/fixtures/);
    });
});
