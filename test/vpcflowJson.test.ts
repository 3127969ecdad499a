import { expect } from "chai";
import { DEFAULT_VPC_FLOW_FIELDS, makeFlowParser, makeVpcflowTransformHandler } from "../functions/vpcflow-transform/vpcflowTransform";

/** What the parser promises to write: JSON.stringify of the object with the fields in order, `@timestamp` last. */
function expected(fields: string[], line: string, arrivalMs?: number): string {
    const tokens = line.trim().split(/\s+/);
    const numeric = new Set(["version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp-flags", "traffic-path"]);
    const doc: Record<string, unknown> = {};
    fields.forEach((f, i) => {
        if (tokens[i] !== "-") doc[f.replace(/-/g, "_")] = numeric.has(f) ? Number(tokens[i]) : tokens[i];
    });
    const start = typeof doc.start === "number" ? doc.start * 1000 : arrivalMs;
    doc["@timestamp"] = new Date(start!).toISOString();
    return JSON.stringify(doc);
}

describe("vpcflow-transform writes each document's JSON directly, byte for byte what JSON.stringify gives", () => {
    const fields = [...DEFAULT_VPC_FLOW_FIELDS];
    const parse = makeFlowParser(fields);
    const base = "5 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 34210 80 6 7 471 1616729292 1616729349 ACCEPT OK vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 ap-southeast-2 apse2-az3 - - - S3 egress 8".split(" ");
    const variant = (at: number, value: string) => base.map((t, i) => (i === at ? value : t)).join(" ");
    const cases: Array<[string, string]> = [
        ["a plain line", base.join(" ")],
        ["every optional field absent", base.map((t, i) => (i >= 14 ? "-" : t)).join(" ")],
        ["a leading zero and a number past 2^53", variant(9, "0000471").replace(" 7 ", " 9007199254740993 ")],
        ["a quote and a backslash in a text field", variant(18, 'IPv"4\\x')],
        ["non-ASCII text", variant(21, "ap-southeast-2é")],
        ["tabs and repeated blanks between fields", `  ${base.join(" \t ")}  `],
        ["no start time (arrival time used)", variant(10, "-")],
    ];
    for (const [what, line] of cases) {
        it(what, () => {
            const out = parse(line, 1_700_000_000_000) as any;
            expect(out.result).to.equal("Ok");
            expect(out.json).to.equal(expected(fields, line, 1_700_000_000_000));
            expect(() => JSON.parse(out.json)).to.not.throw();
            // The encoder takes btoa on the parser's word: it may be given only for ASCII text, and is for a plain line.
            if (out.ascii) expect(out.json).to.match(/^[\x00-\x7f]*$/);
            if (what === "a plain line") expect(out.ascii).to.equal(true);
            if (what === "non-ASCII text") expect(out.ascii).to.not.equal(true);
        });
    }

    it("still refuses a non-number in a numeric field, and drops headers, NODATA and SKIPDATA", () => {
        expect(parse(variant(5, "http"))).to.deep.equal({ result: "ProcessingFailed", reason: "field srcport is not a number: 'http'" });
        expect(parse(fields.join(" ")).result).to.equal("Dropped");
        expect(parse(variant(13, "NODATA"))).to.deep.equal({ result: "Dropped", reason: "NODATA record" });
        expect(parse(variant(13, "SKIPDATA"))).to.deep.equal({ result: "Dropped", reason: "SKIPDATA record" });
    });

    it("encodes an ASCII document (btoa) and a non-ASCII one (UTF-8) to the base64 of their UTF-8 bytes", async () => {
        const handler = makeVpcflowTransformHandler({ fields, log: () => undefined });
        const lines = [base.join(" "), variant(21, "ap-southeast-2é"), variant(18, 'IPv"4\\x')];
        const res = await handler({ records: lines.map((l, i) => ({ recordId: `r${i}`, data: Buffer.from(l, "utf8").toString("base64") })) });
        res.records.forEach((r, i) => {
            expect(r.result).to.equal("Ok");
            expect(Buffer.from(r.data, "base64").toString("utf8")).to.equal(expected(fields, lines[i]));
        });
    });
});
