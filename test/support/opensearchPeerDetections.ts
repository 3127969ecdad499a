import { randomBytes } from "crypto";
import { osError, parseJson, PeerRequest, PeerState, Reply } from "./opensearchPeerIndices";
import type { IndexState } from "./opensearchPeerIndices";
import { matchesAny } from "./opensearchPeerMapping";
import { aliasPath, createAliasMappings } from "./opensearchPeerSaMappings";
import { renderMustache } from "./mustache";

/**
 * The detection plugins of the peer — Notifications channels, Security Analytics detectors and Alerting
 * monitors — with the request and reply shapes of their REST APIs
 * (https://docs.opensearch.org/latest/observing-your-data/notifications/api/,
 * …/security-analytics/api-tools/{detector-api,mappings-api,rule-api}/, …/observing-your-data/alerting/api/)
 * and a scheduler a test runs by hand. A channel of type `sns` "publishes" by recording what Amazon SNS would
 * receive: topic, the role assumed for it, subject and message — the rendered subject and message templates and
 * nothing else (opensearch-project/notifications, core/…/client/DestinationSnsClient.kt: `withMessage`,
 * `withSubject`, no message attributes). A subject SNS refuses is recorded as refused, not sent.
 *
 * Actions follow Alerting's execution rules (opensearch-project/alerting): document-level (Security Analytics)
 * and bucket-level actions run per alert for NEW and DEDUPED alerts unless `action_execution_policy` says
 * otherwise (common-utils ActionExecutionPolicy defaults), falling back to one run for all alerts past 50
 * (`plugins.alerting.max_actionable_alert_count`, AlertingUtils `defaultToPerExecutionAction`); a bucket stays one
 * alert while it keeps triggering (DEDUPED) and completes when it stops; a query-level action runs on every
 * execution whose trigger is true unless throttled against the active alert's last notification
 * (MonitorRunnerService `isActionActionable`).
 *
 * Security Analytics evaluates the pre-packaged rules below with the detection logic their Sigma definitions
 * give (opensearch-project/security-analytics, src/main/resources/rules/… up to 2.19.3 and 3.2; src/main/config/rules/…
 * from 2.19.4 and 3.3), reading rule fields through the log type's field mapping and the alias fields in the
 * index's own mappings — so a DNS rule on `query` only sees Route 53's `query_name` in an index that has the alias,
 * which an index created later gets only from its template's Security Analytics component (opensearchPeerSaMappings.ts),
 * as on a real domain. Rules without `match` here are listed (searchable, usable in a detector) but never fire in the peer.
 */

export interface PrePackagedRule { id: string; title: string; category: string; level: string; match?: (get: (field: string) => unknown) => boolean }

const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

export const PRE_PACKAGED_RULES: PrePackagedRule[] = [
    // detection: userIdentity.type: Root, and not eventType: AwsServiceEvent.
    { id: "8ad1600d-e9dc-4251-b0ee-a65268f29add", title: "AWS Root Credentials", category: "cloudtrail", level: "medium",
        match: get => get("userIdentity.type") === "Root" && get("eventType") !== "AwsServiceEvent" },
    // detection: eventSource cloudtrail.amazonaws.com and eventName in StopLogging, UpdateTrail, DeleteTrail.
    { id: "4db60cc0-36fb-42b7-9b58-a5b53019fb74", title: "AWS CloudTrail Important Change", category: "cloudtrail", level: "medium",
        match: get => get("eventSource") === "cloudtrail.amazonaws.com" && ["StopLogging", "UpdateTrail", "DeleteTrail"].includes(str(get("eventName"))) },
    { id: "07330162-dba1-4746-8121-a9647d49d297", title: "AWS Config Disabling Channel/Recorder", category: "cloudtrail", level: "high" },
    { id: "6e61ee20-ce00-4f8d-8aee-bedd8216f7e3", title: "AWS GuardDuty Important Change", category: "cloudtrail", level: "high" },
    { id: "a607e1fe-74bf-4440-a3ec-b059b9103157", title: "AWS SecurityHub Findings Evasion", category: "cloudtrail", level: "high" },
    { id: "0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2", title: "AWS IAM Backdoor Users Keys", category: "cloudtrail", level: "medium" },
    { id: "055fb148-60f8-462d-ad16-26926ce050f1", title: "AWS User Login Profile Was Modified", category: "cloudtrail", level: "high" },
    { id: "f8103686-e3e8-46f3-be72-65f7fcb4aa53", title: "AWS Console GetSigninToken Potential Abuse", category: "cloudtrail", level: "medium" },
    { id: "f43f5d2f-3f2a-4cc8-b1af-81fde7dbaf0e", title: "AWS Suspicious SAML Activity", category: "cloudtrail", level: "medium" },
    { id: "d3adb3ef-b7e7-4003-9092-1924c797db35", title: "AWS Identity Center Identity Provider Change", category: "cloudtrail", level: "high" },
    { id: "16124c2d-e40b-4fcc-8f2c-5ab7870a2223", title: "AWS EC2 Disable EBS Encryption", category: "cloudtrail", level: "medium" },
    { id: "a136ac98-b2bc-4189-a14d-f0d0388e57a7", title: "AWS S3 Bucket Versioning Disable", category: "cloudtrail", level: "medium" },
    { id: "c3f265c7-ff03-4056-8ab2-d486227b4599", title: "Restore Public AWS RDS Instance", category: "cloudtrail", level: "high" },
    { id: "abae8fec-57bd-4f87-aff6-6e3db989843d", title: "AWS Snapshot Backup Exfiltration", category: "cloudtrail", level: "medium" },
    // detection: query startswith aaa.stage. or post.1, or query contains .stage.123456.
    { id: "2975af79-28c4-4d2f-a951-9095f229df29", title: "Cobalt Strike DNS Beaconing", category: "dns", level: "critical",
        match: get => { const q = str(get("query")); return q.startsWith("aaa.stage.") || q.startsWith("post.1") || q.includes(".stage.123456."); } },
    // detection: query contains one of the Monero pool names (first of the list).
    { id: "b593fd50-7335-4682-a36c-4edcb68e4641", title: "Monero Crypto Coin Mining Pool Lookup", category: "dns", level: "high",
        match: get => ["pool.minexmr.com", "pool.supportxmr.com", "mine.c3pool.com"].some(p => str(get("query")).includes(p)) },
    { id: "aff715fa-4dd5-497a-8db3-910bea555566", title: "DNS Query to External Service Interaction Domains", category: "dns", level: "high" },
    { id: "4153a907-2451-4e4f-a578-c52bb6881432", title: "Suspicious DNS Query with B64 Encoded String", category: "dns", level: "medium" },
    { id: "c64c5175-5189-431b-a55e-6d9882158251", title: "Telegram Bot API Request", category: "dns", level: "medium" },
    { id: "3eaf6218-3bed-4d8a-8707-274096f12a18", title: "Wannacry Killswitch Domain", category: "dns", level: "high" },
];

/** Rule field → the log type's ECS name, for the fields the rules above use (OSMapping/<type>_logtype.json). */
const ECS: Record<string, Record<string, string>> = {
    cloudtrail: { "userIdentity.type": "aws.cloudtrail.user_identity.type", eventType: "aws.cloudtrail.event_type", eventSource: "aws.cloudtrail.event_source", eventName: "aws.cloudtrail.event_name" },
    dns: { query: "dns.question.name" },
};

export interface SnsPublish { channelId: string; topicArn: string; roleArn?: string; subject: string; message: string }

export interface DetectionState {
    channels: Map<string, any>;
    /** What Amazon SNS accepted from the domain's channels. */
    sent: SnsPublish[];
    /** Publishes Amazon SNS refused (the notification is lost), with SNS's reason. */
    refused: Array<SnsPublish & { reason: string }>;
    saDetectors: Map<string, { doc: any; seen: Set<string> }>;
    findings: Array<{ detectorId: string; ruleId: string; index: string; docId: string }>;
    monitors: Map<string, any>;
    /** Active bucket-level alerts per monitor trigger, by bucket key. */
    bucketAlerts: Map<string, Set<string>>;
    /** The active query-level alert per monitor trigger, with when its action last ran. */
    queryAlerts: Map<string, { lastNotified?: number }>;
}

export function newDetectionState(): DetectionState {
    return { channels: new Map(), sent: [], refused: [], saDetectors: new Map(), findings: [], monitors: new Map(), bucketAlerts: new Map(), queryAlerts: new Map() };
}

/** `plugins.alerting.max_actionable_alert_count` default (AlertingSettings.DEFAULT_MAX_ACTIONABLE_ALERT_COUNT). */
const MAX_ACTIONABLE_ALERTS = 50;

function valueAt(doc: any, path: string): unknown {
    return path.split(".").reduce((v: any, k) => v?.[k], doc);
}

/**
 * SNS `Publish` refuses a subject with line breaks or control characters, or of 100 characters or more
 * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sns/aws.sdk.kotlin.services.sns.model/-publish-request/subject.html);
 * the Notifications plugin then reports the SNS error and nothing is delivered.
 */
function snsSubjectProblem(subject: string): string | undefined {
    if (/[\u0000-\u001f\u007f]/.test(subject)) return "InvalidParameter: Subject has line breaks or control characters";
    if (subject.length >= 100) return `InvalidParameter: Subject must be less than 100 characters long (${subject.length})`;
    return undefined;
}

function publish(d: DetectionState, action: any, view: Record<string, unknown>): void {
    const channel = d.channels.get(action.destination_id);
    if (!channel || channel.config.is_enabled === false) return;
    // Alerting's placeholder title when the subject is empty (NotificationApiUtils `getTitle`).
    const subject = renderMustache(String(action.subject_template?.source ?? ""), { ctx: view }) || "Alerting-Notification Action";
    const message = renderMustache(String(action.message_template?.source ?? ""), { ctx: view });
    const record = { channelId: action.destination_id, topicArn: channel.config.sns?.topic_arn, roleArn: channel.config.sns?.role_arn, subject, message };
    const problem = snsSubjectProblem(subject);
    if (problem) d.refused.push({ ...record, reason: problem });
    else d.sent.push(record);
}

/** The action's execution scope, with Alerting's runtime default for its monitor type (AlertingUtils `getActionExecutionPolicy`). */
function perAlertCategories(action: any): string[] | undefined {
    const scope = action.action_execution_policy?.action_execution_scope;
    if (!scope) return ["NEW", "DEDUPED"];
    return scope.per_alert ? scope.per_alert.actionable_alerts ?? [] : undefined;
}

// ---- Notifications ----------------------------------------------------------------------------------

function notificationsApi(d: DetectionState, req: PeerRequest): Reply | undefined {
    const [, , kind, id] = req.segments;
    if (kind !== "configs") return undefined;
    const body = parseJson(req).value ?? {};
    const view = (cid: string) => ({ config_list: [{ config_id: cid, last_updated_time_ms: Date.now(), created_time_ms: Date.now(), config: d.channels.get(cid).config }], total_hits: 1 });
    switch (req.method) {
        case "GET": return id && d.channels.has(id) ? { status: 200, body: view(id) } : osError(404, "status_exception", `Notification config ${id} not found`);
        case "DELETE":
            if (!d.channels.delete(id)) return osError(404, "status_exception", `Notification config ${id} not found`);
            return { status: 200, body: { delete_response_list: { [id]: "OK" } } };
        case "POST": case "PUT": {
            const config = body.config;
            if (!config?.name || !config?.config_type) return osError(400, "illegal_argument_exception", "name and config_type are required");
            if (config.config_type === "sns" && !/^arn:aws[\w-]*:sns:/.test(config.sns?.topic_arn ?? "")) return osError(400, "illegal_argument_exception", "Invalid AWS SNS topic ARN");
            const cid = req.method === "PUT" ? id : body.config_id ?? randomBytes(10).toString("hex");
            if (req.method === "POST" && d.channels.has(cid)) return osError(409, "version_conflict_engine_exception", `[${cid}]: version conflict, document already exists`);
            if (req.method === "PUT" && !d.channels.has(cid)) return osError(404, "status_exception", `Notification config ${cid} not found`);
            d.channels.set(cid, { config });
            return { status: 200, body: { config_id: cid } };
        }
    }
    return undefined;
}

// ---- Security Analytics -----------------------------------------------------------------------------

function saApi(state: PeerState, d: DetectionState, req: PeerRequest): Reply | undefined {
    const [, , kind, id] = req.segments;
    const body = parseJson(req).value ?? {};
    if (kind === "mappings" && req.method === "POST") {
        if (!ECS[body.rule_topic]) return osError(400, "illegal_argument_exception", `Invalid rule topic [${body.rule_topic}]`);
        return createAliasMappings(state, body);
    }
    if (kind === "rules" && id === "_search") {
        const category = body.query?.nested?.query?.bool?.must?.[0]?.match?.["rule.category"];
        const hits = PRE_PACKAGED_RULES.filter(r => req.query.get("pre_packaged") === "true" && (!category || r.category === category))
            .map(r => ({ _index: ".opensearch-pre-packaged-rules-config", _id: r.id, _source: { category: r.category, title: r.title, level: r.level } }));
        return { status: 200, body: { hits: { total: { value: hits.length, relation: "eq" }, hits } } };
    }
    if (kind !== "detectors") return undefined;
    if (id === "_search") {
        const name = body.query?.nested?.query?.bool?.must?.[0]?.match?.["detector.name"];
        const hits = [...d.saDetectors].filter(([, v]) => !name || v.doc.name === name).map(([did, v]) => ({ _id: did, _source: v.doc }));
        return { status: 200, body: { hits: { total: { value: hits.length, relation: "eq" }, hits } } };
    }
    const notFound = () => osError(404, "status_exception", `Detector ${id} not found`);
    switch (req.method) {
        case "GET": return d.saDetectors.has(id) ? { status: 200, body: { _id: id, _version: 1, detector: d.saDetectors.get(id)!.doc } } : notFound();
        case "DELETE": return d.saDetectors.delete(id) ? { status: 200, body: { _id: id, _version: 1 } } : notFound();
        case "POST": case "PUT": {
            if (req.method === "PUT" && !d.saDetectors.has(id)) return notFound();
            const input = body.inputs?.[0]?.detector_input;
            if (!ECS[body.detector_type]) return osError(400, "illegal_argument_exception", `Detector type ${body.detector_type} is not supported`);
            if (!input?.indices?.length) return osError(400, "illegal_argument_exception", "Detector needs an input index");
            for (const r of input.pre_packaged_rules ?? []) {
                const rule = PRE_PACKAGED_RULES.find(p => p.id === r.id);
                if (!rule || rule.category !== body.detector_type) return osError(400, "status_exception", `Rule ${r.id} is not a pre-packaged ${body.detector_type} rule`);
            }
            for (const t of body.triggers ?? []) for (const a of t.actions ?? []) {
                if (!d.channels.has(a.destination_id)) return osError(400, "status_exception", `Notification channel ${a.destination_id} not found`);
            }
            const did = req.method === "PUT" ? id : randomBytes(10).toString("base64url");
            d.saDetectors.set(did, { doc: body, seen: d.saDetectors.get(did)?.seen ?? new Set() });
            return { status: req.method === "PUT" ? 200 : 201, body: { _id: did, _version: 1, detector: body } };
        }
    }
    return undefined;
}

/**
 * One run of every Security Analytics detector over documents it has not seen; returns the findings it made
 * (one per document and rule). Each matched document is one alert of the detector's document-level monitor,
 * carrying its rules (`associated_queries`: the rule title as `name`, `[level, category]` as `tags`) and the
 * document (`sample_documents`); templates see `ctx.detector` as `ctx.monitor`, as Security Analytics rewrites
 * them (security-analytics, model/DetectorTrigger.java `getActions`).
 */
export function runSecurityAnalytics(state: PeerState, d: DetectionState): number {
    let made = 0;
    for (const [did, det] of d.saDetectors) {
        if (det.doc.enabled === false) continue;
        const input = det.doc.inputs[0].detector_input;
        const type = det.doc.detector_type as string;
        const rules = (input.pre_packaged_rules ?? []).map((r: any) => PRE_PACKAGED_RULES.find(p => p.id === r.id)!).filter((r: PrePackagedRule) => r.match);
        const matched: Array<{ index: string; docId: string; source: any; rules: PrePackagedRule[] }> = [];
        for (const ix of [...state.indices.values()].filter(i => matchesAny(input.indices, i.name))) {
            for (const [docId, doc] of ix.docs) {
                const key = `${ix.name}/${docId}`;
                if (det.seen.has(key)) continue;
                det.seen.add(key);
                // A rule field resolves to the raw field when the document has it, else through the ECS alias.
                const get = (field: string) => {
                    const raw = valueAt(doc.source, field);
                    if (raw !== undefined) return raw;
                    const ecs = ECS[type]?.[field];
                    const path = ecs ? aliasPath(ix, ecs) : undefined;
                    return path ? valueAt(doc.source, path) : undefined;
                };
                const fired = rules.filter((rule: PrePackagedRule) => rule.match!(get));
                for (const rule of fired) { d.findings.push({ detectorId: did, ruleId: rule.id, index: ix.name, docId }); made++; }
                if (fired.length) matched.push({ index: ix.name, docId, source: doc.source, rules: fired });
            }
        }
        if (matched.length === 0) continue;
        for (const t of det.doc.triggers ?? []) {
            const all = !t.ids?.length && !t.sev_levels?.length && !t.tags?.length;
            const alerts = matched.filter(m => m.rules.some(r => all || t.ids?.includes(r.id) || t.sev_levels?.includes(r.level)))
                .map(m => ({ associated_queries: m.rules.map(r => ({ id: r.id, name: r.title, tags: [r.level, r.category] })),
                    sample_documents: [{ _index: m.index, _id: m.docId, _source: m.source }] }));
            if (alerts.length === 0) continue;
            const view = (a: object[]) => ({ monitor: { name: det.doc.name }, trigger: { name: t.name, severity: String(t.severity) }, alerts: a });
            for (const a of t.actions ?? []) {
                const rewritten = { ...a, subject_template: detectorToMonitor(a.subject_template), message_template: detectorToMonitor(a.message_template) };
                const perAlert = perAlertCategories(a)?.includes("NEW") && alerts.length <= MAX_ACTIONABLE_ALERTS;
                if (perAlert) for (const alert of alerts) publish(d, rewritten, view([alert]));
                else publish(d, rewritten, view(alerts));
            }
        }
    }
    return made;
}

function detectorToMonitor(template: any): any {
    return template ? { ...template, source: String(template.source ?? "").split("{{ctx.detector").join("{{ctx.monitor") } : template;
}

// ---- Alerting ---------------------------------------------------------------------------------------

function alertingApi(d: DetectionState, req: PeerRequest): Reply | undefined {
    const [, , kind, id] = req.segments;
    if (kind !== "monitors") return undefined;
    const body = parseJson(req).value ?? {};
    if (id === "_search") {
        if (d.monitors.size === 0) return osError(404, "index_not_found_exception", "no such index [.opendistro-alerting-config]");
        const name = body.query?.match_phrase?.["monitor.name"] ?? body.query?.match?.["monitor.name"];
        const hits = [...d.monitors].filter(([, m]) => !name || m.name === name).map(([mid, m]) => ({ _id: mid, _source: m }));
        return { status: 200, body: { hits: { total: { value: hits.length, relation: "eq" }, hits } } };
    }
    const notFound = () => osError(404, "status_exception", "Monitor not found.");
    switch (req.method) {
        case "GET": return d.monitors.has(id) ? { status: 200, body: { _id: id, _version: 1, monitor: d.monitors.get(id) } } : notFound();
        case "DELETE": return d.monitors.delete(id) ? { status: 200, body: { _id: id, result: "deleted" } } : notFound();
        case "POST": case "PUT": {
            if (req.method === "PUT" && !d.monitors.has(id)) return notFound();
            if (!["query_level_monitor", "bucket_level_monitor"].includes(body.monitor_type)) return osError(400, "illegal_argument_exception", `Invalid monitor_type ${body.monitor_type}`);
            for (const t of body.triggers ?? []) for (const a of (t.bucket_level_trigger ?? t.query_level_trigger)?.actions ?? []) {
                if (!d.channels.has(a.destination_id)) return osError(400, "illegal_argument_exception", `Channel ${a.destination_id} not found`);
            }
            const mid = req.method === "PUT" ? id : randomBytes(10).toString("base64url");
            d.monitors.set(mid, body);
            return { status: req.method === "PUT" ? 200 : 201, body: { _id: mid, _version: 1, monitor: body } };
        }
    }
    return undefined;
}

/** Epoch ms of a date value, or of `{{period_end}}||-10m` date math at `periodEnd`. */
function when(v: unknown, periodEnd: number): number {
    if (typeof v === "number") return v;
    const m = /^\{\{period_end\}\}(?:\|\|-(\d+)([mhd]))?$/.exec(String(v));
    if (m) return periodEnd - (m[1] ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m"] : 0);
    return Date.parse(String(v));
}

function clauseMatches(c: any, doc: any, periodEnd: number): boolean {
    if (c.term) { const [f, v] = Object.entries<any>(c.term)[0] ?? []; return f !== undefined && valueAt(doc, f) === (v?.value ?? v); }
    if (c.terms) { const [f, vs] = Object.entries<any>(c.terms)[0]; return vs.includes(valueAt(doc, f)); }
    if (c.range) {
        const [f, r] = Object.entries<any>(c.range)[0];
        const raw = valueAt(doc, f);
        if (raw === undefined) return false;
        const isNumber = typeof raw === "number" && !/time|date|@timestamp/i.test(f);
        const x = isNumber ? raw : when(raw, periodEnd);
        const bound = (b: unknown) => (isNumber ? Number(b) : when(b, periodEnd));
        return (r.gte === undefined || x >= bound(r.gte)) && (r.gt === undefined || x > bound(r.gt)) && (r.lte === undefined || x <= bound(r.lte)) && (r.lt === undefined || x < bound(r.lt));
    }
    return false;
}

/** One run of every enabled monitor at the peer's clock; returns how many triggers evaluated true. */
export function runMonitors(state: PeerState, d: DetectionState): number {
    let triggered = 0;
    const now = state.now();
    for (const [mid, m] of d.monitors) {
        if (m.enabled === false) continue;
        const search = m.inputs[0].search;
        const clauses = search.query.query?.bool?.filter ?? [];
        const docs = [...state.indices.values()].filter((ix: IndexState) => matchesAny(search.indices, ix.name))
            .flatMap(ix => [...ix.docs.entries()].map(([id, s]) => ({ _index: ix.name, _id: id, _source: s.source })))
            .filter(hit => clauses.every((c: any) => clauseMatches(c, hit._source, now)));
        for (const t of m.triggers) {
            const bucket = t.bucket_level_trigger;
            const query = t.query_level_trigger;
            const trig = bucket ?? query;
            const key = `${mid}/${trig.name}`;
            const threshold = Number(/>\s*(\d+)/.exec(trig.condition.script.source)?.[1] ?? 0);
            const base = { monitor: { name: m.name }, trigger: { name: trig.name, severity: String(trig.severity) }, periodEnd: now };
            if (bucket) {
                const agg = search.query.aggregations[bucket.condition.parent_bucket_path];
                const field = Object.values<any>(agg.composite.sources[0])[0].terms.field;
                const counts = new Map<string, number>();
                for (const hit of docs) { const k = String(valueAt(hit._source, field)); counts.set(k, (counts.get(k) ?? 0) + 1); }
                const over = [...counts].filter(([, n]) => n > threshold).map(([k]) => k);
                const active = d.bucketAlerts.get(key) ?? new Set<string>();
                const byCategory: Record<string, string[]> = {
                    NEW: over.filter(k => !active.has(k)), DEDUPED: over.filter(k => active.has(k)), COMPLETED: [...active].filter(k => !over.includes(k)),
                };
                d.bucketAlerts.set(key, new Set(over));
                if (over.length) triggered++;
                const total = byCategory.NEW.length + byCategory.DEDUPED.length + byCategory.COMPLETED.length;
                const alert = (k: string) => ({ bucket_keys: k, parent_bucket_path: bucket.condition.parent_bucket_path });
                for (const a of bucket.actions ?? []) {
                    const categories = perAlertCategories(a);
                    if (categories && total <= MAX_ACTIONABLE_ALERTS) {
                        for (const category of categories) for (const k of byCategory[category] ?? []) {
                            publish(d, a, { ...base, newAlerts: category === "NEW" ? [alert(k)] : [], dedupedAlerts: category === "DEDUPED" ? [alert(k)] : [],
                                completedAlerts: category === "COMPLETED" ? [alert(k)] : [] });
                        }
                    } else if (total > 0) {
                        publish(d, a, { ...base, newAlerts: byCategory.NEW.map(alert), dedupedAlerts: byCategory.DEDUPED.map(alert), completedAlerts: byCategory.COMPLETED.map(alert) });
                    }
                }
            } else {
                const size = Number(search.query.size ?? 10);
                const results = [{ hits: { total: { value: docs.length, relation: "eq" }, hits: docs.slice(0, size) } }];
                if (!(docs.length > threshold)) { d.queryAlerts.delete(key); continue; }
                triggered++;
                const alert = d.queryAlerts.get(key) ?? {};
                d.queryAlerts.set(key, alert);
                for (const a of query.actions ?? []) {
                    const throttleMs = a.throttle_enabled && a.throttle ? Number(a.throttle.value) * ({ MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 } as Record<string, number>)[a.throttle.unit ?? "MINUTES"] : 0;
                    // Throttled while the last notification is not before now − throttle.
                    if (throttleMs && alert.lastNotified !== undefined && !(alert.lastNotified < now - throttleMs)) continue;
                    publish(d, a, { ...base, results });
                    alert.lastNotified = now;
                }
            }
        }
    }
    return triggered;
}

export function detectionApis(state: PeerState, d: DetectionState, req: PeerRequest): Reply | undefined {
    const plugin = req.segments[1];
    if (plugin === "_notifications") return notificationsApi(d, req);
    if (plugin === "_security_analytics") return saApi(state, d, req);
    if (plugin === "_alerting") return alertingApi(d, req);
    return undefined;
}
