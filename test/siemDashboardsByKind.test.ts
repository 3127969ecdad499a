import { expect } from "chai";
import { cloudtrailVisualizations } from "../components/siem/siemDashboards";
import { dashboardId, kindDashboard, kindVisualizations, viewsOf } from "../components/siem/siemDashboardsByKind";
import { indexTemplate, LOG_KINDS, LogKind } from "../components/siem/siemTemplates";

/** The field's mapping in the kind's template (dotted path), or undefined. */
function mappingOf(kind: LogKind, field: string): any {
    let props: any = indexTemplate(kind, 13).template.mappings.properties;
    const parts = field.split(".");
    for (let i = 0; i < parts.length; i++) {
        const f = props?.[parts[i]];
        if (i === parts.length - 1) return f;
        props = f?.properties;
    }
    return undefined;
}

const AGGREGATABLE = ["keyword", "ip", "long", "date", "geo_point"];

describe("a dashboard for every log type", () => {
    it("every log type has a dashboard of at least three views, on its own index pattern", () => {
        for (const kind of LOG_KINDS) {
            const vis = [...(kind === "cloudtrail" ? cloudtrailVisualizations() : []), ...kindVisualizations(kind)];
            const d = kindDashboard(kind, vis.map(v => v.objectId));
            expect(d.objectId).to.equal(dashboardId(kind));
            expect(d.references.length, kind).to.be.at.least(3);
            for (const v of kindVisualizations(kind)) expect(v.references, v.objectId).to.deep.equal([{ name: "kibanaSavedObjectMeta.searchSourceJSON.index", type: "index-pattern", id: `guardpost-${kind}` }]);
        }
    });

    it("has the views an analyst opens first", () => {
        const titles = (kind: LogKind) => viewsOf(kind).map(v => `${v.title} [${v.query ?? ""}]`).join("\n");
        expect(titles("vpcflow")).to.match(/top talkers/).and.match(/top rejected sources \[action:REJECT\]/);
        expect(titles("waf")).to.match(/blocked requests by rule \[action:BLOCK\]/).and.match(/blocked requests by country \[action:BLOCK\]/);
        expect(titles("dns")).to.match(/NXDOMAIN answers over time \(spikes\) \[rcode:NXDOMAIN\]/);
        expect(titles("securityhub")).to.match(/failed findings by severity \[detail.findings.Compliance.Status:FAILED\]/).and.match(/failed findings by account/);
        expect(titles("cloudtrail")).to.match(/console logins by country \[eventName:ConsoleLogin\]/).and.match(/root user activity \[userIdentity.type:Root\]/)
            .and.match(/access denied by principal \[errorCode:AccessDenied\* or errorCode:\*UnauthorizedOperation\]/);
    });

    it("aggregates and queries only fields the kind's template maps with an aggregatable type", () => {
        for (const kind of LOG_KINDS) {
            for (const view of viewsOf(kind)) {
                const aggs: any[] = (view.visState as any).aggs;
                const fields = [...aggs.map(a => a.params?.field).filter(Boolean), ...(view.queryFields ?? [])];
                expect(fields.length, view.id).to.be.greaterThan(0);
                for (const f of fields) expect(AGGREGATABLE, `${view.id}: ${f} is ${JSON.stringify(mappingOf(kind, f))}`).to.include(mappingOf(kind, f)?.type);
            }
        }
    });
});
