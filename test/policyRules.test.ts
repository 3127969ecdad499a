import { expect } from "chai";
import { evaluate, resourceRules, stackRules, type RuleResource } from "../policy/rules";
import { policies } from "../policy/policies";

let n = 0;
function res(type: string, props: Record<string, any>, propertyDependencies: Record<string, string[]> = {}): RuleResource {
    n++;
    return { urn: `urn:pulumi:test::guardpost::${type}::r${n}`, type, name: `r${n}`, props, propertyDependencies };
}

const goodDomain = {
    encryptAtRest: { enabled: true, kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" },
    nodeToNodeEncryption: { enabled: true },
    domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
    advancedSecurityOptions: { enabled: true, internalUserDatabaseEnabled: false },
};

function messages(resources: RuleResource[]): string[] {
    return evaluate(resources).map(v => `${v.policy}: ${v.message}`);
}

/** A bucket with everything the S3 rule wants, plus handles to break it. */
function bucketSet(opts: { block?: boolean; sslOnly?: boolean } = {}): RuleResource[] {
    const bucket = res("aws:s3/bucket:Bucket", {});
    const out = [bucket];
    out.push(res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: opts.block ?? true }, { bucket: [bucket.urn] }));
    const deny = { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": opts.sslOnly === false ? "true" : "false" } } };
    out.push(res("aws:s3/bucketPolicy:BucketPolicy", { policy: JSON.stringify({ Version: "2012-10-17", Statement: [deny] }) }, { bucket: [bucket.urn] }));
    return out;
}

describe("policy rules", () => {
    it("pass on well-configured resources of every kind", () => {
        const role = res("aws:iam/role:Role", { permissionsBoundary: "arn:aws:iam::111111111111:policy/guardpost/guardpost-boundary" });
        expect(messages([
            res("aws:guardduty/detector:Detector", { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" }),
            res("aws:opensearch/domain:Domain", goodDomain),
            res("aws:opensearch/domainPolicy:DomainPolicy", { accessPolicies: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: ["arn:aws:iam::111111111111:role/w"] }, Action: "es:ESHttpPost", Resource: "*" }] }) }),
            res("aws:sns/topic:Topic", { kmsMasterKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" }),
            role,
            res("aws:lambda/function:Function", { runtime: "nodejs22.x", role: "arn:aws:iam::111111111111:role/fn" }, { role: [role.urn] }),
            res("aws:iam/rolePolicy:RolePolicy", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:q" }] }) }),
            res("aws:cloudtrail/trail:Trail", { isMultiRegionTrail: true, enableLogFileValidation: true }),
            ...bucketSet(),
        ])).to.deep.equal([]);
    });

    const failing: [string, () => RuleResource[], string][] = [
        ["a detector publishing every six hours", () => [res("aws:guardduty/detector:Detector", { enable: true, findingPublishingFrequency: "SIX_HOURS" })], "guardduty-detector-fifteen-minutes: GuardDuty detector publishes every SIX_HOURS"],
        ["a disabled detector", () => [res("aws:guardduty/detector:Detector", { enable: false, findingPublishingFrequency: "FIFTEEN_MINUTES" })], "GuardDuty detector is disabled"],
        ["a domain without encryption at rest", () => [res("aws:opensearch/domain:Domain", { ...goodDomain, encryptAtRest: { enabled: false } })], "not encrypted at rest"],
        ["a domain without node-to-node encryption", () => [res("aws:opensearch/domain:Domain", { ...goodDomain, nodeToNodeEncryption: { enabled: false } })], "node-to-node"],
        ["a domain allowing TLS 1.0", () => [res("aws:opensearch/domain:Domain", { ...goodDomain, domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" } })], "allows TLS below 1.2 (Policy-Min-TLS-1-0-2019-07)"],
        ["a domain not enforcing HTTPS", () => [res("aws:opensearch/domain:Domain", { ...goodDomain, domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" } })], "does not enforce HTTPS"],
        ["a domain without fine-grained access control", () => [res("aws:opensearch/domain:Domain", { ...goodDomain, advancedSecurityOptions: { enabled: false } })], "no fine-grained access control"],
        ["a domain with an inline public access policy", () => [res("aws:opensearch/domain:Domain", { ...goodDomain, accessPolicies: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "es:*", Resource: "*" }] }) })], "opensearch-domain-locked-down: OpenSearch domain access policy allows Principal \"*\""],
        ["a domain policy with {AWS: \"*\"}", () => [res("aws:opensearch/domainPolicy:DomainPolicy", { accessPolicies: JSON.stringify({ Statement: { Effect: "Allow", Principal: { AWS: ["*"] }, Action: "es:*", Resource: "*" } }) })], "opensearch-access-policy-no-public-principal"],
        ["an unencrypted topic", () => [res("aws:sns/topic:Topic", {})], "sns-topic-customer-managed-key: SNS topic is not encrypted"],
        ["a topic on the AWS-managed key", () => [res("aws:sns/topic:Topic", { kmsMasterKeyId: "alias/aws/sns" })], "uses the AWS-managed key alias/aws/sns"],
        ["a function on nodejs16.x", () => [res("aws:lambda/function:Function", { runtime: "nodejs16.x", role: "arn:aws:iam::1:role/r" })], "Lambda runtime nodejs16.x is not a supported Node.js runtime"],
        ["a function without a role", () => [res("aws:lambda/function:Function", { runtime: "nodejs22.x" })], "no explicit role"],
        ["a function whose role has a full-access policy", () => {
            const role = res("aws:iam/role:Role", { permissionsBoundary: "arn:aws:iam::111111111111:policy/guardpost/guardpost-boundary" });
            return [role,
                res("aws:lambda/function:Function", { runtime: "nodejs22.x", role: "arn" }, { role: [role.urn] }),
                res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }, { role: [role.urn] })];
        }, "lambda-role-not-full-access: Lambda r"],
        ["a role without guardpost's boundary", () => [res("aws:iam/role:Role", {})], "iam-role-guardpost-boundary: IAM role has permissions boundary (none)"],
        ["a role with another boundary", () => [res("aws:iam/role:Role", { permissionsBoundary: "arn:aws:iam::111111111111:policy/AdministratorAccess" })], "has permissions boundary arn:aws:iam::111111111111:policy/AdministratorAccess"],
        ["a star-on-star policy", () => [res("aws:iam/policy:Policy", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["*"], Resource: "*" }] }) })], "iam-no-star-on-star"],
        ["a single-region trail", () => [res("aws:cloudtrail/trail:Trail", { isMultiRegionTrail: false, enableLogFileValidation: true })], "CloudTrail trail is single-region"],
        ["a trail without log file validation", () => [res("aws:cloudtrail/trail:Trail", { isMultiRegionTrail: true })], "no log file validation"],
        ["a bucket with one public-access setting off", () => bucketSet({ block: false }), "s3-bucket-private-and-ssl-only: S3 bucket"],
        ["a bucket without an SSL-only policy", () => bucketSet({ sslOnly: false }), "accepts requests without TLS"],
        ["a bucket with nothing attached", () => [res("aws:s3/bucketV2:BucketV2", {})], "does not block all public access"],
    ];
    for (const [what, make, expected] of failing) {
        it(`fail on ${what}, with a message that says the fix`, () => {
            const found = messages(make());
            expect(found.join("\n")).to.contain(expected);
        });
    }

    it("do not flag a Deny statement with a public principal (the SSL-only pattern)", () => {
        const policy = JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "es:*", Resource: "*" }] });
        expect(messages([res("aws:opensearch/domainPolicy:DomainPolicy", { accessPolicies: policy })])).to.deep.equal([]);
    });

    it("admit a public principal only when every source range is narrow (SAML browsers), not when the ranges together cover the internet", () => {
        const saml = (cidrs: string[]) => [res("aws:opensearch/domainPolicy:DomainPolicy", { accessPolicies: JSON.stringify({
            Statement: [{ Sid: "SamlBrowsers", Effect: "Allow", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": cidrs } } }] }) })];
        expect(messages(saml(["203.0.113.0/24"]))).to.deep.equal([]);
        expect(messages(saml(["10.0.0.0/8", "2001:db8::/32"]))).to.deep.equal([]);
        for (const open of [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["203.0.113.0/24", "64.0.0.0/2"], ["::/0"], ["2000::/3"], ["203.0.113.7"]]) {
            expect(messages(saml(open)).join("\n"), open.join(", ")).to.contain("opensearch-access-policy-no-public-principal");
        }
    });

    it("are all exposed by the policy pack as mandatory policies with unique names", () => {
        const names = policies.map(p => p.name);
        expect(new Set(names).size).to.equal(names.length);
        expect(names).to.have.members([...resourceRules.map(r => r.name), ...stackRules.map(r => r.name)]);
        for (const p of policies) expect(p.enforcementLevel).to.equal("mandatory");
    });

    it("report through the policy pack's validateResource as CrossGuard would call it", async () => {
        const policy = policies.find(p => p.name === "guardduty-detector-fifteen-minutes")! as any;
        const reported: string[] = [];
        await policy.validateResource({ type: "aws:guardduty/detector:Detector", urn: "urn:x", name: "d", props: { enable: true, findingPublishingFrequency: "ONE_HOUR" } }, (m: string) => reported.push(m));
        await policy.validateResource({ type: "aws:sns/topic:Topic", urn: "urn:y", name: "t", props: {} }, (m: string) => reported.push(m));
        expect(reported).to.have.length(1);
        expect(reported[0]).to.contain("ONE_HOUR");
    });

    it("report stack violations through validateStack, resolving property dependencies", async () => {
        const policy = policies.find(p => p.name === "s3-bucket-private-and-ssl-only")! as any;
        const bucket = { urn: "urn:b", type: "aws:s3/bucket:Bucket", name: "b", props: {}, propertyDependencies: {} };
        const pab = { urn: "urn:p", type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "p", props: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, propertyDependencies: { bucket: [bucket] } };
        const reported: [string, string | undefined][] = [];
        await policy.validateStack({ resources: [bucket, pab] }, (m: string, urn?: string) => reported.push([m, urn]));
        expect(reported).to.have.length(1);
        expect(reported[0][0]).to.contain("accepts requests without TLS");
        expect(reported[0][1]).to.equal("urn:b");
    });
});
