import * as http from "http";
import { AddressInfo } from "net";
import {
    bulk, catIndices, IndexState, indexApi, ItemPredicate, osError, PeerRequest, PeerState, Reply,
} from "./opensearchPeerIndices";
import { componentTemplateApi, indexTemplateApi } from "./opensearchPeerTemplates";
import { adApi, dashboardsApi, newPluginState, PluginState, securityApi } from "./opensearchPeerPlugins";
import { ismApi, runIsm } from "./opensearchPeerIsm";
import { clusterApi, clusterHealth } from "./opensearchPeerCluster";
import { actionOf, allowed, bulkItemAllowed, forbidden } from "./opensearchPeerFgac";
import { detectionApis, DetectionState, newDetectionState, runMonitors, runSecurityAnalytics } from "./opensearchPeerDetections";
import { signatureMatches, signatureTimeProblem } from "./sigv4Check";

/**
 * A loopback stand-in for an Amazon OpenSearch Service domain (OpenSearch 2.x with FGAC, ISM, anomaly
 * detection and Dashboards), shared by every guardpost test that talks to OpenSearch. It answers with the
 * status codes and bodies the real service uses, keeps documents and mappings in memory, and lets a test
 * script failures: whole-request failures (`failNext`), partial `_bulk` failures (`rejectItems`) and the
 * 403 AWS returns for unsigned requests (`requireAuth("sigv4")`).
 */

export interface RecordedRequest {
    method: string;
    /** Path without the query string, e.g. `/_bulk`. */
    path: string;
    query: Record<string, string>;
    headers: http.IncomingHttpHeaders;
    body: string;
    /** Status the peer answered with. */
    status: number;
}

export interface ScriptedResponse {
    status: number;
    body?: string | object;
    contentType?: string;
    /** Wait this long before answering (to exercise client timeouts). */
    delayMs?: number;
    /** Only answer a request with this method (others pass through untouched). */
    method?: string;
    /** Only answer a request whose path starts with this string or matches this pattern. */
    path?: string | RegExp;
}

export interface SigV4Options {
    /** When given, the signature itself is verified against these credentials, not just its shape. They are the master user's (`masterBackendRoles[0]`). */
    credentials?: { accessKeyId: string; secretAccessKey: string };
    /**
     * The domain's region: a request whose credential scope names another region gets the 403 AWS answers
     * with, `{"message":"Credential should be scoped to a valid region, not '<region>'. "}` (the scope's
     * region must be the endpoint's: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-create-signed-request.html).
     */
    region?: string;
    /** Other callers: access key → secret and the IAM role ARN FGAC sees as their backend role (e.g. a Cognito group's role). */
    identities?: Record<string, { secretAccessKey: string; roleArn: string }>;
    /**
     * The service's clock against this machine's (ms; default 0): signatures more than five minutes from it
     * are refused (sigv4Check.ts), and responses carry it in their `Date` header, as AWS's do.
     */
    clockOffsetMs?: number;
}

export interface OpenSearchPeerOptions {
    /** Largest request body accepted before answering 413, like the domain's HTTP payload limit. Default 10 MiB. */
    maxBodyBytes?: number;
    /** Backend roles (IAM ARNs) that FGAC maps to all_access and security_manager at the start. */
    masterBackendRoles?: string[];
    /** Reported as `version.number` by `GET /`. Default 2.13.0. */
    version?: string;
    /** Audit config fields (JSON pointers under `config`, e.g. `/compliance/internal_config`) a PUT may not change. */
    auditReadonly?: string[];
    /** Data nodes (shard allocation, health, the shard limit). Default 1. */
    dataNodes?: number;
    /** `cluster.max_shards_per_node`. Default 1,000, AWS's limit. */
    maxShardsPerNode?: number;
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;

function safeDecode(p: string): string {
    try { return decodeURIComponent(p); } catch { return p; }
}

/** The region in a SigV4 Authorization header's credential scope. */
function scopeRegion(req: http.IncomingMessage): string {
    return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? "";
}

/** The access key and service of a SigV4 Authorization header's credential scope. */
function credentialScope(req: http.IncomingMessage): { accessKeyId: string; service: string } {
    const [, accessKeyId = "", , , service = ""] = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? "")) ?? [];
    return { accessKeyId, service };
}

export class OpenSearchPeer {
    readonly requests: RecordedRequest[] = [];
    private readonly state: PeerState;
    private readonly plugins: PluginState;
    private readonly scripted: ScriptedResponse[] = [];
    private auth: "sigv4" | "none" = "none";
    private sigv4: SigV4Options = {};
    private readonly maxBody: number;
    private clockMs: number | undefined;
    private readonly masterBackendRoles: string[];
    private readonly detection: DetectionState = newDetectionState();

    private constructor(private readonly server: http.Server, readonly url: string, opts: OpenSearchPeerOptions) {
        this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
        this.state = { version: opts.version ?? "2.13.0", indices: new Map(), templates: new Map(), componentTemplates: new Map(), onIndexCreated: [],
            now: () => this.clockMs ?? Date.now(), dataNodes: opts.dataNodes ?? 1, maxShardsPerNode: opts.maxShardsPerNode ?? 1000 };
        this.plugins = newPluginState(this.state, opts.masterBackendRoles ?? [], opts.auditReadonly ?? []);
        this.masterBackendRoles = opts.masterBackendRoles ?? [];
    }

    static async start(opts: OpenSearchPeerOptions = {}): Promise<OpenSearchPeer> {
        let peer: OpenSearchPeer | undefined;
        const server = http.createServer((req, res) => { void peer!.handle(req, res); });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        const { port } = server.address() as AddressInfo;
        peer = new OpenSearchPeer(server, `http://127.0.0.1:${port}`, opts);
        return peer;
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise(resolve => this.server.close(() => resolve()));
    }

    /** `_id` → `_source` of every document in `index` (empty when the index does not exist). */
    docs(index: string): Map<string, any> {
        const ix = this.state.indices.get(index);
        return new Map([...(ix?.docs ?? new Map())].map(([id, d]) => [id, d.source]));
    }

    indices(): string[] {
        return [...this.state.indices.keys()].sort();
    }

    /** Mappings, settings and the template an index was created from, for assertions. */
    index(name: string): IndexState | undefined {
        return this.state.indices.get(name);
    }

    /** Read-only views of plugin state, for assertions. */
    get security() { return { roles: this.plugins.roles, rolesMapping: this.plugins.rolesMapping, audit: this.plugins.audit }; }
    /** ISM: policies, index → policy id (`managed`), and each managed index's job (`jobs`: cached version, state). */
    get ism() {
        return { policies: this.plugins.ismPolicies, managed: new Map([...this.plugins.ismManaged].map(([i, m]) => [i, m.policyId])), jobs: this.plugins.ismManaged };
    }

    /** Sets the peer's clock (epoch ms); `undefined` goes back to real time. */
    setClock(ms: number | undefined): void {
        this.clockMs = ms;
    }

    now(): number {
        return this.state.now();
    }

    /** One run of every ISM job at the peer's clock; returns the indices ISM deleted. */
    runIsm(): string[] {
        return runIsm(this.state, this.plugins);
    }

    /** Notifications channels, what they sent to SNS, Security Analytics detectors and findings, Alerting monitors. */
    get detections() { return this.detection; }

    /** One run of every Security Analytics detector (over documents it has not seen) and of every monitor. */
    runDetections(): { findings: number; monitorsTriggered: number } {
        return { findings: runSecurityAnalytics(this.state, this.detection), monitorsTriggered: runMonitors(this.state, this.detection) };
    }

    health() {
        return clusterHealth(this.state);
    }

    /** Total shards (primaries and replicas) of all indices, assigned or not — what the shard limit counts. */
    totalShards(): number {
        return this.health().totalShards;
    }
    get savedObjects() { return this.plugins.savedObjects; }
    get detectors() { return this.plugins.detectors; }
    get templates() { return this.state.templates; }
    get componentTemplates() { return this.state.componentTemplates; }

    /** Answers the next `n` requests with `response` (in order, after any already queued). */
    failNext(n: number, response: ScriptedResponse): void {
        for (let i = 0; i < n; i++) this.scripted.push(response);
    }

    /** Drops every scripted response still queued (the end of a simulated outage). */
    clearScripted(): void {
        this.scripted.length = 0;
    }

    /** Fails individual `_bulk` index/create items for which `predicate` returns an error; `undefined` clears it. */
    rejectItems(predicate: ItemPredicate | undefined): void {
        this.state.rejectItem = predicate;
    }

    requireAuth(mode: "sigv4" | "none", opts: SigV4Options = {}): void {
        this.auth = mode;
        this.sigv4 = opts;
    }

    /** Every recorded request with this method whose path starts with `pathPrefix`, oldest first. */
    requestsTo(method: string, pathPrefix: string): RecordedRequest[] {
        return this.requests.filter(r => r.method === method && r.path.startsWith(pathPrefix));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        let size = 0;
        // Read (and drop) an oversized body to the end so the client sees the 413, not a reset socket.
        for await (const chunk of req) {
            size += (chunk as Buffer).length;
            if (size <= this.maxBody) chunks.push(chunk as Buffer);
        }
        const url = new URL(req.url ?? "/", "http://peer");
        const record: RecordedRequest = {
            method: req.method ?? "GET", path: safeDecode(url.pathname), query: Object.fromEntries(url.searchParams),
            headers: req.headers, body: size > this.maxBody ? "" : Buffer.concat(chunks).toString("utf8"), status: 0,
        };
        this.requests.push(record);
        let reply: Reply;
        let delay = 0;
        const at = this.scripted.findIndex(s => (!s.method || s.method === record.method) &&
            (!s.path || (typeof s.path === "string" ? record.path.startsWith(s.path) : s.path.test(record.path))));
        const scripted = at >= 0 ? this.scripted.splice(at, 1)[0] : undefined;
        if (scripted) {
            delay = scripted.delayMs ?? 0;
            reply = { status: scripted.status, body: scripted.body, contentType: scripted.contentType };
        } else if (size > this.maxBody) {
            reply = { status: 413, body: { Message: `Request size exceeded ${this.maxBody} bytes` } };
        } else if (this.auth === "sigv4" && !/^AWS4-HMAC-SHA256 Credential=\S+, ?SignedHeaders=\S+, ?Signature=[0-9a-f]{64}$/.test(String(req.headers.authorization ?? ""))) {
            const action = `es:ESHttp${record.method[0]}${record.method.slice(1).toLowerCase()}`;
            reply = { status: 403, body: { Message: `User: anonymous is not authorized to perform: ${action} because no resource-based policy allows the ${action} action` } };
        } else if (this.auth === "sigv4" && credentialScope(req).service !== "es") {
            // Amazon OpenSearch Service signs as service `es` (the credential scope's service); anything else is refused
            // (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/request-signing.html).
            reply = { status: 403, body: { message: `Credential should be scoped to correct service: 'es'. ` } };
        } else if (this.auth === "sigv4" && this.sigv4.region && scopeRegion(req) !== this.sigv4.region) {
            reply = { status: 403, body: { message: `Credential should be scoped to a valid region, not '${scopeRegion(req)}'. ` } };
        } else if (this.auth === "sigv4" && signatureTimeProblem(req, Date.now() + (this.sigv4.clockOffsetMs ?? 0))) {
            reply = { status: 403, body: { message: signatureTimeProblem(req, Date.now() + (this.sigv4.clockOffsetMs ?? 0)) } };
        } else if (this.auth === "sigv4" && (this.sigv4.credentials || this.sigv4.identities) && !signatureMatches(req, record.body, this.secretOf(credentialScope(req).accessKeyId))) {
            reply = { status: 403, body: { message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details." } };
        } else {
            const peerReq = { method: record.method, path: record.path, segments: record.path.split("/").filter(Boolean), query: url.searchParams, headers: req.headers, body: record.body };
            const caller = this.auth === "sigv4" ? this.backendRoleOf(credentialScope(req).accessKeyId) : undefined;
            const wanted = caller ? actionOf(peerReq, ix => this.state.indices.has(ix)) : undefined;
            try {
                if (caller && wanted && !allowed(this.plugins, caller, wanted)) {
                    reply = forbidden(this.plugins, caller, wanted);
                } else {
                    if (caller) this.state.authorizeItem = (index, exists) => bulkItemAllowed(this.plugins, caller, index, exists);
                    reply = this.route(peerReq);
                }
            } catch (e) {
                reply = osError(500, "exception", `peer failure: ${(e as Error).message}`);
            } finally {
                this.state.authorizeItem = undefined;
            }
        }
        record.status = reply.status;
        if (delay > 0) await new Promise(resolve => setTimeout(resolve, delay));
        if (res.destroyed) return;
        const text = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
            "content-type": reply.contentType ?? "application/json; charset=UTF-8",
            "content-length": Buffer.byteLength(text),
            date: new Date(Date.now() + (this.auth === "sigv4" ? this.sigv4.clockOffsetMs ?? 0 : 0)).toUTCString(),
        });
        res.end(record.method === "HEAD" ? undefined : text);
    }

    /** The secret to verify a signature with: the master's or an identity's. */
    private secretOf(accessKeyId: string): { accessKeyId: string; secretAccessKey: string } {
        const id = this.sigv4.identities?.[accessKeyId];
        if (id) return { accessKeyId, secretAccessKey: id.secretAccessKey };
        return this.sigv4.credentials ?? { accessKeyId: "", secretAccessKey: "" };
    }

    /**
     * The backend role FGAC authorizes a signed request as: an identity's role, or the master user's for the
     * master credentials. Signed requests of a peer configured without FGAC identities are not authorized
     * (the document-handling tests that predate FGAC in the peer).
     */
    private backendRoleOf(accessKeyId: string): string | undefined {
        const id = this.sigv4.identities?.[accessKeyId];
        if (id) return id.roleArn;
        if (this.sigv4.credentials?.accessKeyId === accessKeyId && this.masterBackendRoles.length > 0) return this.masterBackendRoles[0];
        return undefined;
    }

    private route(req: PeerRequest): Reply {
        const [first, second] = req.segments;
        let reply: Reply | undefined;
        if (first === undefined) {
            reply = req.method === "GET" || req.method === "HEAD" ? { status: 200, body: this.info() } : undefined;
        } else if (first === "_bulk") {
            reply = req.method === "POST" || req.method === "PUT" ? bulk(this.state, req) : undefined;
        } else if (first === "_cluster") {
            reply = clusterApi(this.state, req);
        } else if (first === "_cat" && second === "indices") {
            reply = req.method === "GET" ? catIndices(this.state, req) : undefined;
        } else if (first === "_index_template") {
            reply = indexTemplateApi(this.state, req);
        } else if (first === "_component_template") {
            reply = componentTemplateApi(this.state, req);
        } else if (first === "_plugins" && second === "_ism") {
            reply = ismApi(this.state, this.plugins, req);
        } else if (first === "_plugins" && second === "_security" && req.segments[2] === "api") {
            reply = securityApi(this.plugins, req);
        } else if (first === "_plugins" && ["_notifications", "_security_analytics", "_alerting"].includes(second)) {
            reply = detectionApis(this.state, this.detection, req);
        } else if (first === "_plugins" && second === "_anomaly_detection") {
            reply = adApi(this.state, this.plugins, req);
        } else if (first === "_dashboards") {
            reply = dashboardsApi(this.plugins, req);
        } else {
            reply = indexApi(this.state, req);
        }
        // OpenSearch's answer for a route it has no handler for: note the string `error`.
        return reply ?? { status: 400, body: { error: `no handler found for uri [${req.path}] and method [${req.method}]`, status: 400 } };
    }

    private info(): object {
        return {
            name: "peer-node", cluster_name: "123456789012:guardpost", cluster_uuid: "peer-cluster",
            version: { distribution: "opensearch", number: this.state.version, build_type: "tar", minimum_wire_compatibility_version: "7.10.0", minimum_index_compatibility_version: "7.0.0" },
            tagline: "The OpenSearch Project: https://opensearch.org/",
        };
    }
}
