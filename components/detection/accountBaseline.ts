import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { OrganizationPrerequisite } from "../../model/organizationAccess";
import { importId, type ServiceMode } from "../../model/services";
import { configServiceLinkedRoleArn } from "./archivePolicies";

export interface AccountBaselineArgs {
    /** The account (its provider's account). */
    accountId: string;
    /** The stack's partition; the role ARN is built in it. */
    partition: string;
    /**
     * AWSServiceRoleForConfig, the role Security Hub's Config.1 wants the recorder to use: `manage` creates
     * it, `adopt` imports the one AWS (or a console visit) already made, `skip` leaves it to whoever owns
     * Config here (Control Tower). One per account, so it lives here rather than in a regional baseline.
     */
    configServiceLinkedRole: ServiceMode;
    /** Management account only: trusted access to enable, one principal per resource. */
    trustedAccess?: OrganizationPrerequisite[];
    /** Management account only: delegated administrators no service API registers (AWS Config's). */
    delegatedAdministrators?: { servicePrincipal: string; accountId: string }[];
}

/**
 * What an account needs once, whatever its regions: Config's service-linked role, and in the management
 * account the organization's prerequisites. Every resource here is global (IAM, Organizations) and kept on
 * delete: the role serves recorders guardpost does not own, and disabling trusted access stops other
 * tools' organization features (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services.html).
 */
export class AccountBaseline extends pulumi.ComponentResource {
    /** The Config service-linked role's ARN (known without AWS: its path and name are fixed). */
    declare readonly configRoleArn: string;
    /** The service-linked role, if declared: recorders wait for it. */
    declare readonly configRole: pulumi.Resource[];
    /** Trusted access and delegated administrators: organization features wait for them. */
    declare readonly prerequisites: pulumi.Resource[];

    constructor(name: string, args: AccountBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
        if (!/^\d{12}$/.test(args.accountId)) throw new Error(`AccountBaseline ${name}: accountId must be 12 digits, got '${args.accountId}'`);
        super("guardpost:detection:AccountBaseline", name, {}, opts);
        const roleArn = configServiceLinkedRoleArn(args.partition, args.accountId);
        const configRole: pulumi.Resource[] = [];
        if (args.configServiceLinkedRole !== "skip") {
            configRole.push(new aws.iam.ServiceLinkedRole(`${name}-config-slr`, { awsServiceName: "config.amazonaws.com" }, {
                parent: this,
                import: importId(args.configServiceLinkedRole, roleArn),
                retainOnDelete: true,
            }));
        }
        const prerequisites: pulumi.Resource[] = [];
        for (const access of args.trustedAccess ?? []) {
            prerequisites.push(new aws.organizations.AwsServiceAccess(`${name}-trusted-${access.principal.split(".")[0]}`, {
                servicePrincipal: access.principal,
            }, { parent: this, retainOnDelete: true }));
        }
        const accessDone = [...prerequisites];
        for (const d of args.delegatedAdministrators ?? []) {
            prerequisites.push(new aws.organizations.DelegatedAdministrator(`${name}-delegate-${d.servicePrincipal.split(".")[0]}`, {
                servicePrincipal: d.servicePrincipal,
                accountId: d.accountId,
            }, { parent: this, dependsOn: accessDone }));
        }
        this.configRoleArn = roleArn;
        this.configRole = configRole;
        this.prerequisites = prerequisites;
        this.registerOutputs({ configRoleArn: roleArn });
    }
}
