/**
 * GuardDuty severity bands (GuardDuty user guide, "Severity levels"). Critical (9.0–10.0) is used by
 * attack-sequence findings; older docs called 9–10 "reserved", so nothing here assumes a maximum of 8.9.
 */
export type SeverityBand = "Low" | "Medium" | "High" | "Critical";

export interface SeverityInfo {
    band: SeverityBand;
    emoji: string;
}

const BANDS: ReadonlyArray<{ min: number; band: SeverityBand; emoji: string }> = [
    { min: 9, band: "Critical", emoji: "🔴" },
    { min: 7, band: "High", emoji: "🟠" },
    { min: 4, band: "Medium", emoji: "🟡" },
    { min: -Infinity, band: "Low", emoji: "🔵" },
];

/**
 * Band of a numeric severity. Compares against the lower bounds rather than the published upper
 * bounds (3.9, 6.9, 8.9) so that a value such as 3.95 cannot fall between two bands.
 */
export function severityInfo(severity: number): SeverityInfo {
    const found = BANDS.find((b) => severity >= b.min) ?? BANDS[BANDS.length - 1];
    return { band: found.band, emoji: found.emoji };
}

export function severityBand(severity: number): SeverityBand {
    return severityInfo(severity).band;
}

/** "8.0" rather than "8": GuardDuty documents severities with one decimal. */
export function formatSeverity(severity: number): string {
    return Number.isInteger(severity) ? severity.toFixed(1) : String(severity);
}
