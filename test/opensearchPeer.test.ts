import { expect } from "chai";
import { OpenSearchPeer } from "./support/opensearchPeer";

async function call(peer: OpenSearchPeer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const res = await fetch(peer.url + path, { method, body: text, headers: { "content-type": "application/json", ...headers } });
    const raw = await res.text();
    let json: any;
    try { json = raw ? JSON.parse(raw) : undefined; } catch { json = raw; }
    return { status: res.status, body: json, headers: res.headers };
}

function ndjson(...lines: unknown[]): string {
    return lines.map(l => JSON.stringify(l)).join("\n") + "\n";
}

describe("OpenSearchPeer (loopback OpenSearch 2.x)", () => {
    let peer: OpenSearchPeer;
    beforeEach(async () => { peer = await OpenSearchPeer.start({ maxBodyBytes: 64 * 1024 }); });
    afterEach(async () => { await peer.close(); });

    describe("_bulk", () => {
        it("indexes documents, auto-creates the index and reports per-item results", async () => {
            const res = await call(peer, "POST", "/_bulk", ndjson(
                { index: { _index: "cloudtrail-2024.05.01", _id: "a" } }, { "@timestamp": "2024-05-01T10:00:00Z", eventName: "ConsoleLogin" },
                { create: { _index: "cloudtrail-2024.05.01" } }, { "@timestamp": "2024-05-01T10:01:00Z", eventName: "GetObject" },
            ), { "content-type": "application/x-ndjson" });
            expect(res.status).to.equal(200);
            expect(res.headers.get("content-type")).to.match(/^application\/json/);
            expect(res.body.errors).to.equal(false);
            expect(res.body.took).to.be.a("number");
            expect(res.body.items).to.have.length(2);
            expect(res.body.items[0].index).to.include({ _index: "cloudtrail-2024.05.01", _id: "a", status: 201, result: "created", _version: 1 });
            expect(res.body.items[1].create._id).to.be.a("string").with.length(20);
            expect(peer.indices()).to.deep.equal(["cloudtrail-2024.05.01"]);
            expect(peer.docs("cloudtrail-2024.05.01").get("a")).to.deep.equal({ "@timestamp": "2024-05-01T10:00:00Z", eventName: "ConsoleLogin" });
            expect(peer.requests[0]).to.include({ method: "POST", path: "/_bulk", status: 200 });
        });

        it("answers 409 version_conflict_engine_exception for create on an existing id, and updates on index", async () => {
            await call(peer, "POST", "/logs/_bulk", ndjson({ index: { _id: "1" } }, { a: "x" }));
            const res = await call(peer, "POST", "/logs/_bulk", ndjson({ create: { _id: "1" } }, { a: "y" }, { index: { _id: "1" } }, { a: "z" }));
            expect(res.body.errors).to.equal(true);
            expect(res.body.items[0].create.status).to.equal(409);
            expect(res.body.items[0].create.error.type).to.equal("version_conflict_engine_exception");
            expect(res.body.items[0].create.error.reason).to.equal("[1]: version conflict, document already exists (current version [1])");
            expect(res.body.items[1].index).to.include({ status: 200, result: "updated", _version: 2 });
            expect(peer.docs("logs").get("1")).to.deep.equal({ a: "z" });
        });

        it("rejects a body that is not newline-terminated, and unknown actions, as a whole with 400", async () => {
            const unterminated = await call(peer, "POST", "/_bulk", ndjson({ index: { _index: "x" } }, { a: 1 }).trimEnd());
            expect(unterminated.status).to.equal(400);
            expect(unterminated.body.error.reason).to.equal("The bulk request must be terminated by a newline [\\n]");
            const unknown = await call(peer, "POST", "/_bulk", ndjson({ upsert: { _index: "x" } }, { a: 1 }));
            expect(unknown.status).to.equal(400);
            expect(unknown.body.error.type).to.equal("illegal_argument_exception");
            expect(peer.indices()).to.deep.equal([]);
        });

        it("answers 413 for a body over the configured maximum and stores nothing", async () => {
            const big = ndjson({ index: { _index: "big" } }, { blob: "x".repeat(70 * 1024) });
            const res = await call(peer, "POST", "/_bulk", big);
            expect(res.status).to.equal(413);
            expect(peer.indices()).to.deep.equal([]);
        });

        it("fails only the items a rejectItems predicate selects (429 es_rejected_execution_exception)", async () => {
            peer.rejectItems(a => a.doc.n % 2 === 0 ? { status: 429, type: "es_rejected_execution_exception", reason: "rejected execution of coordinating operation" } : undefined);
            const res = await call(peer, "POST", "/_bulk", ndjson(
                { index: { _index: "x", _id: "1" } }, { n: 1 }, { index: { _index: "x", _id: "2" } }, { n: 2 }));
            expect(res.status).to.equal(200);
            expect(res.body.errors).to.equal(true);
            expect(res.body.items.map((i: any) => i.index.status)).to.deep.equal([201, 429]);
            expect(res.body.items[1].index.error).to.include({ type: "es_rejected_execution_exception" });
            expect([...peer.docs("x").keys()]).to.deep.equal(["1"]);
            peer.rejectItems(undefined);
            const again = await call(peer, "POST", "/_bulk", ndjson({ index: { _index: "x", _id: "2" } }, { n: 2 }));
            expect(again.body.errors).to.equal(false);
        });

        it("rejects a document whose field changes from object to concrete value with mapper_parsing_exception", async () => {
            await call(peer, "POST", "/_bulk", ndjson({ index: { _index: "ct" } }, { requestParameters: { bucketName: "b" } }));
            const res = await call(peer, "POST", "/_bulk", ndjson({ index: { _index: "ct" } }, { requestParameters: "plain" }));
            expect(res.body.items[0].index.status).to.equal(400);
            expect(res.body.items[0].index.error.type).to.equal("mapper_parsing_exception");
            expect(res.body.items[0].index.error.reason).to.contain("object mapping for [requestParameters]");
        });
    });

    describe("index templates and indices", () => {
        const template = {
            index_patterns: ["cloudtrail-*"], priority: 100,
            template: {
                settings: { index: { mapping: { total_fields: { limit: 3 } } } },
                mappings: { dynamic_templates: [{ strings: { match_mapping_type: "string", mapping: { type: "keyword" } } }],
                    properties: { "@timestamp": { type: "date" }, sourceIPAddress: { type: "ip" }, requestParameters: { type: "flat_object" } } },
            },
        };

        it("applies the matching template to an index auto-created by a write and records which one", async () => {
            expect((await call(peer, "PUT", "/_index_template/guardpost-cloudtrail", template)).body).to.deep.equal({ acknowledged: true });
            await call(peer, "POST", "/_bulk", ndjson({ index: { _index: "cloudtrail-2024.05.01" } },
                { "@timestamp": "2024-05-01T00:00:00Z", sourceIPAddress: "198.51.100.7", requestParameters: { a: { b: [1, "x"] } } }));
            const ix = peer.index("cloudtrail-2024.05.01")!;
            expect(ix.template).to.equal("guardpost-cloudtrail");
            expect(ix.mappings.properties!.sourceIPAddress).to.deep.equal({ type: "ip" });
            const got = await call(peer, "GET", "/cloudtrail-2024.05.01");
            expect(got.body["cloudtrail-2024.05.01"].settings.index["mapping.total_fields.limit"]).to.equal("3");
        });

        it("rejects invalid values for typed fields and enforces the total fields limit", async () => {
            await call(peer, "PUT", "/_index_template/t", template);
            const res = await call(peer, "POST", "/_bulk", ndjson(
                { index: { _index: "cloudtrail-a" } }, { sourceIPAddress: "AWS Internal" },
                { index: { _index: "cloudtrail-a" } }, { "@timestamp": "yesterday" },
                { index: { _index: "cloudtrail-a" } }, { eventName: "x", awsRegion: "y" },
            ));
            expect(res.body.items.map((i: any) => i.index.error?.type)).to.deep.equal(["mapper_parsing_exception", "mapper_parsing_exception", "illegal_argument_exception"]);
            expect(res.body.items[2].index.error.reason).to.equal("Limit of total fields [3] has been exceeded");
            // the failed document's dynamic fields were not kept
            expect(Object.keys(peer.index("cloudtrail-a")!.mappings.properties!)).to.deep.equal(["@timestamp", "sourceIPAddress", "requestParameters"]);
        });

        it("takes an object or a list of objects in a flat_object field, and rejects a concrete value or a list of them", async () => {
            await call(peer, "PUT", "/_index_template/t", { ...template, template: { mappings: template.template.mappings } });
            const res = await call(peer, "POST", "/_bulk", ndjson(
                { index: { _index: "cloudtrail-f", _id: "obj" } }, { requestParameters: { bucketName: "b", keys: ["k1", "k2"] } },
                { index: { _index: "cloudtrail-f", _id: "list-of-objects" } }, { requestParameters: [{ a: 1 }, { b: "x" }] },
                { index: { _index: "cloudtrail-f", _id: "string" } }, { requestParameters: "DescribeInstances" },
                { index: { _index: "cloudtrail-f", _id: "list-of-strings" } }, { requestParameters: ["a", "b"] },
            ));
            expect(res.body.items.map((i: any) => i.index.error?.type ?? i.index.status)).to.deep.equal([201, 201, "mapper_parsing_exception", "mapper_parsing_exception"]);
            expect(res.body.items[2].index.error.reason).to.contain("[requestParameters] of type [flat_object]");
        });

        it("refuses templates with the same priority and overlapping patterns, unknown field types, and missing patterns", async () => {
            await call(peer, "PUT", "/_index_template/a", { index_patterns: ["logs-*"] });
            const clash = await call(peer, "PUT", "/_index_template/b", { index_patterns: ["logs-web-*"] });
            expect(clash.status).to.equal(400);
            expect(clash.body.error.reason).to.contain("that have the same priority [0]");
            const typo = await call(peer, "PUT", "/_index_template/c", { index_patterns: ["c-*"], template: { mappings: { properties: { x: { type: "flat_objekt" } } } } });
            expect(typo.body.error).to.include({ type: "mapper_parsing_exception", reason: "No handler for type [flat_objekt] declared on field [x]" });
            const none = await call(peer, "PUT", "/_index_template/d", { template: {} });
            expect(none.status).to.equal(400);
        });

        it("supports template GET/HEAD/DELETE with OpenSearch 404 bodies", async () => {
            await call(peer, "PUT", "/_index_template/a", { index_patterns: ["a-*"], priority: 5 });
            const got = await call(peer, "GET", "/_index_template/a");
            expect(got.body.index_templates[0]).to.deep.equal({ name: "a", index_template: { index_patterns: ["a-*"], priority: 5 } });
            expect((await call(peer, "HEAD", "/_index_template/a")).status).to.equal(200);
            expect((await call(peer, "DELETE", "/_index_template/a")).body).to.deep.equal({ acknowledged: true });
            const missing = await call(peer, "GET", "/_index_template/a");
            expect(missing.status).to.equal(404);
            expect(missing.body.error.type).to.equal("resource_not_found_exception");
            expect((await call(peer, "DELETE", "/_index_template/a")).body.error.type).to.equal("index_template_missing_exception");
        });

        it("creates, describes, lists and deletes indices; 404 index_not_found_exception when missing", async () => {
            expect((await call(peer, "PUT", "/vpcflow-2024.05.01", {})).body).to.deep.equal({ acknowledged: true, shards_acknowledged: true, index: "vpcflow-2024.05.01" });
            expect((await call(peer, "PUT", "/vpcflow-2024.05.01", {})).body.error.type).to.equal("resource_already_exists_exception");
            expect((await call(peer, "PUT", "/Upper", {})).body.error.type).to.equal("invalid_index_name_exception");
            expect((await call(peer, "HEAD", "/vpcflow-2024.05.01")).status).to.equal(200);
            const cat = await call(peer, "GET", "/_cat/indices?format=json");
            expect(cat.body).to.have.length(1);
            expect(cat.body[0]).to.include({ index: "vpcflow-2024.05.01", "docs.count": "0", status: "open" });
            expect((await call(peer, "DELETE", "/vpcflow-2024.05.01")).body).to.deep.equal({ acknowledged: true });
            const missing = await call(peer, "GET", "/vpcflow-2024.05.01");
            expect(missing.status).to.equal(404);
            expect(missing.body.error).to.include({ type: "index_not_found_exception", reason: "no such index [vpcflow-2024.05.01]" });
            expect((await call(peer, "HEAD", "/vpcflow-2024.05.01")).status).to.equal(404);
        });

        it("counts documents across a wildcard, zero when nothing matches", async () => {
            await call(peer, "PUT", "/dns-2024.01.01/_doc/1", { a: 1 });
            await call(peer, "PUT", "/dns-2024.01.02/_doc/1", { a: 1 });
            expect((await call(peer, "GET", "/dns-*/_count")).body.count).to.equal(2);
            expect((await call(peer, "GET", "/waf-*/_count")).body.count).to.equal(0);
            expect((await call(peer, "GET", "/waf-2024.01.01/_count")).status).to.equal(404);
        });

        it("returns documents by id with found:false when absent", async () => {
            await call(peer, "PUT", "/x/_doc/1", { a: 1 });
            expect((await call(peer, "GET", "/x/_doc/1")).body).to.include({ found: true, _id: "1", _version: 1 });
            const missing = await call(peer, "GET", "/x/_doc/2");
            expect(missing.status).to.equal(404);
            expect(missing.body).to.deep.equal({ _index: "x", _id: "2", found: false });
        });
    });

    describe("fault injection and auth", () => {
        it("answers scripted failures in order, then recovers", async () => {
            peer.failNext(1, { status: 429, body: { error: { type: "es_rejected_execution_exception" }, status: 429 } });
            peer.failNext(1, { status: 503, body: "busy", contentType: "text/plain", delayMs: 30 });
            expect((await call(peer, "GET", "/")).status).to.equal(429);
            const started = Date.now();
            const second = await call(peer, "GET", "/");
            expect(second.status).to.equal(503);
            expect(second.body).to.equal("busy");
            expect(Date.now() - started).to.be.at.least(25);
            const third = await call(peer, "GET", "/");
            expect(third.status).to.equal(200);
            expect(third.body.version.distribution).to.equal("opensearch");
        });

        it("rejects unsigned requests with 403 when SigV4 is required", async () => {
            peer.requireAuth("sigv4");
            const res = await call(peer, "PUT", "/x", {});
            expect(res.status).to.equal(403);
            expect(res.body.Message).to.contain("not authorized to perform: es:ESHttpPut");
            // Without credentials only the shape is checked — and the signing time, as AWS checks it.
            const now = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
            const signed = await call(peer, "PUT", "/x", {}, {
                authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${now.slice(0, 8)}/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`,
                "x-amz-date": now,
            });
            expect(signed.status).to.equal(200);
            const stale = await call(peer, "PUT", "/x", {}, {
                authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`,
                "x-amz-date": "20240501T000000Z",
            });
            expect(stale.status).to.equal(403);
            expect(stale.body.message).to.match(/^Signature expired: 20240501T000000Z is now earlier than/);
        });

        it("verifies the signature itself when given credentials, at the request's own x-amz-date", async () => {
            const aws4 = require("aws4");
            const creds = { accessKeyId: "AKIDPEERTEST", secretAccessKey: "peer-secret" };
            peer.requireAuth("sigv4", { credentials: creds });
            const host = new URL(peer.url).host;
            // Signed two minutes ago: verified at that x-amz-date, which is still inside AWS's five minutes.
            const signedAt = new Date(Date.now() - 120_000).toISOString().replace(/[:-]|\.\d{3}/g, "");
            const sign = (secret: string) => aws4.sign({ host, path: "/x?pretty=true", method: "PUT", service: "es", region: "eu-west-1", body: "{}",
                headers: { "content-type": "application/json", "X-Amz-Date": signedAt } }, { ...creds, secretAccessKey: secret });
            const good = sign("peer-secret");
            expect((await fetch(`${peer.url}/x?pretty=true`, { method: "PUT", headers: good.headers, body: "{}" })).status).to.equal(200);
            const bad = sign("wrong-secret");
            const refused = await fetch(`${peer.url}/x?pretty=true`, { method: "PUT", headers: bad.headers, body: "{}" });
            expect(refused.status).to.equal(403);
            expect(((await refused.json()) as any).message).to.contain("signature we calculated does not match");
        });

        it("answers unknown routes the way OpenSearch does", async () => {
            const res = await call(peer, "GET", "/_nonsense/thing");
            expect(res.status).to.equal(400);
            expect(res.body.error).to.equal("no handler found for uri [/_nonsense/thing] and method [GET]");
        });
    });

    describe("ISM policies", () => {
        const policy = { policy: { description: "d", default_state: "hot", states: [
            { name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: "90d" } }] },
            { name: "delete", actions: [{ delete: {} }], transitions: [] }],
            ism_template: [{ index_patterns: ["cloudtrail-*"], priority: 100 }] } };

        it("creates with 201, requires if_seq_no/if_primary_term to update, and 404s when missing", async () => {
            const created = await call(peer, "PUT", "/_plugins/_ism/policies/retention", policy);
            expect(created.status).to.equal(201);
            expect(created.body).to.include({ _id: "retention", _version: 1, _primary_term: 1 });
            const blind = await call(peer, "PUT", "/_plugins/_ism/policies/retention", policy);
            expect(blind.status).to.equal(409);
            expect(blind.body.error.type).to.equal("version_conflict_engine_exception");
            const got = await call(peer, "GET", "/_plugins/_ism/policies/retention");
            expect(got.body.policy.default_state).to.equal("hot");
            const stale = await call(peer, "PUT", `/_plugins/_ism/policies/retention?if_seq_no=${got.body._seq_no + 7}&if_primary_term=1`, policy);
            expect(stale.status).to.equal(409);
            const updated = await call(peer, "PUT", `/_plugins/_ism/policies/retention?if_seq_no=${got.body._seq_no}&if_primary_term=${got.body._primary_term}`, policy);
            expect(updated.status).to.equal(200);
            expect(updated.body._version).to.equal(2);
            expect((await call(peer, "DELETE", "/_plugins/_ism/policies/retention")).body.result).to.equal("deleted");
            const missing = await call(peer, "GET", "/_plugins/_ism/policies/retention");
            expect(missing.status).to.equal(404);
            expect(missing.body.error.reason).to.equal("Policy not found");
        });

        it("attaches the policy to new indices that match its ism_template", async () => {
            await call(peer, "PUT", "/_plugins/_ism/policies/retention", policy);
            await call(peer, "PUT", "/cloudtrail-2024.05.01", {});
            await call(peer, "PUT", "/waf-2024.05.01", {});
            const explain = await call(peer, "GET", "/_plugins/_ism/explain/cloudtrail-2024.05.01");
            expect(explain.body["cloudtrail-2024.05.01"].policy_id).to.equal("retention");
            expect(peer.ism.managed.get("waf-2024.05.01")).to.equal(undefined);
        });

        it("refuses a second policy whose ism_template overlaps at the same priority", async () => {
            await call(peer, "PUT", "/_plugins/_ism/policies/retention", policy);
            const clash = await call(peer, "PUT", "/_plugins/_ism/policies/other", policy);
            expect(clash.status).to.equal(400);
            expect(clash.body.error.reason).to.contain("matching existing policy templates");
        });

        it("rejects a policy whose default_state is not one of its states", async () => {
            const res = await call(peer, "PUT", "/_plugins/_ism/policies/bad", { policy: { default_state: "nope", states: [{ name: "hot", actions: [], transitions: [] }] } });
            expect(res.status).to.equal(400);
        });
    });

    describe("security plugin", () => {
        it("PUT replaces a role mapping, PATCH edits it, reserved roles are read-only, hidden ones invisible", async () => {
            await call(peer, "PUT", "/_plugins/_security/api/roles/writer", { cluster_permissions: ["indices:data/write/bulk"] });
            const created = await call(peer, "PUT", "/_plugins/_security/api/rolesmapping/writer", { backend_roles: ["arn:a"], users: ["u"] });
            expect(created.status).to.equal(201);
            expect(created.body).to.deep.equal({ status: "CREATED", message: "'writer' created." });
            const replaced = await call(peer, "PUT", "/_plugins/_security/api/rolesmapping/writer", { backend_roles: ["arn:b"] });
            expect(replaced.body).to.deep.equal({ status: "OK", message: "'writer' updated." });
            let got = await call(peer, "GET", "/_plugins/_security/api/rolesmapping/writer");
            expect(got.body.writer.backend_roles).to.deep.equal(["arn:b"]);
            expect(got.body.writer.users).to.equal(undefined);
            const patched = await call(peer, "PATCH", "/_plugins/_security/api/rolesmapping/writer", [{ op: "add", path: "/backend_roles/-", value: "arn:c" }]);
            expect(patched.body).to.deep.equal({ status: "OK", message: "Resource updated." });
            got = await call(peer, "GET", "/_plugins/_security/api/rolesmapping/writer");
            expect(got.body.writer.backend_roles).to.deep.equal(["arn:b", "arn:c"]);
            const failedTest = await call(peer, "PATCH", "/_plugins/_security/api/rolesmapping/writer", [{ op: "test", path: "/backend_roles", value: [] }, { op: "replace", path: "/backend_roles", value: [] }]);
            expect(failedTest.status).to.equal(400);
            const reserved = await call(peer, "DELETE", "/_plugins/_security/api/roles/all_access");
            expect(reserved.status).to.equal(403);
            expect(reserved.body).to.deep.equal({ status: "FORBIDDEN", message: "Resource 'all_access' is read-only." });
            peer.security.rolesMapping.set("hidden_one", { hidden: true, backend_roles: [] });
            expect((await call(peer, "GET", "/_plugins/_security/api/rolesmapping/hidden_one")).status).to.equal(404);
            expect((await call(peer, "DELETE", "/_plugins/_security/api/rolesmapping/hidden_one")).status).to.equal(404);
            expect((await call(peer, "DELETE", "/_plugins/_security/api/rolesmapping/writer")).body).to.deep.equal({ status: "OK", message: "'writer' deleted." });
            const missing = await call(peer, "GET", "/_plugins/_security/api/rolesmapping/writer");
            expect(missing.status).to.equal(404);
            expect(missing.body).to.deep.equal({ status: "NOT_FOUND", message: "Resource 'writer' not found." });
        });

        it("rejects unknown keys and mappings for roles that do not exist", async () => {
            const bad = await call(peer, "PUT", "/_plugins/_security/api/rolesmapping/all_access", { backendroles: ["x"] });
            expect(bad.status).to.equal(400);
            expect(bad.body.invalid_keys).to.deep.equal({ keys: "backendroles" });
            const orphan = await call(peer, "PUT", "/_plugins/_security/api/rolesmapping/ghost", { backend_roles: ["x"] });
            expect(orphan.status).to.equal(404);
        });

        it("serves the audit config and refuses changes to its read-only fields", async () => {
            const p2 = await OpenSearchPeer.start({ auditReadonly: ["/compliance/internal_config"] });
            try {
                const got = await call(p2, "GET", "/_plugins/_security/api/audit");
                expect(got.body._readonly).to.deep.equal(["/compliance/internal_config"]);
                expect(got.body.config.enabled).to.equal(false);
                const ok = await call(p2, "PUT", "/_plugins/_security/api/audit/config", { ...got.body.config, enabled: true });
                expect(ok.body).to.deep.equal({ status: "OK", message: "'config' updated." });
                const ro = await call(p2, "PUT", "/_plugins/_security/api/audit/config", { ...got.body.config, compliance: { ...got.body.config.compliance, internal_config: false } });
                expect(ro.status).to.equal(409);
                expect((await call(p2, "GET", "/_plugins/_security/api/audit")).body.config.enabled).to.equal(true);
            } finally { await p2.close(); }
        });

        it("seeds all_access and security_manager mappings with the master backend roles", async () => {
            const p2 = await OpenSearchPeer.start({ masterBackendRoles: ["arn:aws:iam::1:role/admin"] });
            try {
                const got = await call(p2, "GET", "/_plugins/_security/api/rolesmapping/all_access");
                expect(got.body.all_access.backend_roles).to.deep.equal(["arn:aws:iam::1:role/admin"]);
            } finally { await p2.close(); }
        });
    });

    describe("Dashboards saved objects", () => {
        it("requires osd-xsrf, conflicts without overwrite, overwrites with it, 404s when missing", async () => {
            const path = "/_dashboards/api/saved_objects/index-pattern/cloudtrail";
            const body = { attributes: { title: "cloudtrail-*", timeFieldName: "@timestamp" } };
            const noXsrf = await call(peer, "POST", path, body);
            expect(noXsrf.status).to.equal(400);
            expect(noXsrf.body.message).to.equal("Request must contain a osd-xsrf header.");
            const created = await call(peer, "POST", path, body, { "osd-xsrf": "true" });
            expect(created.status).to.equal(200);
            expect(created.body).to.include({ type: "index-pattern", id: "cloudtrail" });
            expect((await call(peer, "POST", path, body, { "osd-xsrf": "true" })).status).to.equal(409);
            expect((await call(peer, "POST", path + "?overwrite=true", body, { "osd-xsrf": "true" })).status).to.equal(200);
            expect((await call(peer, "GET", path)).body.attributes.title).to.equal("cloudtrail-*");
            expect((await call(peer, "DELETE", path, undefined, { "osd-xsrf": "true" })).status).to.equal(200);
            const missing = await call(peer, "GET", path);
            expect(missing.body).to.deep.equal({ statusCode: 404, error: "Not Found", message: "Saved object [index-pattern/cloudtrail] not found" });
        });
    });

    describe("anomaly detection", () => {
        const detector = { name: "cloudtrail-callers", time_field: "@timestamp", indices: ["cloudtrail-*"], category_field: ["userIdentity.arn"],
            feature_attributes: [{ feature_name: "events", feature_enabled: true, aggregation_query: { events: { value_count: { field: "eventName" } } } }],
            detection_interval: { period: { interval: 10, unit: "Minutes" } } };

        async function seed(withDoc: boolean) {
            await call(peer, "PUT", "/cloudtrail-2024.05.01", { mappings: { properties: {
                "@timestamp": { type: "date" }, eventName: { type: "keyword" }, userIdentity: { properties: { arn: { type: "keyword" } } } } } });
            if (withDoc) await call(peer, "PUT", "/cloudtrail-2024.05.01/_doc/1", { "@timestamp": "2024-05-01T00:00:00Z", eventName: "x", userIdentity: { arn: "a" } });
        }

        it("refuses to create a detector when the indices hold no document", async () => {
            await seed(false);
            const res = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors", detector);
            expect(res.status).to.equal(400);
            expect(res.body.error.reason).to.contain("Can't create anomaly detector as no document is found in the indices");
        });

        it("checks the category field type", async () => {
            await seed(true);
            const res = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors", { ...detector, category_field: ["@timestamp"] });
            expect(res.body.error.reason).to.equal("A categorical field must be of type keyword or ip.");
        });

        it("finds detectors by name with _search, 404 before the first detector exists", async () => {
            await seed(true);
            const none = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors/_search", { query: { term: { "name.keyword": "x" } } });
            expect(none.status).to.equal(404);
            const created = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors", detector);
            const found = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors/_search", { query: { term: { "name.keyword": detector.name } } });
            expect(found.body.hits.hits.map((h: any) => h._id)).to.deep.equal([created.body._id]);
            const other = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors/_search", { query: { term: { "name.keyword": "other" } } });
            expect(other.body.hits.total.value).to.equal(0);
        });

        it("creates, starts, refuses delete and update while running, stops and deletes", async () => {
            await seed(true);
            const created = await call(peer, "POST", "/_plugins/_anomaly_detection/detectors", detector);
            expect(created.status).to.equal(201);
            const id = created.body._id;
            expect(created.body.anomaly_detector.name).to.equal("cloudtrail-callers");
            expect((await call(peer, "POST", "/_plugins/_anomaly_detection/detectors", detector)).body.error.reason).to.contain("already used");
            expect((await call(peer, "POST", `/_plugins/_anomaly_detection/detectors/${id}/_start`)).status).to.equal(200);
            expect((await call(peer, "GET", `/_plugins/_anomaly_detection/detectors/${id}?job=true`)).body.anomaly_detector_job.enabled).to.equal(true);
            const del = await call(peer, "DELETE", `/_plugins/_anomaly_detection/detectors/${id}`);
            expect(del.status).to.equal(400);
            expect(del.body.error.reason).to.equal(`Detector job is running: ${id}`);
            expect((await call(peer, "PUT", `/_plugins/_anomaly_detection/detectors/${id}`, detector)).status).to.equal(400);
            expect((await call(peer, "POST", `/_plugins/_anomaly_detection/detectors/${id}/_stop`)).status).to.equal(200);
            const updated = await call(peer, "PUT", `/_plugins/_anomaly_detection/detectors/${id}`, { ...detector, description: "v2" });
            expect(updated.status).to.equal(200);
            expect(updated.body._version).to.equal(2);
            expect((await call(peer, "DELETE", `/_plugins/_anomaly_detection/detectors/${id}`)).body.result).to.equal("deleted");
            const missing = await call(peer, "GET", `/_plugins/_anomaly_detection/detectors/${id}`);
            expect(missing.status).to.equal(404);
            expect(missing.body.error.reason).to.equal(`Can't find config with id: ${id}`);
        });
    });
});
