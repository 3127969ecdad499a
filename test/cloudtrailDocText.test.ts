import { expect } from "chai";
import * as maxmind from "maxmind";
import { toCloudTrailDoc } from "../functions/cloudtrail-shipper/cloudtrailDoc";
import { ADDED_KEYS } from "../functions/cloudtrail-shipper/docText";
import { makeGeoLookup } from "../functions/shared/geoip";
import { allCloudTrailRecords, GEOIP_CITY } from "./support/logFixtures";

/**
 * The shipper writes a document's JSON from the message text when that reproduces `JSON.stringify` of the
 * shaped document exactly (functions/cloudtrail-shipper/docText.ts); otherwise it serializes the object.
 */

const PAYLOAD = { owner: "111111111111", logGroup: "aws-cloudtrail-logs" };
const NOW = Date.UTC(2024, 0, 2);

function shipped(message: string, geo?: ReturnType<typeof makeGeoLookup>): { json?: string; serialized: string; doc: any } {
    const r = toCloudTrailDoc({ id: "1", timestamp: NOW, message }, PAYLOAD, "cloudtrail", geo, NOW, "month");
    if (!r.ok) throw new Error(r.reason);
    return { json: r.value.json, serialized: JSON.stringify(r.value.doc), doc: r.value.doc };
}

describe("cloudtrail-shipper: document text written from the message text", () => {
    let geo: ReturnType<typeof makeGeoLookup>;
    before(async () => { geo = makeGeoLookup(maxmind.validate, await maxmind.open<any>(GEOIP_CITY)); });

    it("is byte for byte JSON.stringify of the shaped document for every real CloudTrail event, nulls dropped, fields added", () => {
        const events = allCloudTrailRecords();
        let written = 0;
        for (const [i, event] of events.entries()) {
            // With an address the test database knows, so geo is appended too.
            const message = JSON.stringify(i % 3 === 0 ? { ...event, sourceIPAddress: "81.2.69.142" } : event);
            const out = shipped(message, geo);
            if (out.json === undefined) continue;
            written++;
            expect(out.json, event.eventID).to.equal(out.serialized);
        }
        expect(events.length).to.be.greaterThan(100);
        // Only events with an STS session token to drop (or a non-object unstable field) are serialized.
        expect(written).to.be.greaterThan(events.length * 0.9);
        const withNulls = events.filter((e) => Object.values(e).some((v) => v === null));
        expect(withNulls.length).to.be.greaterThan(50);
    });

    const cases: Array<[string, string, boolean]> = [
        ["a null first", '{"a":null,"b":1,"eventTime":"2024-01-02T03:04:05Z"}', true],
        ["a null last", '{"b":1,"eventTime":"2024-01-02T03:04:05Z","a":null}', true],
        ["nulls everywhere", '{"a":null,"b":1,"c":null,"d":{"x":null},"e":null}', true],
        ["a null only in a nested object", '{"b":1,"requestParameters":{"a":null}}', true],
        ["the same key null at the top and nested: not found once", '{"a":null,"requestParameters":{"a":null}}', false],
        ["a top-level null written with spaces", '{"a" : null,"b":1}', false],
        ["a pretty-printed message", '{\n  "a": null,\n  "b": 1\n}', false],
        ["nothing left but nulls", '{"a":null}', false],
        ["an STS session token to drop", '{"b":1,"responseElements":{"credentials":{"accessKeyId":"ASIA","sessionToken":"secret"}}}', false],
        ["an unstable field to wrap", '{"b":1,"requestParameters":"a string"}', false],
        ["a key the shipper adds", '{"b":1,"geo":{"city_name":"x"}}', false],
        ["a key with an escaped quote and unicode", '{"q\\"a":null,"ü":"ß","b":"\\u00fc"}', true],
        ["a string value that looks like a member", '{"a":null,"b":"\\"a\\":null"}', true],
    ];
    for (const [name, message, fast] of cases) {
        it(`${fast ? "writes" : "serializes instead"}: ${name}`, () => {
            const out = shipped(message);
            expect(out.json !== undefined, String(out.json)).to.equal(fast);
            if (out.json !== undefined) expect(JSON.parse(out.json)).to.deep.equal(JSON.parse(out.serialized));
            expect(out.serialized).to.not.contain("sessionToken");
            for (const k of ADDED_KEYS.filter((k) => k !== "geo" && k !== "principal")) expect(JSON.parse(out.json ?? out.serialized)).to.have.property(k);
        });
    }

    it("keeps the message's own spelling of values (escapes, numbers) where it writes from the text", () => {
        const out = shipped('{"b":1.50,"c":"\\u00fc","eventTime":"2024-01-02T03:04:05Z"}');
        expect(out.json).to.equal('{"b":1.50,"c":"\\u00fc","eventTime":"2024-01-02T03:04:05Z","@timestamp":"2024-01-02T03:04:05.000Z","cloud":{"account":{"id":"111111111111"}},"log_group":"aws-cloudtrail-logs"}');
        expect(JSON.parse(out.json!)).to.deep.equal(JSON.parse(out.serialized));
    });
});
