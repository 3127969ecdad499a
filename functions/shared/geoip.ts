import { errorText, jsonLog } from "./logLine";
/**
 * GeoIP enrichment with MaxMind databases. The reader does not validate its input (mmdb-lib walks
 * `AWS Internal` as 0.0.0.0 and `1.2.3` as a wrong address), so every value is validated first and only
 * globally routable addresses are looked up.
 */

export interface GeoFields {
    country_iso_code?: string;
    city_name?: string;
    location?: { lat: number; lon: number };
    asn?: number;
    as_org?: string;
}

/** The subset of a maxmind `Reader` this module uses. */
export interface GeoReader<T> {
    get(ip: string): T | null;
}

export interface CityRecord {
    country?: { iso_code?: string };
    registered_country?: { iso_code?: string };
    city?: { names?: Record<string, string> };
    location?: { latitude?: number; longitude?: number };
}

export interface AsnRecord {
    autonomous_system_number?: number;
    autonomous_system_organization?: string;
}

export type GeoLookup = (value: unknown) => GeoFields | undefined;

/** Parses dotted-quad IPv4 into its four octets; undefined for anything else. */
export function ipv4Octets(ip: string): number[] | undefined {
    const parts = ip.split(".");
    if (parts.length !== 4) return undefined;
    const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
    return octets.every((o) => Number.isInteger(o) && o <= 255) ? octets : undefined;
}

/** Expands IPv6 (with `::` and an optional embedded IPv4 tail) into eight 16-bit groups. */
export function ipv6Groups(ip: string): number[] | undefined {
    if (!ip.includes(":") || ip.includes("%")) return undefined;
    let text = ip;
    const lastColon = text.lastIndexOf(":");
    const last = text.slice(lastColon + 1);
    if (last.includes(".")) {
        // An embedded IPv4 tail (`::ffff:192.0.2.1`) is two more 16-bit groups.
        const v4 = ipv4Octets(last);
        if (!v4) return undefined;
        text = `${text.slice(0, lastColon + 1)}${(v4[0] * 256 + v4[1]).toString(16)}:${(v4[2] * 256 + v4[3]).toString(16)}`;
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
    const head = parse(halves[0]);
    const rest = halves.length === 2 ? parse(halves[1]) : [];
    if (head.some(Number.isNaN) || rest.some(Number.isNaN)) return undefined;
    const explicit = head.length + rest.length;
    if (halves.length === 1) return explicit === 8 ? head : undefined;
    if (explicit > 7) return undefined;
    return [...head, ...new Array(8 - explicit).fill(0), ...rest];
}

function inV4(o: number[], base: [number, number, number, number], bits: number): boolean {
    const value = ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
    const net = ((base[0] << 24) >>> 0) + (base[1] << 16) + (base[2] << 8) + base[3];
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((value & mask) >>> 0) === ((net & mask) >>> 0);
}

/** IPv4 blocks with no meaningful geography (RFC 6890 special-purpose, plus multicast and reserved). */
const NON_PUBLIC_V4: Array<[[number, number, number, number], number]> = [
    [[0, 0, 0, 0], 8],        // "this network"
    [[10, 0, 0, 0], 8],       // private
    [[100, 64, 0, 0], 10],    // CGNAT shared address space
    [[127, 0, 0, 0], 8],      // loopback
    [[169, 254, 0, 0], 16],   // link-local (also the instance metadata service)
    [[172, 16, 0, 0], 12],    // private
    [[192, 0, 0, 0], 24],     // IETF protocol assignments
    [[192, 0, 2, 0], 24],     // documentation
    [[192, 168, 0, 0], 16],   // private
    [[198, 18, 0, 0], 15],    // benchmarking
    [[198, 51, 100, 0], 24],  // documentation
    [[203, 0, 113, 0], 24],   // documentation
    [[224, 0, 0, 0], 4],      // multicast
    [[240, 0, 0, 0], 4],      // reserved and broadcast
];

export function isPublicIpv4(o: number[]): boolean {
    return !NON_PUBLIC_V4.some(([base, bits]) => inV4(o, base, bits));
}

export function isPublicIpv6(g: number[]): boolean {
    if (g.slice(0, 7).every((x) => x === 0)) return false;                 // :: and ::1
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {          // IPv4-mapped
        return isPublicIpv4([g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255]);
    }
    if ((g[0] & 0xfe00) === 0xfc00) return false;                          // fc00::/7 unique local
    if ((g[0] & 0xffc0) === 0xfe80) return false;                          // fe80::/10 link-local
    if ((g[0] & 0xff00) === 0xff00) return false;                          // ff00::/8 multicast
    if (g[0] === 0x2001 && g[1] === 0x0db8) return false;                  // 2001:db8::/32 documentation
    if (g[0] === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return false; // 100::/64 discard
    return true;
}

/**
 * The address to look up, or undefined when the value must get no geo: not a string, empty, `AWS
 * Internal`, a service name like `ec2.amazonaws.com`, malformed, or not globally routable.
 * `validate` is maxmind's own check and runs first; the octet/group parse then classifies the range.
 */
export function geoCandidate(value: unknown, validate: (ip: string) => boolean): string | undefined {
    if (typeof value !== "string") return undefined;
    const ip = value.trim();
    if (ip === "" || ip.length > 45 || !validate(ip)) return undefined;
    const v4 = ipv4Octets(ip);
    if (v4) return isPublicIpv4(v4) ? ip : undefined;
    const v6 = ipv6Groups(ip);
    if (v6) return isPublicIpv6(v6) ? ip : undefined;
    return undefined;
}

/** Maps MaxMind records to the flat `geo.*` fields the index template maps (`geo.location` is a geo_point). */
export function geoFields(city: CityRecord | null | undefined, asn: AsnRecord | null | undefined): GeoFields | undefined {
    const out: GeoFields = {};
    const iso = city?.country?.iso_code ?? city?.registered_country?.iso_code;
    if (iso) out.country_iso_code = iso;
    const cityName = city?.city?.names?.en;
    if (cityName) out.city_name = cityName;
    const lat = city?.location?.latitude;
    const lon = city?.location?.longitude;
    // Out-of-range coordinates would make OpenSearch reject the whole document (geo_point), not just geo.
    if (typeof lat === "number" && typeof lon === "number" && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        out.location = { lat, lon };
    }
    if (typeof asn?.autonomous_system_number === "number") out.asn = asn.autonomous_system_number;
    if (asn?.autonomous_system_organization) out.as_org = asn.autonomous_system_organization;
    return Object.keys(out).length > 0 ? out : undefined;
}

/** Addresses whose result a lookup keeps (per container); past this the memo starts over. */
export const GEO_MEMO_MAX = 10_000;

/**
 * A lookup over already-open readers; a reader that throws for one address costs that address its geo only.
 * Each address is validated and looked up once per container: a batch repeats its addresses (one session,
 * one instance, one client), and a lookup is validation plus a walk of each database's tree. The results
 * are frozen, since documents share them.
 */
export function makeGeoLookup(
    validate: (ip: string) => boolean,
    city: GeoReader<CityRecord> | undefined,
    asn?: GeoReader<AsnRecord>,
): GeoLookup {
    const known = new Map<string, GeoFields | undefined>();
    return (value) => {
        if (typeof value !== "string") return undefined;
        if (known.has(value)) return known.get(value);
        let result: GeoFields | undefined;
        const ip = geoCandidate(value, validate);
        if (ip && (city || asn)) {
            let c: CityRecord | null = null;
            let a: AsnRecord | null = null;
            try { c = city ? city.get(ip) : null; } catch { c = null; }
            try { a = asn ? asn.get(ip) : null; } catch { a = null; }
            result = geoFields(c, a);
            if (result?.location) Object.freeze(result.location);
            if (result) Object.freeze(result);
        }
        if (known.size >= GEO_MEMO_MAX) known.clear();
        known.set(value, result);
        return result;
    };
}

/**
 * Opens the City (and optional ASN) database with the `maxmind` package passed in (the factory
 * `require`s it, so the serialized handler references the module, never a reader instance). The
 * returned promise is meant to be cached once per container.
 */
export async function openGeoLookup(
    maxmind: { open: (path: string, opts?: any) => Promise<any>; validate: (ip: string) => boolean },
    cityPath: string | undefined,
    asnPath: string | undefined,
): Promise<GeoLookup | undefined> {
    if (!cityPath && !asnPath) return undefined;
    const [city, asn] = await Promise.all([
        cityPath ? maxmind.open(cityPath, { cache: { max: 10_000 } }) : Promise.resolve(undefined),
        asnPath ? maxmind.open(asnPath, { cache: { max: 10_000 } }) : Promise.resolve(undefined),
    ]);
    return makeGeoLookup((ip) => maxmind.validate(ip), city, asn);
}

/**
 * For a function's factory: the GeoIP lookup of GEOIP_DATABASE / GEOIP_ASN_DATABASE, opened on first use and
 * kept for the container. Enrichment is optional: a missing or broken database is logged once and costs the
 * geo fields, never the logs (`without` says what the function then does, for the log line).
 */
export function lazyGeoLookupFromEnv(env: NodeJS.ProcessEnv, without: string): { geo: () => Promise<GeoLookup | undefined>; configured: boolean } {
    const cityPath = env.GEOIP_DATABASE || undefined;
    const asnPath = env.GEOIP_ASN_DATABASE || undefined;
    let geoPromise: Promise<GeoLookup | undefined> | undefined;
    const geo = () => {
        if (!geoPromise) {
            const maxmind = require("maxmind");
            geoPromise = openGeoLookup(maxmind, cityPath, asnPath).catch((err) => {
                jsonLog("error", `GeoIP database could not be opened; ${without}`, { cityPath, asnPath, error: errorText(err) });
                return undefined;
            });
        }
        return geoPromise;
    };
    return { geo, configured: Boolean(cityPath || asnPath) };
}
