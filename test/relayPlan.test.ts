import { expect } from "chai";
import { runPlan, type PlanReport } from "../plan/plan";
import { computeCoverage } from "../plan/coverage";
import { fakeState, type MockedResource } from "../plan/engine";
import { parseLogGroupKinds } from "../functions/log-relay/relayDocs";

/**
 * The prod stack as written: the three sources once removed to stay deployable — payments' us-east-1 flow logs,
 * its CloudFront web ACL (us-east-1 only) and data's eu-west-1 Resolver query logs — are back, each on the log
 * relay of its own account × region, whose role the SIEM admits as a writer; nothing outside the home region goes
 * through Firehose; the coverage matrix checks that every configured source is declared and subscribed.
 */

const CLOUDFRONT_ACL = "arn:aws:wafv2:us-east-1:100000000003:global/webacl/payments-cdn/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0";
const arnOf = (r: MockedResource) => String(fakeState(r.type, r.name, r.inputs, r.provider).arn);

describe("prod: sources outside the SIEM's home region, relayed", function () {
    this.timeout(300_000);
    let report: PlanReport;
    const at = (type: string, account: string, region: string) =>
        report.resources.filter(r => r.type === type && r.provider?.account === account && r.region === region);
    before(async () => { report = await runPlan("prod"); });

    it("declares the three restored sources on the relay of their account × region, signing for the home region", () => {
        const payments = "100000000003";
        const data = "100000000005";
        const flows = at("aws:ec2/flowLog:FlowLog", payments, "us-east-1");
        expect(flows.map(f => [f.inputs.vpcId, f.inputs.logDestinationType])).to.deep.equal([["vpc-0fedcba9876543210", "cloud-watch-logs"]]);
        const waf = at("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", payments, "us-east-1");
        expect(waf.map(w => w.inputs.resourceArn)).to.deep.equal([CLOUDFRONT_ACL]);
        expect(waf[0].inputs.logDestinationConfigs[0]).to.match(/:log-group:aws-waf-logs-guardpost-prod-relay$/);
        const dns = at("aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation", data, "eu-west-1");
        expect(dns.map(a => a.inputs.resourceId)).to.deep.equal(["vpc-0abcdefabcdefabcd"]);
        for (const [account, region, kinds] of [[payments, "us-east-1", ["vpcflow", "waf"]], [data, "eu-west-1", ["dns"]]] as const) {
            const fns = at("aws:lambda/function:Function", account, region).filter(f => f.inputs.tags["guardpost:function"] === "log-relay");
            expect(fns, `${account}/${region}`).to.have.length(1);
            const env = fns[0].inputs.environment.variables;
            expect(env.OPENSEARCH_REGION).to.equal("ap-northeast-2");
            expect(Object.values(parseLogGroupKinds(env.LOG_GROUP_KINDS).kinds).sort()).to.deep.equal([...kinds]);
        }
        // Firehose only in the home region.
        for (const s of report.resources.filter(r => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")) expect(s.region, s.name).to.equal("ap-northeast-2");
    });

    it("admits every relay role as a writer: in the domain access policy and the guardpost_log_writer mapping", () => {
        const relayRoles = report.resources.filter(r => r.type === "aws:iam/role:Role" && /-relay-role$/.test(r.name)).map(arnOf);
        expect(relayRoles).to.have.length(2);
        const policy = JSON.parse(report.resources.find(r => r.type === "aws:opensearch/domainPolicy:DomainPolicy")!.inputs.accessPolicies);
        const writers: string[] = policy.Statement.find((s: any) => s.Sid === "LogWriters").Principal.AWS;
        expect(writers).to.include.members(relayRoles);
        const mapping = report.resources.find(r => r.type === "pulumi-nodejs:dynamic/opensearch:RoleMapping" && r.inputs.role === "guardpost_log_writer")!;
        expect(mapping.inputs.backendRoles).to.include.members(relayRoles);
    });

    it("covers every account × region, and reports a configured source that is not declared or not subscribed as UNCOVERED", () => {
        expect(report.coverage.gaps).to.deep.equal([]);
        const withoutFlow = report.resources.filter(r => !(r.type === "aws:ec2/flowLog:FlowLog" && r.inputs.vpcId === "vpc-0fedcba9876543210"));
        expect(computeCoverage(report.config, withoutFlow).gaps).to.deep.equal(["payments/us-east-1: logShipping"]);
        const unsubscribed = report.resources.filter(r => !(r.type === "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter" && r.provider?.account === "100000000005" && r.region === "eu-west-1"));
        expect(computeCoverage(report.config, unsubscribed).gaps).to.deep.equal(["data/eu-west-1: logShipping"]);
    });
});
