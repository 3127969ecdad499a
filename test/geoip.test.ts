import { expect } from "chai";
import * as maxmind from "maxmind";
import {
    CityRecord, GEO_MEMO_MAX, geoCandidate, geoFields, GeoReader, ipv4Octets, ipv6Groups, isPublicIpv4, isPublicIpv6, makeGeoLookup, openGeoLookup,
} from "../functions/shared/geoip";
import { FIXTURES, GEOIP_ASN, GEOIP_CITY, cloudTrailRecords } from "./support/logFixtures";
import * as path from "path";

/** A reader that records every address it is asked for, to prove unvalidated values never reach it. */
function spyReader(answer: CityRecord | null = { country: { iso_code: "ZZ" } }): GeoReader<CityRecord> & { asked: string[] } {
    const asked: string[] = [];
    return { asked, get: (ip: string) => { asked.push(ip); return answer; } };
}

describe("geoip: which values get a lookup", () => {
    const NOT_IPS = ["AWS Internal", "ec2.amazonaws.com", "signin.amazonaws.com", "", "   ", "1.2.3", "999.1.1.1", "01.2.3.4",
        "fe80::1%eth0", "2a02:cf40:::1", "not an ip", "::ffff:999.1.1.1"];
    const NON_PUBLIC = ["10.8.8.10", "192.168.10.20", "172.16.0.1", "172.31.255.255", "127.0.0.1", "169.254.169.254",
        "100.64.0.1", "100.127.255.254", "0.0.0.0", "192.0.2.0", "198.51.100.7", "203.0.113.12", "224.0.0.251", "255.255.255.255",
        "::", "::1", "fd12:3456:789a::1", "fc00::1", "fe80::1", "ff02::1", "2001:db8:1234:a100:8d6e:3477:df66:f105", "::ffff:10.0.0.1"];
    const PUBLIC = ["81.2.69.142", "3.225.16.109", "172.32.0.1", "100.128.0.1", "11.0.0.1", "2a02:cf40:add:4002::1", "2001:218::1",
        "::ffff:81.2.69.142", "2600:1f18::1"];

    it("refuses non-IP values (AWS Internal, service names, malformed, empty) before the reader sees them", () => {
        const reader = spyReader();
        const lookup = makeGeoLookup(maxmind.validate, reader);
        for (const v of [...NOT_IPS, undefined, null, 42, { ip: "81.2.69.142" }]) {
            expect(lookup(v), JSON.stringify(v)).to.equal(undefined);
        }
        expect(reader.asked).to.deep.equal([]);
    });

    it("refuses private, loopback, link-local, CGNAT, documentation, multicast and ULA addresses", () => {
        const reader = spyReader();
        const lookup = makeGeoLookup(maxmind.validate, reader);
        for (const ip of NON_PUBLIC) expect(lookup(ip), ip).to.equal(undefined);
        expect(reader.asked).to.deep.equal([]);
    });

    it("looks up routable IPv4 and IPv6 addresses, trimmed", () => {
        const reader = spyReader();
        const lookup = makeGeoLookup(maxmind.validate, reader);
        for (const ip of PUBLIC) expect(lookup(ip), ip).to.deep.equal({ country_iso_code: "ZZ" });
        expect(reader.asked).to.deep.equal(PUBLIC);
        expect(geoCandidate(" 81.2.69.142", maxmind.validate)).to.equal("81.2.69.142");
    });

    it("classifies every non-IP sourceIPAddress of the real CloudTrail fixture as no-geo", () => {
        const values = cloudTrailRecords("invictus_stratus_selected_events.json").map((e) => e.sourceIPAddress as string);
        const nonIp = values.filter((v) => v === "AWS Internal" || v.endsWith(".amazonaws.com"));
        expect(nonIp.length, "fixture has AWS Internal and service names").to.be.greaterThan(10);
        for (const v of nonIp) expect(geoCandidate(v, maxmind.validate), v).to.equal(undefined);
        const rfc1918 = values.filter((v) => /^(10\.|192\.168\.)/.test(v));
        expect(rfc1918.length).to.be.greaterThan(50);
        for (const v of rfc1918) expect(geoCandidate(v, maxmind.validate), v).to.equal(undefined);
        expect(geoCandidate("3.225.16.109", maxmind.validate)).to.equal("3.225.16.109");
    });

    it("parses IPv6 forms: compressed, full, embedded IPv4, and rejects bad group counts", () => {
        expect(ipv6Groups("2001:db8::1")).to.deep.equal([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
        expect(ipv6Groups("::")).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
        expect(ipv6Groups("1:2:3:4:5:6:7:8")).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(ipv6Groups("::ffff:192.0.2.1")).to.deep.equal([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
        expect(ipv6Groups("1:2:3:4:5:6:7")).to.equal(undefined);
        expect(ipv6Groups("1::2::3")).to.equal(undefined);
        expect(ipv6Groups("1:2:3:4:5:6:7:8:9")).to.equal(undefined);
        expect(ipv4Octets("1.2.3.256")).to.equal(undefined);
        expect(isPublicIpv4([100, 63, 255, 255])).to.equal(true);
        expect(isPublicIpv4([100, 64, 0, 0])).to.equal(false);
        expect(isPublicIpv6(ipv6Groups("febf::1")!)).to.equal(false);
        expect(isPublicIpv6(ipv6Groups("fec0::1")!)).to.equal(true);
    });
});

describe("geoip: lookups in the MaxMind test databases", () => {
    let city: maxmind.Reader<any>;
    let asn: maxmind.Reader<any>;
    before(async () => {
        city = await maxmind.open(GEOIP_CITY);
        asn = await maxmind.open(GEOIP_ASN);
    });

    it("resolves the documented test addresses to country, city and a geo_point", () => {
        const lookup = makeGeoLookup(maxmind.validate, city);
        const london = lookup("81.2.69.142")!;
        expect(london.country_iso_code).to.equal("GB");
        expect(london.city_name).to.equal("London");
        expect(london.location!.lat).to.be.closeTo(51.5, 0.1);
        expect(london.location!.lon).to.be.closeTo(-0.09, 0.1);
        expect(lookup("175.16.199.1")).to.include({ country_iso_code: "CN", city_name: "Changchun" });
        expect(lookup("89.160.20.112")?.country_iso_code).to.equal("SE");
        // A record without a city: country and location only.
        const norway = lookup("2a02:cf40:add:4002::1")!;
        expect(norway.country_iso_code).to.equal("NO");
        expect(norway).to.not.have.property("city_name");
        expect(norway.location).to.deep.equal({ lat: 62, lon: 10 });
        expect(lookup("2001:218::1")?.country_iso_code).to.equal("JP");
        expect(lookup("::ffff:81.2.69.142")?.city_name).to.equal("London");
    });

    it("returns no geo for public addresses the database does not know", () => {
        const lookup = makeGeoLookup(maxmind.validate, city);
        for (const ip of ["3.225.16.109", "52.46.82.45", "1.1.1.1"]) expect(lookup(ip), ip).to.equal(undefined);
    });

    it("adds asn and as_org only when an ASN database is given, even where the city database has nothing", () => {
        const both = makeGeoLookup(maxmind.validate, city, asn);
        expect(both("89.160.20.112")).to.include({ country_iso_code: "SE", asn: 29518, as_org: "Bredband2 AB" });
        expect(both("1.128.3.4")).to.deep.equal({ asn: 1221, as_org: "Telstra Pty Ltd" });
        expect(both("216.160.83.56")).to.include({ country_iso_code: "US", asn: 209 });
        expect(both("216.160.83.56")).to.not.have.property("as_org");
        const cityOnly = makeGeoLookup(maxmind.validate, city);
        expect(cityOnly("89.160.20.112")).to.not.have.property("asn");
    });

    it("falls back to the registered country and drops out-of-range coordinates", () => {
        expect(geoFields({ registered_country: { iso_code: "DE" } }, null)).to.deep.equal({ country_iso_code: "DE" });
        expect(geoFields({ location: { latitude: 91, longitude: 10 } }, null)).to.equal(undefined);
        expect(geoFields({}, {})).to.equal(undefined);
    });

    it("a reader that throws costs that address its geo, not the caller", () => {
        const lookup = makeGeoLookup(maxmind.validate, { get: () => { throw new Error("corrupt node"); } });
        expect(lookup("81.2.69.142")).to.equal(undefined);
    });

    it("validates and looks up each address once per container, sharing a frozen result; the memo is bounded", () => {
        const reader = spyReader({ country: { iso_code: "GB" }, location: { latitude: 51.5, longitude: -0.1 } });
        let validations = 0;
        const lookup = makeGeoLookup((ip) => { validations++; return maxmind.validate(ip); }, reader);
        const first = lookup("81.2.69.142");
        expect(lookup("81.2.69.142")).to.equal(first);
        expect(lookup("10.0.0.1")).to.equal(undefined);
        expect(lookup("10.0.0.1")).to.equal(undefined);
        expect(reader.asked).to.deep.equal(["81.2.69.142"]);
        expect(validations).to.equal(2);
        expect(first).to.deep.equal({ country_iso_code: "GB", location: { lat: 51.5, lon: -0.1 } });
        expect(Object.isFrozen(first) && Object.isFrozen(first!.location)).to.equal(true);
        // Past GEO_MEMO_MAX addresses it starts over rather than growing: the first is looked up again.
        for (let i = 0; i < GEO_MEMO_MAX; i++) lookup(`81.2.${i >> 8}.${i & 255}`);
        const asked = reader.asked.length;
        lookup("81.2.69.142");
        expect(reader.asked.length).to.equal(asked + 1);
    });
});

describe("geoip: opening databases", () => {
    it("opens city + ASN through the maxmind module and validates with it", async () => {
        const lookup = await openGeoLookup(maxmind, GEOIP_CITY, GEOIP_ASN);
        expect(lookup!("67.43.156.12")).to.include({ country_iso_code: "BT", asn: 35908 });
        expect(lookup!("AWS Internal")).to.equal(undefined);
    });

    it("returns no lookup when neither path is configured", async () => {
        expect(await openGeoLookup(maxmind, undefined, undefined)).to.equal(undefined);
    });

    it("rejects a missing file, a gzip file and a non-mmdb file with the reader's message", async () => {
        const cases: Array<[string, RegExp]> = [
            [path.join(FIXTURES, "geoip", "missing.mmdb"), /ENOENT/],
            [path.join(FIXTURES, "cloudtrail", "invictus_original_delivery_file_20230710T1205Z.json.gz"), /gzip/],
            [path.join(FIXTURES, "geoip", "PROVENANCE.md"), /Unknown type|metadata/i],
        ];
        for (const [file, message] of cases) {
            let error: any;
            try { await openGeoLookup(maxmind, file, undefined); } catch (e) { error = e; }
            expect(error, file).to.be.instanceOf(Error);
            expect(error.message, file).to.match(message);
        }
    });
});
