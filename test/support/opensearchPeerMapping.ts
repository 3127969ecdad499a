import * as net from "net";

/**
 * The mapping half of the OpenSearch peer: how a document is checked against an index's mappings and
 * how unmapped fields are added dynamically. This is where real clusters reject log documents
 * (`mapper_parsing_exception` on a type change, the total-fields limit), so it is modelled honestly
 * but only for the field types guardpost uses.
 */

export class MappingError extends Error {
    constructor(readonly type: string, readonly reason: string) { super(reason); }
}

export interface Mappings {
    dynamic?: boolean | "true" | "false" | "strict";
    dynamic_templates?: Array<Record<string, { match_mapping_type?: string; match?: string; path_match?: string; mapping: any }>>;
    properties?: Record<string, any>;
    date_detection?: boolean;
}

const LEAF_TYPES = new Set(["keyword", "text", "date", "ip", "geo_point", "long", "integer", "short", "byte",
    "double", "float", "half_float", "scaled_float", "boolean", "flat_object", "wildcard", "match_only_text"]);

function glob(pattern: string, value: string): boolean {
    const re = new RegExp("^" + pattern.split("*").map(s => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
    return re.test(value);
}

export function matchesAny(patterns: string[], name: string): boolean {
    return patterns.some(p => glob(p, name));
}

function jsonType(v: unknown): string {
    if (typeof v === "string") return "string";
    if (typeof v === "boolean") return "boolean";
    if (typeof v === "number") return Number.isInteger(v) ? "long" : "double";
    if (v && typeof v === "object") return "object";
    return "null";
}

function preview(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function validLeaf(type: string, v: unknown): boolean {
    switch (type) {
        case "date":
            return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)));
        case "ip":
            return typeof v === "string" && net.isIP(v) !== 0;
        case "geo_point":
            if (typeof v === "string") return /^-?\d+(\.\d+)?,\s*-?\d+(\.\d+)?$/.test(v);
            if (Array.isArray(v)) return v.length === 2 && v.every(n => typeof n === "number");
            return !!v && typeof v === "object" && typeof (v as any).lat === "number" && typeof (v as any).lon === "number" &&
                Math.abs((v as any).lat) <= 90 && Math.abs((v as any).lon) <= 180;
        case "long": case "integer": case "short": case "byte":
            return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && /^-?\d+(\.0+)?$/.test(v));
        case "double": case "float": case "half_float": case "scaled_float":
            return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)));
        case "boolean":
            return typeof v === "boolean" || v === "true" || v === "false" || v === "";
        default:
            return typeof v !== "object" || v === null;
    }
}

function dynamicMappingFor(m: Mappings, path: string, name: string, v: unknown): any {
    // Date detection runs first; dynamic templates then see the detected type ("date", not "string").
    const detectedDate = m.date_detection !== false && typeof v === "string" && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v));
    const kind = detectedDate ? "date" : jsonType(v);
    for (const entry of m.dynamic_templates ?? []) {
        const t = Object.values(entry)[0];
        if (t.match_mapping_type && t.match_mapping_type !== "*" && t.match_mapping_type !== kind) continue;
        if (t.match && !glob(t.match, name)) continue;
        if (t.path_match && !glob(t.path_match, path)) continue;
        return structuredClone(t.mapping);
    }
    switch (kind) {
        case "date": return { type: "date" };
        case "string":
            return { type: "text", fields: { keyword: { type: "keyword", ignore_above: 256 } } };
        case "object": return { properties: {} };
        default: return { type: kind === "double" ? "float" : kind };
    }
}

/** Mapped fields as OpenSearch counts them for `index.mapping.total_fields.limit`: objects and multi-fields included. */
export function countFields(props: Record<string, any> | undefined): number {
    let n = 0;
    for (const f of Object.values(props ?? {})) {
        n += 1 + Object.keys(f.fields ?? {}).length;
        if (f.properties) n += countFields(f.properties);
    }
    return n;
}

/**
 * Checks `source` against `mappings`, adding dynamic fields to it in place. Throws `MappingError` the
 * way a shard would; the caller restores the mappings it cloned beforehand.
 */
export function applyDocument(mappings: Mappings, source: Record<string, unknown>, docId: string, fieldLimit: number): void {
    mappings.properties ??= {};
    walk(mappings, mappings.properties, source, "", docId, mappings.dynamic);
    const total = countFields(mappings.properties);
    if (total > fieldLimit) {
        throw new MappingError("illegal_argument_exception", `Limit of total fields [${fieldLimit}] has been exceeded`);
    }
}

function walk(root: Mappings, props: Record<string, any>, obj: Record<string, unknown>, prefix: string, docId: string,
    dynamic: Mappings["dynamic"]): void {
    for (const [name, value] of Object.entries(obj)) {
        const path = prefix ? `${prefix}.${name}` : name;
        if (value === null || value === undefined) continue;
        let field = props[name];
        if (!field) {
            if (dynamic === "strict") {
                throw new MappingError("strict_dynamic_mapping_exception",
                    `mapping set to strict, dynamic introduction of [${name}] within [${prefix || "_doc"}] is not allowed`);
            }
            if (dynamic === false || dynamic === "false") continue;
            const sample = Array.isArray(value) ? value.find(v => v !== null) : value;
            if (sample === undefined) continue;
            field = dynamicMappingFor(root, path, name, sample);
            props[name] = field;
        }
        checkField(root, field, path, name, value, docId, dynamic);
    }
}

function checkField(root: Mappings, field: any, path: string, name: string, value: unknown, docId: string,
    dynamic: Mappings["dynamic"]): void {
    if (field.enabled === false) return;
    if (field.type === "flat_object") {
        // flat_object parses an object (each element of a list of objects); OpenSearch 2.x rejects a
        // concrete value or a list of them (opensearch-project/OpenSearch#8250).
        const values = Array.isArray(value) ? value.filter(v => v !== null) : [value];
        const bad = values.find(v => typeof v !== "object" || Array.isArray(v));
        if (bad !== undefined) {
            throw new MappingError("mapper_parsing_exception",
                `failed to parse field [${path}] of type [flat_object] in document with id '${docId}'. Preview of field's value: '${preview(bad)}'`);
        }
        return;
    }
    const isObjectField = !field.type || field.type === "object" || field.type === "nested";
    if (Array.isArray(value) && field.type !== "geo_point") {
        for (const v of value) if (v !== null) checkField(root, field, path, name, v, docId, dynamic);
        return;
    }
    if (isObjectField) {
        if (typeof value !== "object" || Array.isArray(value)) {
            throw new MappingError("mapper_parsing_exception",
                `object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`);
        }
        field.properties ??= {};
        walk(root, field.properties, value as Record<string, unknown>, path, docId, field.dynamic ?? dynamic);
        return;
    }
    if (!LEAF_TYPES.has(field.type)) return;
    // ignore_malformed: the document is indexed, the bad value is not.
    if (!validLeaf(field.type, value) && field.ignore_malformed !== true) {
        throw new MappingError("mapper_parsing_exception",
            `failed to parse field [${path}] of type [${field.type}] in document with id '${docId}'. Preview of field's value: '${preview(value)}'`);
    }
}

/**
 * Merges `over` onto `base` the way index creation composes component templates, the index template and the
 * request (each later one wins): object fields merge field by field, a leaf of `over` replaces the one of `base`.
 * Dotted names (`dns.question.name`, as Security Analytics writes its alias mappings) are expanded into objects,
 * as OpenSearch parses them ("By default, OpenSearch interprets field names containing dots (.) as hierarchical object
 * paths", https://docs.opensearch.org/latest/mappings/mapping-parameters/disable-objects/).
 */
export function mergeMappings(base: Mappings | undefined, over: Mappings | undefined): Mappings {
    const out: Mappings = structuredClone(base ?? {});
    if (out.properties) out.properties = mergeProperties({}, out.properties);
    if (!over) return out;
    for (const [k, v] of Object.entries(over)) {
        if (k === "properties") out.properties = mergeProperties(out.properties ?? {}, v as Record<string, any>);
        else (out as any)[k] = structuredClone(v);
    }
    return out;
}

function mergeProperties(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
    const out = { ...base };
    for (const [name, def] of Object.entries(over ?? {})) {
        const [head, ...rest] = name.split(".");
        const field = rest.length > 0 ? { properties: { [rest.join(".")]: def } } : def;
        const expanded = field?.properties ? { ...structuredClone(field), properties: mergeProperties({}, field.properties) } : structuredClone(field);
        const prior = out[head];
        out[head] = prior?.properties && expanded?.properties && !expanded.type
            ? { ...prior, properties: mergeProperties(prior.properties, expanded.properties) }
            : expanded;
    }
    return out;
}

/** The mapping of the field at a dotted path (`dns.question.name`), or undefined. */
export function fieldAt(mappings: Mappings | undefined, path: string): any {
    let props: Record<string, any> | undefined = mappings?.properties;
    const parts = path.split(".");
    for (let i = 0; i < parts.length; i++) {
        const field = props?.[parts[i]];
        if (i === parts.length - 1) return field;
        props = field?.properties;
    }
    return undefined;
}

/** Flattens `{index:{mapping:{total_fields:{limit:2000}}}}` and `{"index.mapping...": 2000}` alike. */
export function flattenSettings(s: any, prefix = ""): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(s ?? {})) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flattenSettings(v, key));
        else out[key.startsWith("index.") ? key : `index.${key}`] = String(v);
    }
    return out;
}
