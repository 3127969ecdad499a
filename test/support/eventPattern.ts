/**
 * EventBridge content matching for the pattern features guardpost's rules use: nested objects, lists of
 * exact values (strings or numbers, matched by equality, a list field matching if any element does),
 * `numeric` ranges, `prefix` and `exists`
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html).
 * Anything else throws, so a test cannot pass by ignoring a condition it does not understand.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
    return Object.entries(pattern).every(([key, cond]) => {
        const value = (event as Record<string, unknown> | undefined)?.[key];
        if (Array.isArray(cond)) return cond.some(c => matchLeaf(c, value));
        if (cond && typeof cond === "object") return matchesPattern(cond as Record<string, unknown>, value);
        throw new Error(`unsupported pattern element at ${key}: ${JSON.stringify(cond)}`);
    });
}

function matchLeaf(cond: unknown, value: unknown): boolean {
    if (Array.isArray(value)) return value.some(v => matchLeaf(cond, v));
    if (typeof cond === "string" || typeof cond === "number") return value === cond;
    const c = cond as Record<string, unknown>;
    if (c && Array.isArray(c.numeric)) {
        if (typeof value !== "number") return false;
        const ops: Record<string, (a: number, b: number) => boolean> = {
            ">=": (a, b) => a >= b, ">": (a, b) => a > b, "<": (a, b) => a < b, "<=": (a, b) => a <= b, "=": (a, b) => a === b,
        };
        for (let i = 0; i < c.numeric.length; i += 2) {
            const op = ops[c.numeric[i] as string];
            if (!op) throw new Error(`unsupported numeric operator ${c.numeric[i]}`);
            if (!op(value, c.numeric[i + 1] as number)) return false;
        }
        return true;
    }
    if (c && typeof c.prefix === "string") return typeof value === "string" && value.startsWith(c.prefix);
    if (c && typeof c.exists === "boolean") return (value !== undefined) === c.exists;
    throw new Error(`unsupported pattern leaf ${JSON.stringify(cond)}`);
}
