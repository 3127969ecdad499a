/** One JSON object per log line, so CloudWatch Logs Insights can filter on `level` and the fields. */
export type LogFn = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

export const jsonLog: LogFn = (level, msg, fields) => {
    const line = JSON.stringify({ level, msg, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
};

export function errorText(err: unknown): string {
    const e = err as any;
    return `${e?.name ?? "Error"}: ${String(e?.message ?? e).slice(0, 300)}`;
}
