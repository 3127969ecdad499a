import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const AUDIT_CONFIG_PROVIDER_VERSION = "2";

export interface AuditConfigArgs extends ConnectionArgs {
    /**
     * The parts of the security plugin's audit config to set (`enabled`, `audit.*`, `compliance.*`);
     * everything else keeps its current value.
     */
    settings: pulumi.Input<Record<string, any>>;
}

const AUDIT = "/_plugins/_security/api/audit";

/**
 * `desired` laid over `current` (objects merged, everything else replaced), except where the domain
 * marks a field read-only: those keep their current value, since a PUT that changes one is refused.
 */
export function overlay(current: any, desired: any, readonly: string[], at = ""): any {
    if (readonly.includes(at)) return current;
    if (!desired || typeof desired !== "object" || Array.isArray(desired) || !current || typeof current !== "object" || Array.isArray(current)) {
        return desired;
    }
    const out: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(desired)) out[k] = overlay(current[k], v, readonly, `${at}/${k}`);
    return out;
}

/**
 * Audit log publishing is two steps on Amazon OpenSearch Service: the domain's AUDIT_LOGS option, and
 * then audit logging enabled in the security plugin — this. GET, overlay, PUT the whole config.
 */
async function applyAudit(props: any, settings: any): Promise<void> {
    const conn = connectionOf(props);
    await withRetry(conn, "audit config", client => auditOnce(client, conn, settings));
}

async function auditOnce(client: any, conn: any, settings: any): Promise<void> {
    const got = await send(client, conn, { method: "GET", path: AUDIT });
    const readonly: string[] = got.body?._readonly ?? [];
    const next = overlay(got.body?.config ?? {}, settings, readonly);
    await send(client, conn, { method: "PUT", path: `${AUDIT}/config`, body: next }, [], true);
}

function outputs(props: any): any {
    const { __provider, ...rest } = props;
    return rest;
}

export const auditConfigProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const failures = typeof news.settings?.enabled === "boolean" ? [] : [{ property: "settings", reason: "settings.enabled must be true or false" }];
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, []);
    },
    async create(inputs: any) {
        await applyAudit(inputs, inputs.settings);
        return { id: "audit-config", outs: outputs(inputs) };
    },
    async update(_id: string, _olds: any, news: any) {
        await applyAudit(news, news.settings);
        return { outs: outputs(news) };
    },
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, "audit config", client => send(client, conn, { method: "GET", path: AUDIT }));
        return { id, props: { ...props, settings: projectLike(got.body?.config ?? {}, props.settings) } };
    },
    async delete(_id: string, props: any) {
        // The config itself cannot be deleted; switching audit logging off is what removing it means.
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, "audit config", client => auditOnce(client, conn, { enabled: false }));
    },
});

/** The security plugin's audit logging configuration (one per domain). */
export class AuditConfig extends pulumi.dynamic.Resource {
    constructor(name: string, args: AuditConfigArgs, opts?: pulumi.CustomResourceOptions) {
        super(auditConfigProvider, name, { ...args, version: AUDIT_CONFIG_PROVIDER_VERSION }, opts, "opensearch", "AuditConfig");
    }
}
