/** Daily index names `<prefix>-YYYY.MM.DD`, always by UTC, so one event lands in one index wherever it is read. */

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
