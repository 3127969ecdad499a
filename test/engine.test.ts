import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fakeState, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";

describe("mock engine", () => {
    it("places each resource at its provider's account and region, children through their parent", async () => {
        const { resources } = await runMocked(() => {
            const p = testProvider("111111111111", "ap-northeast-2");
            const parent = new pulumi.ComponentResource("guardpost:test:Thing", "thing", {}, { provider: p });
            new aws.sqs.Queue("q", {}, { parent });
            new aws.sns.Topic("t", {}, { provider: p });
        });
        const q = resources.find(r => r.type === "aws:sqs/queue:Queue")!;
        const t = resources.find(r => r.type === "aws:sns/topic:Topic")!;
        expect(q.provider).to.include({ account: "111111111111", region: "ap-northeast-2" });
        expect(q.parent).to.match(/guardpost:test:Thing::thing$/);
        expect(t.provider).to.include({ account: "111111111111", region: "ap-northeast-2" });
    });

    it("places a resource in its own region input over its provider's, and IAM in no region", async () => {
        const { resources } = await runMocked(() => {
            const p = testProvider("111111111111", "us-east-1");
            new aws.sqs.Queue("here", { region: "eu-west-1" }, { provider: p });
            new aws.sqs.Queue("default", {}, { provider: p });
            new aws.iam.Role("role", { assumeRolePolicy: "{}" }, { provider: p });
        });
        const byName = (n: string) => resources.find(r => r.name === n)!;
        expect(byName("here").region).to.equal("eu-west-1");
        expect(byName("here").provider).to.include({ account: "111111111111", region: "us-east-1" });
        expect(fakeState(byName("here").type, "here", byName("here").inputs, byName("here").provider).arn).to.match(/^arn:aws:sqs:eu-west-1:111111111111:/);
        expect(byName("default").region).to.equal("us-east-1");
        expect(byName("role").region).to.equal(undefined);
    });

    it("refuses two resources with one URN, as the engine does (Duplicate resource URN)", async () => {
        let err: Error | undefined;
        try {
            await runMocked(() => {
                const p = testProvider("111111111111", "us-east-1");
                new aws.sqs.Queue("twice", { region: "us-east-1" }, { provider: p });
                new aws.sqs.Queue("twice", { region: "eu-west-1" }, { provider: p });
            });
        } catch (e) { err = e as Error; }
        expect(err?.message).to.contain("duplicate resource URN");
        expect(err?.message).to.contain("aws:sqs/queue:Queue::twice");
    });

    it("throws on an invoke it has no mock for, naming the token", async () => {
        let err: Error | undefined;
        try {
            await runMocked(() => {
                const p = testProvider("111111111111", "us-east-1");
                aws.ec2.getVpcOutput({ default: true }, { provider: p }).apply(v => new aws.sqs.Queue(`q-${v.id}`));
            });
        } catch (e) { err = e as Error; }
        expect(err?.message).to.contain("aws:ec2/getVpc:getVpc");
    });

    it("answers getCallerIdentity with the provider's account, never undefined", async () => {
        const { resources } = await runMocked(() => {
            const p = testProvider("222222222222", "us-east-1");
            const id = aws.getCallerIdentityOutput({}, { provider: p });
            new aws.sqs.Queue("q", { name: id.accountId.apply(a => `queue-${a}`) }, { provider: p });
        });
        expect(resources.find(r => r.type === "aws:sqs/queue:Queue")!.inputs.name).to.equal("queue-222222222222");
    });

    it("records which inputs were secret", async () => {
        const { resources } = await runMocked(() => {
            const p = testProvider("111111111111", "us-east-1");
            new aws.ssm.Parameter("token", { type: "SecureString", value: pulumi.secret("s3cr3t") }, { provider: p });
        });
        const param = resources.find(r => r.type === "aws:ssm/parameter:Parameter")!;
        expect(param.secretInputs).to.include("value");
        expect(param.inputs.value).to.equal("s3cr3t");
    });

    it("flags a resource created without a provider when default providers are disabled", async () => {
        let err: Error | undefined;
        try {
            await runMocked(() => { new aws.sns.Topic("orphan"); }, { requireExplicitProviders: true });
        } catch (e) { err = e as Error; }
        expect(err?.message).to.contain("aws:sns/topic:Topic 'orphan' has no explicit provider");
    });
});

describe("mock engine dependencies", () => {
    it("records which resource each input came from", async () => {
        const { resources } = await runMocked(() => {
            const p = testProvider("111111111111", "us-east-1");
            const bucket = new aws.s3.BucketV2("b", {}, { provider: p });
            new aws.s3.BucketPublicAccessBlock("pab", { bucket: bucket.id, blockPublicAcls: true }, { provider: p });
        });
        const bucket = resources.find(r => r.type === "aws:s3/bucketV2:BucketV2")!;
        const pab = resources.find(r => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")!;
        expect(pab.propertyDependencies.bucket).to.deep.equal([bucket.urn]);
    });
});

describe("mock engine nesting", () => {
    it("keeps grandchildren under their own parent component, matching the SDK's URNs", async () => {
        const { resources } = await runMocked(() => {
            const p = testProvider("111111111111", "us-east-1");
            const outer = new pulumi.ComponentResource("guardpost:test:Outer", "outer", {}, { provider: p });
            const inner = new pulumi.ComponentResource("guardpost:test:Inner", "inner", {}, { parent: outer });
            new aws.sqs.Queue("q", {}, { parent: inner });
        });
        const inner = resources.find(r => r.type === "guardpost:test:Inner")!;
        const q = resources.find(r => r.type === "aws:sqs/queue:Queue")!;
        expect(q.parent).to.equal(inner.urn);
        expect(q.provider).to.include({ account: "111111111111", region: "us-east-1" });
    });
});

describe("mock engine failures", () => {
    it("reports a failed invoke promptly even when stack outputs wait on it", async () => {
        const started = Date.now();
        let err: Error | undefined;
        try {
            await runMocked(() => {
                const p = testProvider("111111111111", "us-east-1");
                const vpc = aws.ec2.getVpcOutput({ default: true }, { provider: p });
                return { vpcId: vpc.id };
            }, { drainTimeoutSeconds: 30 });
        } catch (e) { err = e as Error; }
        expect(err?.message).to.contain("aws:ec2/getVpc:getVpc");
        expect(Date.now() - started).to.be.below(10_000);
    });
});
