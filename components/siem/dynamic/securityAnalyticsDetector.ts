import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

/**
 * "2": an update on the next `pulumi up` calls the mappings API again, which composes Security Analytics' alias
 * component back into a log template that an IndexTemplate update of an older guardpost had stripped it from.
 */
export const SECURITY_ANALYTICS_DETECTOR_PROVIDER_VERSION = "2";

export interface SecurityAnalyticsDetectorArgs extends ConnectionArgs {
    /** Detector name (5–50 letters, digits, spaces, `-`, `_`). */
    name: pulumi.Input<string>;
    /** Log type: `cloudtrail`, `dns`, … */
    detectorType: pulumi.Input<string>;
    /** The index pattern it reads, e.g. `cloudtrail-*`. */
    indexPattern: pulumi.Input<string>;
    /** Titles of the pre-packaged Sigma rules to turn on (resolved to their ids on the domain). */
    ruleTitles: pulumi.Input<pulumi.Input<string>[]>;
    /** Field aliases the log type's rules need beyond what Security Analytics maps itself (`{ecs_field: index_path}`). */
    aliasMappings?: pulumi.Input<Record<string, string>>;
    /** Where every finding goes: the notification channel's id. */
    channelId: pulumi.Input<string>;
    /** Mustache subject and message of the finding notification (default: a plain sentence naming the detector). */
    notification?: pulumi.Input<{ subject: pulumi.Input<string>; message: pulumi.Input<string> }>;
    /** Minutes between runs. Default 5. */
    intervalMinutes?: pulumi.Input<number>;
}

const SA = "/_plugins/_security_analytics";

/** Pre-packaged rule ids by title, for one log type (Search pre-packaged rules, https://docs.opensearch.org/latest/security-analytics/api-tools/rule-api/). */
async function ruleIds(client: any, conn: any, category: string, titles: string[]): Promise<string[]> {
    const res = await send(client, conn, {
        method: "POST", path: `${SA}/rules/_search`, querystring: { pre_packaged: true },
        body: { from: 0, size: 1000, query: { nested: { path: "rule", query: { bool: { must: [{ match: { "rule.category": category } }] } } } } },
    });
    const byTitle = new Map<string, string>((res.body?.hits?.hits ?? []).map((h: any) => [h._source?.title, h._id]));
    const missing = titles.filter(t => !byTitle.has(t));
    if (missing.length > 0) {
        throw Object.assign(new Error(`Security Analytics on this domain has no pre-packaged ${category} rule titled ${missing.map(t => `'${t}'`).join(", ")} ` +
            `(it has ${byTitle.size}); the rule set changes with the OpenSearch version — adjust the titles in components/siem/siemDetections.ts`), { retryable: false });
    }
    return titles.map(t => byTitle.get(t)!);
}

export function detectorBody(props: any, rules: string[]): object {
    return {
        type: "detector",
        name: props.name,
        detector_type: props.detectorType,
        enabled: true,
        schedule: { period: { interval: props.intervalMinutes ?? 5, unit: "MINUTES" } },
        inputs: [{ detector_input: { description: `guardpost: ${props.detectorType} rules`, indices: [props.indexPattern], custom_rules: [], pre_packaged_rules: rules.map(id => ({ id })) } }],
        // Every finding of every rule alerts: triggers with no ids, tags or levels match all rules.
        triggers: [{
            id: `${props.name}-all`, name: "every finding", severity: "1", types: [], ids: [], sev_levels: [], tags: [],
            actions: [{
                id: `${props.name}-sns`, name: "alert topic", destination_id: props.channelId, throttle_enabled: false,
                // ASCII and one line: SNS refuses other subjects (components/siem/siemNotifications.ts).
                subject_template: { source: props.notification?.subject ?? "guardpost SIEM: {{ctx.detector.name}} - {{ctx.trigger.name}}", lang: "mustache" },
                message_template: { source: props.notification?.message ?? "Security Analytics detector {{ctx.detector.name}} found a match (severity {{ctx.trigger.severity}}). Open Dashboards → Security Analytics → Findings.", lang: "mustache" },
            }],
        }],
    };
}

async function findByName(client: any, conn: any, name: string): Promise<string | undefined> {
    const res = await send(client, conn, { method: "POST", path: `${SA}/detectors/_search`,
        body: { size: 30, query: { nested: { path: "detector", query: { bool: { must: [{ match: { "detector.name": name } }] } } } } } }, [404]);
    return (res.body?.hits?.hits ?? []).find((h: any) => (h._source?.name ?? h._source?.detector?.name) === name)?._id;
}

/**
 * Mappings first (Security Analytics maps the log type's fields to the index's; `partial` keeps the ones it
 * cannot map, and `alias_mappings` adds ours — https://docs.opensearch.org/latest/security-analytics/api-tools/mappings-api/),
 * then the detector with the rules resolved by title, created or updated by name.
 */
async function applyDetector(props: any, knownId?: string): Promise<{ detectorId: string; ruleIds: string[] }> {
    const conn = connectionOf(props);
    return withRetry(conn, `Security Analytics detector ${props.name}`, async client => {
        const alias = Object.fromEntries(Object.entries<string>(props.aliasMappings ?? {}).map(([field, path]) => [field, { type: "alias", path }]));
        await send(client, conn, { method: "POST", path: `${SA}/mappings`, body: { index_name: props.indexPattern, rule_topic: props.detectorType, partial: true,
            ...(Object.keys(alias).length ? { alias_mappings: { properties: alias } } : {}) } }, [], true);
        const rules = await ruleIds(client, conn, props.detectorType, props.ruleTitles ?? []);
        const body = detectorBody(props, rules);
        let id = knownId;
        if (id) {
            const got = await send(client, conn, { method: "GET", path: `${SA}/detectors/${encodeURIComponent(id)}` }, [404]);
            if (got.statusCode === 404) id = undefined;
        }
        id ??= await findByName(client, conn, props.name);
        if (id) {
            await send(client, conn, { method: "PUT", path: `${SA}/detectors/${encodeURIComponent(id)}`, body }, [], true);
        } else {
            const created = await send(client, conn, { method: "POST", path: `${SA}/detectors`, body }, [], true);
            id = created.body?._id as string;
        }
        return { detectorId: id!, ruleIds: rules };
    });
}

function outputs(props: any, state: { detectorId: string; ruleIds: string[] }): any {
    const { __provider, ...rest } = props;
    return { ...rest, ...state };
}

export const securityAnalyticsDetectorProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const failures = [];
        if (!/^[\w -]{5,50}$/.test(news.name ?? "")) failures.push({ property: "name", reason: "5–50 letters, digits, spaces, '-' or '_'" });
        if (!Array.isArray(news.ruleTitles) || news.ruleTitles.length === 0) failures.push({ property: "ruleTitles", reason: "at least one rule" });
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, [], ["detectorId", "ruleIds"]);
    },
    async create(inputs: any) {
        const state = await applyDetector(inputs);
        return { id: inputs.name, outs: outputs(inputs, state) };
    },
    async update(_id: string, olds: any, news: any) {
        return { outs: outputs(news, await applyDetector(news, olds.detectorId)) };
    },
    /** Live rules (by id) and whether it is enabled; a rule someone turned off is drift. */
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `Security Analytics detector ${props.name}`, client =>
            send(client, conn, { method: "GET", path: `${SA}/detectors/${encodeURIComponent(props.detectorId ?? "none")}` }, [404]));
        const d = got.statusCode === 404 ? undefined : got.body?.detector;
        if (!d) return {};
        const live: string[] = (d.inputs?.[0]?.detector_input?.pre_packaged_rules ?? []).map((r: any) => r.id);
        const same = live.length === (props.ruleIds ?? []).length && live.every(r => props.ruleIds.includes(r)) && d.enabled !== false;
        return { id, props: same ? props : { ...props, ruleIds: live, ruleTitles: [...(props.ruleTitles ?? []), "(changed outside guardpost)"] } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `Security Analytics detector ${props.name}`, client =>
            send(client, conn, { method: "DELETE", path: `${SA}/detectors/${encodeURIComponent(props.detectorId)}` }, [404], true));
    },
});

/** A Security Analytics detector over one log type, with chosen pre-packaged Sigma rules, alerting to a channel. */
export class SecurityAnalyticsDetector extends pulumi.dynamic.Resource {
    declare readonly detectorId: pulumi.Output<string>;
    declare readonly ruleIds: pulumi.Output<string[]>;

    constructor(name: string, args: SecurityAnalyticsDetectorArgs, opts?: pulumi.CustomResourceOptions) {
        super(securityAnalyticsDetectorProvider, name, { ...args, detectorId: undefined, ruleIds: undefined, version: SECURITY_ANALYTICS_DETECTOR_PROVIDER_VERSION }, opts, "opensearch", "SecurityAnalyticsDetector");
    }
}
