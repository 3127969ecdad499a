import { indexPattern, LOG_KINDS, LogKind, TIME_FIELD } from "./siemTemplates";

/**
 * OpenSearch Dashboards saved objects (index patterns, the CloudTrail visualizations and dashboard) and
 * the CloudTrail anomaly detector, as plain data. Saved-object ids are fixed so that references survive
 * redeploys and re-imports overwrite instead of duplicating.
 */

export interface SavedObject {
    objectType: "index-pattern" | "visualization" | "dashboard";
    objectId: string;
    attributes: Record<string, unknown>;
    references: Array<{ name: string; type: string; id: string }>;
}

export function indexPatternId(kind: LogKind): string {
    return `guardpost-${kind}`;
}

/** One index pattern per log type, on the date field that log type's documents actually carry. */
export function indexPatterns(): SavedObject[] {
    return LOG_KINDS.map(kind => ({
        objectType: "index-pattern",
        objectId: indexPatternId(kind),
        attributes: { title: indexPattern(kind), timeFieldName: TIME_FIELD[kind] },
        references: [],
    }));
}

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";

function searchSource(query = ""): { searchSourceJSON: string } {
    return { searchSourceJSON: JSON.stringify({ query: { query, language: "kuery" }, filter: [], indexRefName: INDEX_REF }) };
}

/**
 * A visualization over one log type's index pattern, optionally narrowed by a KQL query (e.g. `action:REJECT`);
 * with no `kind`, one that reads no index (markdown and the like).
 */
export function kindVisualization(kind: LogKind | undefined, id: string, title: string, visState: Record<string, unknown>, query = ""): SavedObject {
    return {
        objectType: "visualization",
        objectId: id,
        attributes: {
            title,
            description: "Managed by guardpost; an edit here is kept as an \"(edited copy)\" when guardpost next deploys.",
            version: 1,
            uiStateJSON: "{}",
            visState: JSON.stringify({ title, ...visState }),
            kibanaSavedObjectMeta: kind ? searchSource(query) : { searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }) },
        },
        references: kind ? [{ name: INDEX_REF, type: "index-pattern", id: indexPatternId(kind) }] : [],
    };
}

/** The CloudTrail dashboard's visualizations (`withIndex: false` for those that read no index). */
function visualization(id: string, title: string, visState: Record<string, unknown>, withIndex = true): SavedObject {
    return kindVisualization(withIndex ? "cloudtrail" : undefined, id, title, visState);
}

const count = { id: "1", enabled: true, type: "count", schema: "metric", params: {} };

/** Top `size` values of `field`, by document count or by the sum of `sumField` (e.g. bytes). */
export function termsBar(field: string, size: number, sumField?: string): Record<string, unknown> {
    const metric = sumField ? { id: "1", enabled: true, type: "sum", schema: "metric", params: { field: sumField } } : count;
    return {
        type: "horizontal_bar",
        params: { addLegend: false, addTooltip: true, type: "histogram" },
        aggs: [metric, { id: "2", enabled: true, type: "terms", schema: "segment",
            params: { field, size, order: "desc", orderBy: "1", otherBucket: false, missingBucket: false } }],
    };
}

/** Documents over time on the log type's time field: where a spike shows. */
export function overTime(timeField: string): Record<string, unknown> {
    return {
        type: "histogram",
        params: { addLegend: false, addTooltip: true, type: "histogram" },
        aggs: [count, { id: "2", enabled: true, type: "date_histogram", schema: "segment",
            params: { field: timeField, interval: "auto", min_doc_count: 1, extended_bounds: {} } }],
    };
}

/**
 * Hour of day is not a field, and a scripted index-pattern field would replace the pattern's field list;
 * a Vega visualization computes it in its own query (UTC hours), so the index pattern stays plain.
 */
function hourOfDaySpec(): string {
    return JSON.stringify({
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        title: "CloudTrail events per hour of day (UTC)",
        data: {
            url: {
                index: indexPattern("cloudtrail"),
                body: {
                    size: 0,
                    query: { bool: { filter: [{ range: { "@timestamp": { "%timefilter%": true } } }] } },
                    aggs: { hours: { terms: { script: { source: "doc['@timestamp'].value.getHour()", lang: "painless" }, size: 24, order: { _key: "asc" } } } },
                },
            },
            format: { property: "aggregations.hours.buckets" },
        },
        mark: "bar",
        encoding: {
            x: { field: "key", type: "ordinal", title: "hour (UTC)" },
            y: { field: "doc_count", type: "quantitative", title: "events" },
        },
    }, null, 2);
}

export const CLOUDTRAIL_VISUALIZATIONS = {
    hourOfDay: "guardpost-cloudtrail-hour-of-day",
    map: "guardpost-cloudtrail-source-map",
    errors: "guardpost-cloudtrail-top-errors",
    users: "guardpost-cloudtrail-top-users",
};

/** The four CloudTrail visualizations: when, from where, what failed, who. */
export function cloudtrailVisualizations(): SavedObject[] {
    return [
        visualization(CLOUDTRAIL_VISUALIZATIONS.hourOfDay, "CloudTrail: events per hour of day", { type: "vega", params: { spec: hourOfDaySpec() }, aggs: [] }, false),
        visualization(CLOUDTRAIL_VISUALIZATIONS.map, "CloudTrail: source locations", {
            type: "tile_map",
            params: { mapType: "Scaled Circle Markers", isDesaturated: true, addTooltip: true, heatClusterSize: 1.5, mapZoom: 2, mapCenter: [20, 0], wms: { enabled: false } },
            aggs: [count, { id: "2", enabled: true, type: "geohash_grid", schema: "segment", params: { field: "geo.location", autoPrecision: true, precision: 2, useGeocentroid: true, isFilteredByCollar: true } }],
        }),
        visualization(CLOUDTRAIL_VISUALIZATIONS.errors, "CloudTrail: top error codes", termsBar("errorCode", 15)),
        visualization(CLOUDTRAIL_VISUALIZATIONS.users, "CloudTrail: top callers (userIdentity.arn)", termsBar("userIdentity.arn", 15)),
    ];
}

export const DETECTOR_NAME = "guardpost-cloudtrail-callers";

/**
 * Population analysis of CloudTrail callers: events per `principal` every 10 minutes, so one principal
 * suddenly far busier than its own history stands out. `principal` is the role behind an assumed-role
 * session (`userIdentity.sessionContext.sessionIssuer.arn`, falling back to `userIdentity.arn`), which the
 * shipper adds (functions/cloudtrail-shipper/principal.ts): `userIdentity.arn` ends in the session name,
 * so every Lambda, SSO or CI session would be a new entity with no history. The 15-minute window delay
 * covers CloudTrail's delivery latency, so the detector does not read buckets that are still filling.
 */
export function cloudtrailDetector(): { name: string; [k: string]: unknown } {
    return {
        name: DETECTOR_NAME,
        description: "guardpost: unusual CloudTrail activity per principal (events per role or user, sessions folded into their role)",
        time_field: "@timestamp",
        indices: [indexPattern("cloudtrail")],
        category_field: ["principal"],
        feature_attributes: [{
            feature_name: "events",
            feature_enabled: true,
            aggregation_query: { events: { value_count: { field: "eventName" } } },
        }],
        detection_interval: { period: { interval: 10, unit: "Minutes" } },
        window_delay: { period: { interval: 15, unit: "Minutes" } },
    };
}
