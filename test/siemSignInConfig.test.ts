import { expect } from "chai";
import { ConfigError, parseConfig, type RawConfig } from "../config";
import { domainAccessPolicy } from "../components/siem/siemPolicies";

/** A valid dev-like stack, with `siem` overridden. */
function withSiem(siem: Record<string, unknown>): RawConfig {
    return {
        "guardpost:stage": "dev",
        "guardpost:homeRegion": "us-east-1",
        "guardpost:accounts": JSON.stringify([{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"] }]),
        "guardpost:siem": JSON.stringify(siem),
    };
}

function problems(raw: RawConfig): string {
    try { parseConfig(raw); } catch (e) { expect(e).to.be.instanceOf(ConfigError); return (e as Error).message; }
    throw new Error("expected the config to be rejected");
}

describe("guardpost:siem sign-in config (people, saml)", () => {
    it("the domain policy refuses SAML browsers from a range broader than a /8 even when config is bypassed", () => {
        const base = { domainArn: "arn:aws:es:us-east-1:111111111111:domain/siem-dev", adminRoleArn: "arn:aws:iam::111111111111:role/a", deployerRoleArn: "arn:aws:iam::111111111111:role/d", writerRoleArns: [], samlBrowsers: true };
        expect(() => domainAccessPolicy({ ...base, allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1"] })).to.throw(/allowedCidrs 0.0.0.0\/1, 128.0.0.0\/1 too broad for SAML browsers/);
        const doc: any = domainAccessPolicy({ ...base, allowedCidrs: ["203.0.113.0/24"] });
        expect(doc.Statement.find((st: any) => st.Sid === "SamlBrowsers").Condition).to.deep.equal({ IpAddress: { "aws:SourceIp": ["203.0.113.0/24"] } });
    });

    it("accepts the defaults and a SAML IdP with the networks analysts sign in from", () => {
        expect(parseConfig(withSiem({})).siem.people).to.deep.equal({ analystGroup: "guardpost-analysts", adminGroup: "guardpost-admins" });
        const saml = parseConfig(withSiem({ saml: { entityId: "https://idp.example.com", metadataUrl: "https://idp.example.com/metadata.xml", rolesKey: "groups" }, allowedCidrs: ["203.0.113.0/24"] })).siem.saml;
        expect(saml).to.deep.include({ entityId: "https://idp.example.com", metadataUrl: "https://idp.example.com/metadata.xml", rolesKey: "groups", sessionTimeoutMinutes: 60 });
    });

    it("refuses one group for analysts and admins, and a group name IAM-style names do not allow", () => {
        expect(problems(withSiem({ people: { analystGroup: "secops", adminGroup: "secops" } })))
            .to.contain("guardpost:siem.people.adminGroup: is the same group as analystGroup ('secops'). Fix: give admins their own group");
        expect(problems(withSiem({ people: { analystGroup: "sec ops" } }))).to.contain("guardpost:siem.people.analystGroup");
        expect(problems(withSiem({ people: { viewers: "x" } }))).to.contain("guardpost:siem.people");
    });

    it("refuses a SAML block without exactly one metadata source, a plain-http metadata URL, and SAML without allowedCidrs", () => {
        expect(problems(withSiem({ saml: { entityId: "https://idp.example.com" }, allowedCidrs: ["203.0.113.0/24"] }))).to.contain("guardpost:siem.saml: has neither metadataUrl nor metadataFile");
        expect(problems(withSiem({ saml: { entityId: "x", metadataUrl: "https://a/m.xml", metadataFile: "m.xml" }, allowedCidrs: ["203.0.113.0/24"] }))).to.contain("has both metadataUrl and metadataFile");
        expect(problems(withSiem({ saml: { entityId: "x", metadataUrl: "http://idp.example.com/m.xml" }, allowedCidrs: ["203.0.113.0/24"] }))).to.contain("guardpost:siem.saml.metadataUrl");
        expect(problems(withSiem({ saml: { entityId: "x", metadataUrl: "https://idp.example.com/m.xml" } })))
            .to.contain("guardpost:siem.allowedCidrs: is empty while siem.saml is set");
        expect(problems(withSiem({ saml: "https://idp.example.com" }))).to.contain("guardpost:siem.saml: must be an object");
        expect(problems(withSiem({ cognitoDomainPrefix: "my-aws-login" }))).to.contain("guardpost:siem.cognitoDomainPrefix");
        // Ranges the SAML statement would admit any principal from: each at most a /8 (IPv4) or /32 (IPv6).
        const broad = problems(withSiem({ saml: { entityId: "x", metadataUrl: "https://idp.example.com/m.xml" }, allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1", "2000::/3"] }));
        for (const [i, cidr] of [[0, "0.0.0.0/1"], [1, "128.0.0.0/1"], [2, "2000::/3"]] as const) expect(broad).to.contain(`guardpost:siem.allowedCidrs[${i}]: ${cidr} is broader than`);
        expect(() => parseConfig(withSiem({ saml: { entityId: "x", metadataUrl: "https://idp.example.com/m.xml" }, allowedCidrs: ["10.0.0.0/8", "2001:db8::/32"] }))).to.not.throw();
    });
});
