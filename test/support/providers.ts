import * as aws from "@pulumi/aws";

/** A provider pinned to one account and region, the way providers.ts builds them, for component tests. */
export function testProvider(accountId: string, region: string, name = `test-${accountId}-${region}`): aws.Provider {
    return new aws.Provider(name, {
        region: region as aws.Region,
        allowedAccountIds: [accountId],
        assumeRoles: [{ roleArn: `arn:aws:iam::${accountId}:role/guardpost-deployer`, sessionName: "guardpost-test" }],
        defaultTags: { tags: { "guardpost:stack": "test", "guardpost:account": accountId } },
    });
}
