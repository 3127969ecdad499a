/**
 * The accounts of an estate split over stacks (README "Scale"), as the core stack sees them. Pure; no Pulumi.
 *
 * The core declares everything that names every account of the estate — the archive's bucket and key
 * policies (each Config source and findings exporter by account id), the Config aggregator's accounts, the
 * delegated administrator's Detective members and Security Hub self-managed associations, the finding
 * aggregator's linked regions. It learns the account stacks' accounts from their stack files, so an account
 * is admitted before its own stack first deploys (AWS Config refuses a delivery channel whose bucket policy
 * does not admit it: InsufficientDeliveryPolicyException,
 * https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html).
 */
import type { AccountServices } from "./services";

/** What the core needs to know of an account: who it is, where it operates, what it runs. */
export interface EstateAccount {
    name: string;
    id: string;
    kind: "management" | "security" | "workload";
    email?: string;
    regions: string[];
    services: AccountServices;
}

/**
 * The whole estate: the core's own accounts, then each account stack's deployed accounts. An account another
 * stack deploys replaces a reference copy the core lists without deploying it; an account two stacks deploy,
 * or a name given to two account ids, is refused (both stacks would create its resources).
 */
export function mergeEstate(core: { accounts: EstateAccount[]; deploys: string[] }, stacks: { stack: string; accounts: EstateAccount[] }[]): EstateAccount[] {
    const deployedBy = new Map<string, string>();
    for (const a of core.accounts) if (core.deploys.includes(a.name)) deployedBy.set(a.id, "the core stack");
    const remote = new Map<string, EstateAccount>();
    for (const { stack, accounts } of stacks) {
        for (const a of accounts) {
            const other = deployedBy.get(a.id);
            if (other) throw new Error(`account ${a.name} (${a.id}) is deployed by both ${other} and ${stack}: keep it in one stack's guardpost:estate.deploys`);
            deployedBy.set(a.id, stack);
            remote.set(a.id, a);
        }
    }
    const merged = [...core.accounts.filter(a => !remote.has(a.id)), ...remote.values()];
    const idOf = new Map<string, string>();
    for (const a of merged) {
        const clash = idOf.get(a.name);
        if (clash && clash !== a.id) throw new Error(`the account name ${a.name} is given to both ${clash} and ${a.id}: give each account one name in every stack`);
        idOf.set(a.name, a.id);
    }
    return merged;
}
