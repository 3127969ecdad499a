/** One configuration problem: where it is, what is wrong, and how to fix it. */
export interface ConfigIssue {
    key: string;
    problem: string;
    fix: string;
}

/** Every problem in a stack's config at once, so a user fixes them in one pass. */
export class ConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(`Invalid guardpost configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n`
            + issues.map(i => `  - ${i.key}: ${i.problem}. Fix: ${i.fix}.`).join("\n"));
        this.name = "ConfigError";
    }
}

export class Issues {
    private readonly found: ConfigIssue[] = [];

    add(key: string, problem: string, fix: string): void {
        this.found.push({ key, problem, fix });
    }

    throwIfAny(): void {
        if (this.found.length > 0) throw new ConfigError(this.found);
    }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
