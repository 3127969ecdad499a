/**
 * Stack configuration: read the `guardpost:` namespace, validate every key, and hand the program typed
 * objects. Nothing here declares resources, so bad config fails before any resource exists.
 */
export { ConfigError } from "../configErrors";
export {
    KNOWN_REGIONS, STANDARD_SHORT_NAMES, PUBLISHING_FREQUENCIES, THREAT_LIST_FORMATS, REPEAT_MODES,
    DEFAULT_SHIPPER_RESERVED, DEFAULT_TELEGRAM_RESERVED, DEFAULT_RELAY_RESERVED, UNRESERVED_CONCURRENCY_FLOOR,
} from "./types";
export type {
    AccountKind, AccountLogs, AccountConfig, ThreatListConfig, ProtectionPlans, DetectionConfig, AlertsConfig,
    SiemConfig, LogsConfig, EstateConfig, GuardpostConfig, RawConfig,
} from "./types";
export { parseConfig } from "./parse";
export { wafRegion } from "./accounts";
export { requiredSecrets, missingSecrets } from "./alerts";
export { reservedConcurrencyIn } from "./concurrency";
