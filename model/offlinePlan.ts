/** Set by the offline plan: files a deploy needs (the GeoIP database) may be absent there. */
export const OFFLINE_PLAN_ENV = "GUARDPOST_OFFLINE_PLAN";
