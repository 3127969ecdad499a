import { expect } from "chai";
import { OpenSearchPeer } from "./support/opensearchPeer";

/**
 * The peer's component templates and Security Analytics' mappings API (test/support/opensearchPeerSaMappings.ts):
 * what decides whether an index created next month has the aliases a detection rule reads.
 */

async function call(peer: OpenSearchPeer, method: string, path: string, body?: unknown) {
    const res = await fetch(peer.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json" } });
    const raw = await res.text();
    return { status: res.status, body: raw ? JSON.parse(raw) : undefined };
}

const ALIAS = { type: "alias", path: "query_name" };
const nested = (leaf: object) => ({ properties: { question: { properties: { name: leaf } } } });

describe("OpenSearchPeer: component templates and Security Analytics alias mappings", () => {
    let peer: OpenSearchPeer;
    beforeEach(async () => { peer = await OpenSearchPeer.start(); });
    afterEach(async () => { await peer.close(); });

    it("composes component templates into a new index in composed_of order, the index template's own settings and mappings winning", async () => {
        expect((await call(peer, "PUT", "/_component_template/base", { template: { settings: { index: { number_of_replicas: 2, refresh_interval: "5s" } },
            mappings: { properties: { who: { type: "text" }, "dns.question.name": ALIAS } } } })).body).to.deep.equal({ acknowledged: true });
        await call(peer, "PUT", "/_component_template/extra", { template: { mappings: { properties: { extra: { type: "long" } } } } });
        expect((await call(peer, "PUT", "/_index_template/t", { index_patterns: ["t-*"], composed_of: ["base", "extra"],
            template: { settings: { index: { number_of_replicas: 0 } }, mappings: { properties: { who: { type: "keyword" }, query_name: { type: "keyword" } } } } })).status).to.equal(200);
        await call(peer, "PUT", "/t-1", {});
        const ix = peer.index("t-1")!;
        expect(ix.settings).to.include({ "index.number_of_replicas": "0", "index.refresh_interval": "5s" });
        expect(ix.mappings.properties).to.deep.equal({ who: { type: "keyword" }, dns: nested(ALIAS), extra: { type: "long" }, query_name: { type: "keyword" } });
        // A component applies at index creation only: a change reaches the next index, never t-1.
        await call(peer, "PUT", "/_component_template/extra", { template: { mappings: { properties: { extra: { type: "keyword" } } } } });
        await call(peer, "PUT", "/t-2", {});
        expect(peer.index("t-2")!.mappings.properties!.extra).to.deep.equal({ type: "keyword" });
        expect(peer.index("t-1")!.mappings.properties!.extra).to.deep.equal({ type: "long" });
        const got = await call(peer, "GET", "/_component_template/extra");
        expect(got.body.component_templates).to.deep.equal([{ name: "extra", component_template: { template: { mappings: { properties: { extra: { type: "keyword" } } } } } }]);
    });

    it("refuses a template composed of a missing component, and deleting a component a template still composes", async () => {
        const missing = await call(peer, "PUT", "/_index_template/t", { index_patterns: ["t-*"], composed_of: ["nope"] });
        expect(missing.status).to.equal(400);
        expect(missing.body.error).to.include({ type: "invalid_index_template_exception",
            reason: "index_template [t] invalid, cause [index template [t] specifies component templates [nope] that do not exist]" });
        await call(peer, "PUT", "/_component_template/c", { template: {} });
        await call(peer, "PUT", "/_index_template/t", { index_patterns: ["t-*"], composed_of: ["c"] });
        const inUse = await call(peer, "DELETE", "/_component_template/c");
        expect(inUse.status).to.equal(400);
        expect(inUse.body.error.reason).to.equal("component templates [c] cannot be removed as they are still in use by index templates [t]");
        await call(peer, "PUT", "/_index_template/t", { index_patterns: ["t-*"] });
        expect((await call(peer, "DELETE", "/_component_template/c")).body).to.deep.equal({ acknowledged: true });
        expect((await call(peer, "GET", "/_component_template/c")).status).to.equal(404);
    });

    it("the mappings API for a pattern aliases the existing indices and composes the aliases into the highest-priority matching template, once", async () => {
        await call(peer, "PUT", "/_index_template/low", { index_patterns: ["*"], priority: 1 });
        await call(peer, "PUT", "/_index_template/dns", { index_patterns: ["dns-*"], priority: 100, template: { mappings: { properties: { query_name: { type: "keyword" }, rcode: { type: "keyword" } } } } });
        await call(peer, "PUT", "/dns-2024-01", {});
        await call(peer, "PUT", "/dns-2024-02", {});
        const mappings = { index_name: "dns-*", rule_topic: "dns", partial: true, alias_mappings: { properties: {
            "dns.question.name": ALIAS, "dns.answers.name": { type: "alias", path: "answers.rdata" }, rcode: { type: "alias", path: "query_name" } } } };
        expect((await call(peer, "POST", "/_plugins/_security_analytics/mappings", mappings)).body).to.deep.equal({ acknowledged: true });
        // Applicable aliases only: answers.rdata is not mapped (partial), rcode is a field already.
        for (const name of ["dns-2024-01", "dns-2024-02"]) expect(peer.index(name)!.mappings.properties!.dns).to.deep.equal(nested(ALIAS));
        expect(peer.componentTemplates.get(".opensearch-sap-alias-mappings-component-dns-")).to.deep.equal({ version: 0,
            template: { mappings: { properties: { query_name: { type: "keyword" }, "dns.question.name": ALIAS } } } });
        expect(peer.templates.get("dns")).to.deep.include({ index_patterns: ["dns-*", "dns-*"], composed_of: [".opensearch-sap-alias-mappings-component-dns-"] });
        expect(peer.templates.get("low").composed_of).to.equal(undefined);
        await call(peer, "POST", "/_plugins/_security_analytics/mappings", mappings);
        expect(peer.templates.get("dns").composed_of).to.have.length(1);
        await call(peer, "PUT", "/dns-2024-03", {});
        expect(peer.index("dns-2024-03")!.mappings.properties!.dns).to.deep.equal(nested(ALIAS));
    });

    it("the mappings API for a concrete index changes only that index; with no matching template it makes its own", async () => {
        await call(peer, "PUT", "/_index_template/dns", { index_patterns: ["dns-*"], priority: 100, template: { mappings: { properties: { query_name: { type: "keyword" } } } } });
        await call(peer, "PUT", "/dns-2024-01", {});
        const body = (index: string) => ({ index_name: index, rule_topic: "dns", partial: true, alias_mappings: { properties: { "dns.question.name": ALIAS } } });
        await call(peer, "POST", "/_plugins/_security_analytics/mappings", body("dns-2024-01"));
        expect(peer.index("dns-2024-01")!.mappings.properties!.dns).to.deep.equal(nested(ALIAS));
        expect(peer.componentTemplates.size).to.equal(0);
        expect(peer.templates.get("dns").composed_of).to.equal(undefined);

        await call(peer, "PUT", "/resolver-a", { mappings: { properties: { query_name: { type: "keyword" } } } });
        await call(peer, "POST", "/_plugins/_security_analytics/mappings", body("resolver-*"));
        expect(peer.templates.get(".opensearch-sap-alias-mappings-index-template-resolver-")).to.deep.equal({
            index_patterns: ["resolver-*"], composed_of: [".opensearch-sap-alias-mappings-component-resolver-"] });
        expect((await call(peer, "POST", "/_plugins/_security_analytics/mappings", body("nothing-*"))).status).to.equal(404);
    });
});
