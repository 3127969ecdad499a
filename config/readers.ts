/**
 * Reading the `guardpost:` namespace: one key's value as `pulumi config` hands it over, and the small typed
 * readers every part of config/ uses.
 */
import { Issues, isRecord } from "../configErrors";
import { KNOWN_REGIONS, type RawConfig } from "./types";

const NAMESPACE = "guardpost";

export function read(raw: RawConfig, key: string): unknown {
    const value = raw[`${NAMESPACE}:${key}`];
    if (value === undefined) return undefined;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

// ---- small typed readers; each records a problem and returns undefined instead of throwing ----

export function describe(v: unknown): string {
    if (v === undefined) return "nothing";
    if (typeof v === "string") return `'${v}'`;
    return JSON.stringify(v);
}

export function object(v: unknown, at: string, issues: Issues): Record<string, unknown> {
    if (v === undefined) return {};
    if (isRecord(v)) return v;
    issues.add(at, `must be an object, got ${describe(v)}`, "write it as a YAML mapping");
    return {};
}

export function unknownKeys(v: Record<string, unknown>, at: string, known: string[], issues: Issues): void {
    for (const k of Object.keys(v)) {
        if (!known.includes(k)) issues.add(`${at}.${k}`, "is not a known key", `known keys: ${known.join(", ")}`);
    }
}

export function str(v: unknown, at: string, issues: Issues, rule: { pattern: RegExp; hint: string }): string | undefined {
    if (typeof v !== "string" || !rule.pattern.test(v)) {
        issues.add(at, v === undefined ? "is missing" : `${describe(v)} is not valid`, `use ${rule.hint}`);
        return undefined;
    }
    return v;
}

export function bool(v: unknown, at: string, issues: Issues, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v === "boolean") return v;
    issues.add(at, `${describe(v)} is not a boolean`, "use true or false");
    return fallback;
}

export function num(v: unknown, at: string, issues: Issues, rule: { min: number; max: number; integer?: boolean; hint: string }): number | undefined {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < rule.min || n > rule.max || (rule.integer && !Number.isInteger(n))) {
        issues.add(at, `${describe(v)} is out of range`, `use ${rule.integer ? "a whole number" : "a number"} from ${rule.min} to ${rule.max} (${rule.hint})`);
        return undefined;
    }
    return n;
}

export function oneOf<T extends string>(v: unknown, at: string, issues: Issues, allowed: readonly T[]): T | undefined {
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    issues.add(at, `${describe(v)} is not allowed`, `use one of: ${allowed.join(", ")}`);
    return undefined;
}

export function region(v: unknown, at: string, issues: Issues): string | undefined {
    return oneOf(v, at, issues, KNOWN_REGIONS);
}

export function list<T>(v: unknown, at: string, issues: Issues, item: (e: unknown, at: string) => T | undefined): T[] | undefined {
    if (!Array.isArray(v)) {
        issues.add(at, `must be a list, got ${describe(v)}`, "write it as a YAML list");
        return undefined;
    }
    const out: T[] = [];
    v.forEach((e, i) => {
        const parsed = item(e, `${at}[${i}]`);
        if (parsed !== undefined) out.push(parsed);
    });
    return out;
}
