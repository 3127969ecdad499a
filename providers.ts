import * as aws from "@pulumi/aws";
import type { AccountConfig } from "./config";
import { providerSessionName } from "./model/sessionName";

/**
 * The only place guardpost creates AWS providers: one per account, assuming that account's deployer role
 * and refusing any other account, so a resource can only land where config says it should. Every
 * regional resource names its region with the `region` input (@pulumi/aws 7.x), so one provider (one
 * plugin process at deploy time) serves all of an account's regions ("Enhanced Region Support":
 * https://hashicorp.github.io/terraform-provider-aws/enhanced-region-support — the effective region is the
 * resource's `region` argument, else the provider's). Global services (IAM) take no region. Default
 * providers are disabled in every stack file, so a resource without one of these fails loudly.
 */
export class Providers {
    private readonly cache = new Map<string, aws.Provider>();

    constructor(private readonly stack: string, private readonly sessionName = providerSessionName(stack)) {}

    /** The provider for `account`, created on first use and shared by every component in every region of it. */
    forAccount(account: AccountConfig): aws.Provider {
        let provider = this.cache.get(account.name);
        if (!provider) {
            provider = new aws.Provider(`aws-${account.name}`, {
                // Only the endpoint of global services (IAM, STS) depends on it; every regional resource
                // sets its own `region`. The account's first region keeps the endpoint in its partition.
                region: providerRegion(account) as aws.Region,
                allowedAccountIds: [account.id],
                assumeRoles: [{ roleArn: account.roleArn, sessionName: this.sessionName }],
                defaultTags: { tags: providerTags(this.stack, account) },
            });
            this.cache.set(account.name, provider);
        }
        return provider;
    }

    get size(): number {
        return this.cache.size;
    }
}

/** The region an account's provider is configured with: its first configured region. */
export function providerRegion(account: AccountConfig): string {
    return account.regions[0];
}

export function providerTags(stack: string, account: AccountConfig): Record<string, string> {
    return { "guardpost:stack": stack, "guardpost:account": account.name, "guardpost:managed-by": "pulumi" };
}
