import { matchingTemplate, osError, PeerState, Reply } from "./opensearchPeerIndices";
import type { IndexState } from "./opensearchPeerIndices";
import { fieldAt, Mappings, matchesAny, mergeMappings } from "./opensearchPeerMapping";

/**
 * Security Analytics' field-mappings API (`POST _plugins/_security_analytics/mappings` with `alias_mappings`,
 * https://docs.opensearch.org/latest/security-analytics/api-tools/mappings-api/) as the plugin implements it in 2.x
 * (opensearch-project/security-analytics, src/main/java/org/opensearch/securityanalytics/mapper/: MapperService.java
 * `createMappingAction`, `filterNonApplicableAliases`; IndexTemplateManager.java `upsertIndexTemplateWithAliasMappings`;
 * IndexTemplateUtils.java `computeComponentTemplateName`):
 *
 * - every index `index_name` names now gets the aliases put into its mappings — an alias whose path the index does
 *   not map (as a non-alias field) is left out with `partial`, and so is one named like an existing field;
 * - when `index_name` is not a concrete index (guardpost passes a pattern, `dns-*`), those aliases, with the
 *   mappings of the fields they point to, as applied to the newest matching index, are stored as the component
 *   template `.opensearch-sap-alias-mappings-component-<index_name without its trailing *>`, and that component is
 *   appended to the `composed_of` of the composable template that would shape such an index (the highest-priority
 *   one matching), together with `<index_name>*` appended to its `index_patterns` (even when already there). With no
 *   matching template it creates `.opensearch-sap-alias-mappings-index-template-<name>` composed of the component.
 *
 * Later indices therefore have the aliases only while that template composes the component: a re-PUT of the
 * template without it drops them for every index created afterwards, with no error anywhere. The issue
 * https://github.com/opensearch-project/security-analytics/issues/1102 reports the same template rewrite
 * (the appended pattern and the `.opensearch-sap-alias-mappings-component…` link) from the user's side.
 *
 * Not modelled: the log type's own field mappings applied when no `alias_mappings` are given (the peer's rules read
 * raw fields first), data streams or aliases as `index_name`, the refusal of `partial: false` with missing paths,
 * and the conflict checks before creating an SA-owned template.
 */

export const SA_COMPONENT_PREFIX = ".opensearch-sap-alias-mappings-component-";
export const SA_INDEX_TEMPLATE_PREFIX = ".opensearch-sap-alias-mappings-index-template-";

const withoutStar = (name: string) => (name.endsWith("*") ? name.slice(0, -1) : name);

/** Dotted paths of the non-alias leaf fields of a mapping (MapperUtils `getAllNonAliasFieldsFromIndex`). */
function nonAliasLeaves(props: Record<string, any> | undefined, prefix = ""): string[] {
    return Object.entries(props ?? {}).flatMap(([name, f]) => {
        const path = prefix ? `${prefix}.${name}` : name;
        if (f?.properties) return nonAliasLeaves(f.properties, path);
        return f?.type === "alias" ? [] : [path];
    });
}

/** The mappings Security Analytics applies to one index: the applicable aliases and the fields they point to, flat. */
function aliasMappingsFor(ix: IndexState, requested: Array<[string, any]>): Record<string, any> {
    const leaves = nonAliasLeaves(ix.mappings.properties);
    const usable = requested.filter(([alias, m]) => leaves.includes(m?.path) && !leaves.includes(alias));
    const targets = Object.fromEntries(usable.map(([, m]) => [m.path, structuredClone(fieldAt(ix.mappings, m.path))]));
    return { ...targets, ...Object.fromEntries(usable.map(([alias, m]) => [alias, { type: "alias", path: m.path }])) };
}

/** `POST _plugins/_security_analytics/mappings`, once the rule topic has been checked. */
export function createAliasMappings(state: PeerState, body: any): Reply {
    const indexName = String(body.index_name ?? "");
    const concrete = state.indices.get(indexName);
    const indices = concrete ? [concrete] : [...state.indices.values()].filter(ix => matchesAny([indexName], ix.name));
    if (indices.length === 0) return osError(404, "index_not_found_exception", `no such index [${indexName}]`);
    const requested = Object.entries<any>(body.alias_mappings?.properties ?? {});
    const applied = new Map<IndexState, Record<string, any>>();
    for (const ix of indices) {
        const mappings = aliasMappingsFor(ix, requested);
        const aliases = Object.fromEntries(Object.entries(mappings).filter(([, f]) => f.type === "alias"));
        ix.mappings = mergeMappings(ix.mappings, { properties: aliases } as Mappings);
        applied.set(ix, mappings);
    }
    if (concrete) return { status: 200, body: { acknowledged: true } };

    const newest = indices.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    const component = SA_COMPONENT_PREFIX + withoutStar(indexName);
    state.componentTemplates.set(component, { template: { mappings: { properties: applied.get(newest) } }, version: 0 });
    const pattern = indexName.endsWith("*") ? indexName : `${indexName}*`;
    const found = matchingTemplate(state, withoutStar(indexName)) ?? matchingTemplate(state, newest.name);
    if (!found) {
        state.templates.set(SA_INDEX_TEMPLATE_PREFIX + withoutStar(indexName), { index_patterns: [pattern], composed_of: [component] });
    } else if (!(found.body.composed_of ?? []).includes(component)) {
        state.templates.set(found.name, { ...found.body, index_patterns: [...found.body.index_patterns, pattern], composed_of: [...(found.body.composed_of ?? []), component] });
    }
    return { status: 200, body: { acknowledged: true } };
}

/** Where an index's mappings point a field: the alias's path, when the field is an alias there. */
export function aliasPath(ix: IndexState, field: string): string | undefined {
    const f = fieldAt(ix.mappings, field);
    return f?.type === "alias" ? f.path : undefined;
}
