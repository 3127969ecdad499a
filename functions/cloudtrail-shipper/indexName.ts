/**
 * Index names from the event's own time, always in UTC, so one event lands in one index however often and
 * however late it is shipped: that, with `_id` = eventID, is what makes a redelivery or a replay overwrite
 * the document instead of adding a second one — across period boundaries too (README "Index naming").
 * - `month` (default): `<prefix>-YYYY-MM`, the format Firehose's `OneMonth` rotation gives the other log types
 *   (https://docs.aws.amazon.com/firehose/latest/dev/es-index-rotation.html);
 * - `day` (before monthly indices): `<prefix>-YYYY.MM.DD`.
 */

export type IndexPeriod = "month" | "day";

export function isIndexPeriod(v: unknown): v is IndexPeriod {
    return v === "month" || v === "day";
}

/** OpenSearch index names: lower case, no leading `-_+`, none of `\ / * ? " < > | , # :` or spaces. */
export function validIndexPrefix(prefix: string): boolean {
    return /^[a-z0-9][a-z0-9._-]{0,200}$/.test(prefix);
}

export function dailyIndex(prefix: string, when: Date): string {
    const y = when.getUTCFullYear();
    const m = String(when.getUTCMonth() + 1).padStart(2, "0");
    const d = String(when.getUTCDate()).padStart(2, "0");
    return `${prefix}-${y}.${m}.${d}`;
}

export function monthlyIndex(prefix: string, when: Date): string {
    return `${prefix}-${when.getUTCFullYear()}-${String(when.getUTCMonth() + 1).padStart(2, "0")}`;
}

export function periodIndex(prefix: string, period: IndexPeriod, when: Date): string {
    return period === "month" ? monthlyIndex(prefix, when) : dailyIndex(prefix, when);
}

/** The first of the candidates that is a real date: epoch milliseconds or an ISO 8601 string. */
export function firstValidDate(...candidates: unknown[]): Date | undefined {
    for (const c of candidates) {
        if (typeof c === "string" && c.trim() !== "") {
            const d = new Date(c);
            if (!Number.isNaN(d.getTime())) return d;
        } else if (typeof c === "number" && Number.isFinite(c)) {
            const d = new Date(c);
            if (!Number.isNaN(d.getTime())) return d;
        }
    }
    return undefined;
}
