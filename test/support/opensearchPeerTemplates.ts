import { matchesAny } from "./opensearchPeerMapping";
import { osError, parseJson, PeerRequest, PeerState, Reply } from "./opensearchPeerIndices";

/** The composable index template API of the OpenSearch peer (https://docs.opensearch.org/latest/im-plugin/index-templates/). */

const TEMPLATE_KEYS = new Set(["index_patterns", "template", "priority", "composed_of", "version", "_meta", "data_stream"]);
const FIELD_TYPES = new Set(["object", "nested", "keyword", "text", "date", "date_nanos", "ip", "geo_point", "geo_shape", "long",
    "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "boolean", "flat_object", "wildcard",
    "match_only_text", "binary", "alias"]);

function unknownType(props: Record<string, any> | undefined): { field: string; type: string } | undefined {
    for (const [field, def] of Object.entries(props ?? {})) {
        if (def.type && !FIELD_TYPES.has(def.type)) return { field, type: def.type };
        const inner = unknownType(def.properties) ?? unknownType(def.fields);
        if (inner) return inner;
    }
    return undefined;
}

/** `_index_template[/<name>]` — composable index templates. */
export function indexTemplateApi(state: PeerState, req: PeerRequest): Reply | undefined {
    const name = req.segments[1];
    const missing = () => osError(404, "resource_not_found_exception", `index template matching [${name}] not found`);
    switch (req.method) {
        case "HEAD": return { status: name && state.templates.has(name) ? 200 : 404 };
        case "GET": {
            if (name && !state.templates.has(name)) return missing();
            const entries = [...state.templates].filter(([n]) => !name || n === name);
            return { status: 200, body: { index_templates: entries.map(([n, t]) => ({ name: n, index_template: t })) } };
        }
        case "DELETE":
            if (!state.templates.delete(name)) return osError(404, "index_template_missing_exception", `index_template [${name}] missing`);
            return { status: 200, body: { acknowledged: true } };
        case "PUT": case "POST": {
            const parsed = parseJson(req);
            if (parsed.error) return parsed.error;
            const body = parsed.value ?? {};
            const unknown = Object.keys(body).find(k => !TEMPLATE_KEYS.has(k));
            if (unknown) return osError(400, "x_content_parse_exception", `[1:2] [index_template] unknown field [${unknown}]`);
            if (!Array.isArray(body.index_patterns) || body.index_patterns.length === 0) {
                return osError(400, "action_request_validation_exception", "Validation Failed: 1: index patterns are missing;");
            }
            const bad = unknownType(body.template?.mappings?.properties);
            if (bad) return osError(400, "mapper_parsing_exception", `No handler for type [${bad.type}] declared on field [${bad.field}]`);
            // Every composed_of entry must exist (MetadataIndexTemplateService `validateV2TemplateRequest`, InvalidIndexTemplateException: 400).
            const missingComponents = ((body.composed_of ?? []) as string[]).filter(c => !state.componentTemplates.has(c));
            if (missingComponents.length > 0) {
                return osError(400, "invalid_index_template_exception",
                    `index_template [${name}] invalid, cause [index template [${name}] specifies component templates [${missingComponents.join(", ")}] that do not exist]`);
            }
            if (req.query.get("create") === "true" && state.templates.has(name)) {
                return osError(400, "illegal_argument_exception", `index template [${name}] already exists`);
            }
            for (const [other, t] of state.templates) {
                if (other === name || (t.priority ?? 0) !== (body.priority ?? 0)) continue;
                const overlap = body.index_patterns.some((p: string) => t.index_patterns.some((q: string) => matchesAny([p], q) || matchesAny([q], p)));
                if (overlap) {
                    return osError(400, "illegal_argument_exception", `index template [${name}] has index patterns ${JSON.stringify(body.index_patterns)} matching patterns from existing templates [${other}] with patterns (${other} => ${JSON.stringify(t.index_patterns)}) that have the same priority [${body.priority ?? 0}], multiple index templates may not match during index creation, please use a different priority`);
                }
            }
            state.templates.set(name, body);
            return { status: 200, body: { acknowledged: true } };
        }
    }
    return undefined;
}

const COMPONENT_KEYS = new Set(["template", "version", "_meta"]);

/**
 * `_component_template[/<name>]` (https://docs.opensearch.org/latest/api-reference/index-apis/component-template/):
 * pieces of index templates that take effect only through an index template's `composed_of`, when an index is
 * created. One still in some `composed_of` cannot be deleted (MetadataIndexTemplateService `validateNotInUse`).
 */
export function componentTemplateApi(state: PeerState, req: PeerRequest): Reply | undefined {
    const name = req.segments[1];
    switch (req.method) {
        case "GET": {
            if (name && !state.componentTemplates.has(name)) return osError(404, "resource_not_found_exception", `component template matching [${name}] not found`);
            const entries = [...state.componentTemplates].filter(([n]) => !name || n === name);
            return { status: 200, body: { component_templates: entries.map(([n, t]) => ({ name: n, component_template: t })) } };
        }
        case "DELETE": {
            if (!state.componentTemplates.has(name)) return osError(404, "index_template_missing_exception", `index_template [${name}] missing`);
            const users = [...state.templates].filter(([, t]) => (t.composed_of ?? []).includes(name)).map(([n]) => n);
            if (users.length > 0) {
                return osError(400, "illegal_argument_exception", `component templates [${name}] cannot be removed as they are still in use by index templates [${users.join(", ")}]`);
            }
            state.componentTemplates.delete(name);
            return { status: 200, body: { acknowledged: true } };
        }
        case "PUT": case "POST": {
            if (!name) return undefined;
            const parsed = parseJson(req);
            if (parsed.error) return parsed.error;
            const body = parsed.value ?? {};
            const unknown = Object.keys(body).find(k => !COMPONENT_KEYS.has(k));
            if (unknown) return osError(400, "x_content_parse_exception", `[1:2] [component_template] unknown field [${unknown}]`);
            const bad = unknownType(body.template?.mappings?.properties);
            if (bad) return osError(400, "mapper_parsing_exception", `No handler for type [${bad.type}] declared on field [${bad.field}]`);
            if (req.query.get("create") === "true" && state.componentTemplates.has(name)) {
                return osError(400, "illegal_argument_exception", `component template [${name}] already exists`);
            }
            state.componentTemplates.set(name, body);
            return { status: 200, body: { acknowledged: true } };
        }
    }
    return undefined;
}
