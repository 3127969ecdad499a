import { expect } from "chai";
import { KNOWN_STANDARD_SHORT_NAMES, partitionOf, resolveStandards, standardArn } from "../components/detection/securityHubStandards";

describe("partitionOf", () => {
    it("puts commercial, China and GovCloud regions in their partitions", () => {
        expect(partitionOf("ap-northeast-2")).to.equal("aws");
        expect(partitionOf("il-central-1")).to.equal("aws");
        expect(partitionOf("cn-north-1")).to.equal("aws-cn");
        expect(partitionOf("cn-northwest-1")).to.equal("aws-cn");
        expect(partitionOf("us-gov-west-1")).to.equal("aws-us-gov");
    });

    it("rejects strings that are not region names, and isolated partitions", () => {
        expect(() => partitionOf("us-east")).to.throw(/not an AWS region name/);
        expect(() => partitionOf("US-EAST-1")).to.throw(/not an AWS region name/);
        expect(() => partitionOf("us-iso-east-1")).to.throw(/isolated partition/);
    });
});

describe("Security Hub standard ARNs", () => {
    it("builds regional ARNs for each regional standard in the commercial partition", () => {
        expect(standardArn("fsbp", "ap-northeast-2")).to.equal("arn:aws:securityhub:ap-northeast-2::standards/aws-foundational-security-best-practices/v/1.0.0");
        expect(standardArn("cis-1.4", "us-east-1")).to.equal("arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0");
        expect(standardArn("cis-3.0", "us-east-1")).to.equal("arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0");
        expect(standardArn("pci-3.2.1", "eu-west-1")).to.equal("arn:aws:securityhub:eu-west-1::standards/pci-dss/v/3.2.1");
        expect(standardArn("nist-800-53", "eu-west-1")).to.equal("arn:aws:securityhub:eu-west-1::standards/nist-800-53/v/5.0.0");
    });

    it("uses the China and GovCloud partitions with the region in the ARN", () => {
        expect(standardArn("fsbp", "cn-north-1")).to.equal("arn:aws-cn:securityhub:cn-north-1::standards/aws-foundational-security-best-practices/v/1.0.0");
        expect(standardArn("nist-800-53", "us-gov-west-1")).to.equal("arn:aws-us-gov:securityhub:us-gov-west-1::standards/nist-800-53/v/5.0.0");
    });

    it("keeps CIS 1.2 as the legacy global ruleset ARN without a region, per partition", () => {
        expect(standardArn("cis-1.2", "ap-northeast-2")).to.equal("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0");
        expect(standardArn("cis-1.2", "cn-north-1")).to.equal("arn:aws-cn:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0");
    });

    it("names every known short name when given an unknown one", () => {
        expect(() => standardArn("cis-2.0", "us-east-1")).to.throw(
            "unknown Security Hub standard 'cis-2.0'; known short names: fsbp, cis-1.2, cis-1.4, cis-3.0, pci-3.2.1, nist-800-53");
        expect(KNOWN_STANDARD_SHORT_NAMES).to.include.members(["fsbp", "cis-1.4", "cis-3.0", "pci-3.2.1", "nist-800-53"]);
    });

    it("resolves a list in order and refuses a standard listed twice", () => {
        expect(resolveStandards(["cis-3.0", "fsbp"], "us-west-2")).to.deep.equal([
            { shortName: "cis-3.0", arn: "arn:aws:securityhub:us-west-2::standards/cis-aws-foundations-benchmark/v/3.0.0" },
            { shortName: "fsbp", arn: "arn:aws:securityhub:us-west-2::standards/aws-foundational-security-best-practices/v/1.0.0" },
        ]);
        expect(() => resolveStandards(["fsbp", "fsbp"], "us-west-2")).to.throw(/'fsbp' is listed twice/);
    });
});
