import * as aws from "@pulumi/aws";
import type { AccountConfig } from "./config";

/**
 * The only place guardpost creates AWS providers: one per (account, region), assuming that account's
 * deployer role and refusing any other account, so a resource can only land where config says it should.
 * Default providers are disabled in every stack file, so a resource without one of these fails loudly.
 */
export class Providers {
    private readonly cache = new Map<string, aws.Provider>();

    constructor(private readonly stack: string, private readonly sessionName = `guardpost-${stack}`) {}

    /** The provider for `account` in `region`, created on first use and shared by every component there. */
    for(account: AccountConfig, region: string): aws.Provider {
        if (!account.regions.includes(region)) {
            throw new Error(`guardpost: account '${account.name}' is not configured for ${region}; add it to guardpost:accounts[${account.name}].regions`);
        }
        const key = `${account.name}/${region}`;
        let provider = this.cache.get(key);
        if (!provider) {
            provider = new aws.Provider(`aws-${account.name}-${region}`, {
                region: region as aws.Region,
                allowedAccountIds: [account.id],
                assumeRoles: [{ roleArn: account.roleArn, sessionName: this.sessionName }],
                defaultTags: { tags: providerTags(this.stack, account) },
            });
            this.cache.set(key, provider);
        }
        return provider;
    }

    get size(): number {
        return this.cache.size;
    }
}

export function providerTags(stack: string, account: AccountConfig): Record<string, string> {
    return { "guardpost:stack": stack, "guardpost:account": account.name, "guardpost:managed-by": "pulumi" };
}
