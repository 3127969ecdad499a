import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { domainAlarmSpecs } from "../components/siem/siemAlarms";

describe("SIEM alarms: every alarm has its runbook line in the README", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### SIEM alarms"), readme.indexOf("### Replay"));
    // A runbook entry is a bullet whose bold names list the alarm ids it covers: "- **kms-error / kms-inaccessible** (…)".
    const documented = new Map<string, string>();
    for (const m of section.matchAll(/^- \*\*([^*]+)\*\* \(([^)]*)\)/gm)) {
        for (const id of m[1].split("/").map(s => s.trim())) documented.set(id, m[2]);
    }

    it("names each alarm of the largest domain (dedicated masters) with its metric", () => {
        const specs = domainAlarmSpecs({ domainName: "siem-prod", dataNodes: 3, volumeSizeGiB: 100, dedicatedMasters: 3 });
        expect(specs.length).to.be.greaterThan(10);
        for (const s of specs) {
            expect(documented.has(s.id), `README "SIEM alarms" has no runbook line for ${s.id}`).to.equal(true);
        }
        // The metric is named in the entry that covers the alarm (one entry may cover several alarms).
        const entryText = (id: string) => [...section.split("\n- ")].find(e => e.startsWith(`**`) && e.slice(2, e.indexOf("**", 2)).split("/").map(x => x.trim()).includes(id)) ?? "";
        for (const s of specs) expect(entryText(s.id), s.id).to.contain(s.metricName);
    });

    it("documents no alarm that is not declared", () => {
        const ids = new Set(domainAlarmSpecs({ domainName: "siem-prod", dataNodes: 3, volumeSizeGiB: 100, dedicatedMasters: 3 }).map(s => s.id));
        expect([...documented.keys()].filter(id => !ids.has(id))).to.deep.equal([]);
    });
});
