/**
 * The subset of Mustache (https://mustache.github.io/mustache.5.html) the peer renders action templates with,
 * as Alerting does with mustache.java before handing subject and message to the Notifications plugin
 * (https://docs.opensearch.org/latest/observing-your-data/alerting/actions/): `{{name}}` with dotted names
 * (`ctx.results.0.hits` — list elements by index, as that page notes for `ctx.results.0`), looked up from the
 * innermost section context outwards; `{{#name}}…{{/name}}` sections over lists (once per element),
 * objects and true values (once), skipped for missing, false, null and empty lists; `{{.}}`. A value that is
 * an object or list prints as nothing rather than as a Java `toString` — guardpost's templates never print one.
 */

type Ctx = unknown[];

function lookup(stack: Ctx, name: string): unknown {
    if (name === ".") return stack[stack.length - 1];
    const [head, ...rest] = name.split(".");
    for (let i = stack.length - 1; i >= 0; i--) {
        const frame = stack[i];
        if (frame !== null && typeof frame === "object" && head in (frame as object)) {
            return rest.reduce((v: any, k) => (v === null || v === undefined ? undefined : v[k]), (frame as any)[head]);
        }
    }
    return undefined;
}

function print(v: unknown): string {
    if (v === undefined || v === null || typeof v === "object") return "";
    return String(v);
}

const TAG = /\{\{\s*([#/^]?)\s*([\w.]+|\.)\s*\}\}/g;

function renderIn(template: string, stack: Ctx): string {
    let out = "";
    let at = 0;
    const tags = new RegExp(TAG.source, "g");
    for (let m = tags.exec(template); m; m = tags.exec(template)) {
        out += template.slice(at, m.index);
        const [tag, kind, name] = m;
        if (kind === "") {
            out += print(lookup(stack, name));
            at = m.index + tag.length;
            continue;
        }
        if (kind === "/") throw new Error(`mustache: unopened section {{/${name}}}`);
        // Find the matching close, counting nested sections of the same name.
        const open = new RegExp(`\\{\\{\\s*[#^]\\s*${name.replace(/\./g, "\\.")}\\s*\\}\\}`, "g");
        const close = new RegExp(`\\{\\{\\s*/\\s*${name.replace(/\./g, "\\.")}\\s*\\}\\}`, "g");
        let depth = 1;
        let pos = m.index + tag.length;
        let end = -1;
        let endTag = "";
        while (depth > 0) {
            open.lastIndex = pos;
            close.lastIndex = pos;
            const o = open.exec(template);
            const c = close.exec(template);
            if (!c) throw new Error(`mustache: unclosed section {{#${name}}}`);
            if (o && o.index < c.index) { depth++; pos = o.index + o[0].length; continue; }
            depth--;
            pos = c.index + c[0].length;
            if (depth === 0) { end = c.index; endTag = c[0]; }
        }
        const inner = template.slice(m.index + tag.length, end);
        const value = lookup(stack, name);
        const empty = value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0);
        if (kind === "^") {
            if (empty) out += renderIn(inner, stack);
        } else if (!empty) {
            const items = Array.isArray(value) ? value : [value];
            for (const item of items) out += renderIn(inner, [...stack, item]);
        }
        at = end + endTag.length;
        tags.lastIndex = at;
    }
    return out + template.slice(at);
}

export function renderMustache(template: string, view: Record<string, unknown>): string {
    return renderIn(template, [view]);
}
