import type * as pulumi from "@pulumi/pulumi";
import type { DetectionMode, ProtectionSwitches, ThreatList } from "../../model/detection";
import type { AccountServices } from "../../model/services";

/** Resources to wait for that may only be known after this component is declared. */
export type LaterResources = pulumi.Resource[] | Promise<pulumi.Resource[]>;

/** An organization account the delegated administrator enrolls explicitly (auto-enable covers only new ones). */
export interface OrganizationAccount {
    accountId: string;
    /** Root e-mail address: GuardDuty's and Detective's CreateMembers name accounts by it. */
    email?: string;
    kind: "management" | "workload";
    /** The account's own choices; `skip` keeps it out of the service (self-managed in Security Hub). */
    services: AccountServices;
    /** Regions the account operates in; Detective enables it as a member only there (each member region is billed). Absent: every region. */
    regions?: string[];
}

/** Admin mode: how the delegated administrator covers the rest of the organization. */
export interface OrganizationAdminArgs {
    /** Every configured organization account except the administrator itself. */
    accounts: OrganizationAccount[];
    /**
     * The organization root (`r-…`) or OUs (`ou-…`) the Security Hub configuration policy is associated
     * with, so existing and future accounts get the same standards (central configuration).
     */
    securityHubPolicyTargets: string[];
}

/** Where AWS Config delivers: the central archive bucket and its key (see SecurityArchive). */
export interface ConfigDelivery {
    bucketName: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** The account's AWSServiceRoleForConfig (see AccountBaseline), which Security Hub's Config.1 requires. */
    roleArn: string;
    /** The service-linked role and the archive's policies: the recorder and channel wait for them. */
    dependsOn?: LaterResources;
}

export interface DetectionBaselineArgs {
    /** The 12-digit id of the account this baseline is declared in (its provider's account). */
    accountId: string;
    /** The region of this baseline's provider. Every service here is regional. */
    region: string;
    /**
     * - `standalone`: no organization; this account runs its own detector, lists, graph, hub and recorder.
     * - `management`: the organization's management account. Delegates GuardDuty, Detective (if on) and
     *   Security Hub (if on) administration to `adminAccountId` in this region, and enables GuardDuty
     *   (a detector without features) and Security Hub for itself, because AWS never enables them in the
     *   management account; the admin then adds it as a member. Plus Config.
     * - `admin`: the delegated admin (security account). Its own detector and features, the organization
     *   configuration auto-enabling ALL members and each protection plan, the management account as a
     *   GuardDuty/Security Hub member with its features, IP/threat lists, the Detective graph with every
     *   existing account as a member, Security Hub central configuration (home region: aggregator,
     *   configuration policy, associations), findings export.
     * - `member`: no detector (AWS creates it under auto-enable ALL; declaring one fails with "detector
     *   already exists") and no hub (central configuration enables it); only Config.
     */
    mode: DetectionMode;
    /** The delegated admin (security) account id. Required in management mode. */
    adminAccountId?: string;
    /** The security account's home region: the Security Hub finding aggregator lives there. */
    homeRegion: string;
    /**
     * The other regions the stack operates in, which the home region's finding aggregator links (and central
     * configuration then reaches). Only these: `ALL_REGIONS` would turn Security Hub and its standards on in
     * every region of the partition, where Config does not record and Config.1 fails
     * (https://docs.aws.amazon.com/securityhub/latest/userguide/aggregation-central-configuration.html).
     * Default: none (`NO_REGIONS`).
     */
    linkedRegions?: string[];
    /** Per service: `manage` creates, `adopt` imports what exists (ids inside), `skip` declares nothing. */
    services: AccountServices;
    /** How often GuardDuty re-publishes updated findings. Default FIFTEEN_MINUTES. Members inherit the admin's. */
    findingPublishingFrequency?: "FIFTEEN_MINUTES" | "ONE_HOUR" | "SIX_HOURS";
    /** One switch per GuardDuty protection plan; each becomes its own DetectorFeature. */
    protections: ProtectionSwitches;
    /** At most one trusted IP list (GuardDuty quota). Admin and standalone modes only; ignored elsewhere. */
    trustedIpLists?: ThreatList[];
    /** At most six threat intel sets. Admin and standalone modes only; ignored elsewhere. */
    threatIntelSets?: ThreatList[];
    /**
     * Amazon Detective behavior graph (admin and standalone modes; management delegates it). Detective
     * refuses to start until GuardDuty has been enabled in the account and region for 48 hours: turn this
     * on in a later deploy than the one that first enables GuardDuty.
     */
    detective: boolean;
    /**
     * Security Hub with standards by short name (`fsbp`, `cis-1.2`, `cis-1.4`, `cis-3.0`, `pci-3.2.1`,
     * `nist-800-53`). Standalone accounts subscribe them; in an organization the admin's configuration
     * policy carries them to every account (central configuration).
     */
    securityHub: { enabled: boolean; standards: string[] };
    /** AWS Config recorder. `includeGlobalResourceTypes` must be true in exactly one region per account. */
    awsConfig: { enabled: boolean; includeGlobalResourceTypes: boolean };
    /** Where the recorder delivers; required when Config is enabled and not skipped. */
    configDelivery?: ConfigDelivery;
    /**
     * The Config aggregator, declared by the security account in its home region: over the organization
     * (needs the security account registered as Config delegated administrator: `dependsOn`) or over the
     * listed accounts (standalone; each source authorizes it with `configAggregatorAuthorization`).
     */
    configAggregator?: { scope: "organization" | "accounts"; accountIds: string[]; dependsOn?: LaterResources };
    /** Standalone source accounts: authorize the security account's aggregator (account, its region). */
    configAggregatorAuthorization?: { accountId: string; region: string };
    /** Export this detector's findings (and, for an admin, its members') to the archive bucket with KMS. */
    findingsExport?: { bucketArn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string>; dependsOn?: LaterResources };
    /**
     * Malware Protection for S3 (with `protections.malwareProtectionS3`): the buckets of this account in this
     * region to protect, each with its own plan and role. Any mode: the plan belongs to the bucket's account.
     */
    malwareProtectionS3Buckets?: string[];
    /** Admin mode: the organization accounts to enroll and the Security Hub policy targets. */
    organization?: OrganizationAdminArgs;
    /** Tags for every taggable child, on top of the provider's default tags. */
    tags?: Record<string, string>;
    /** Directory that `ThreatList.file` paths are relative to. Default: the working directory (the project). */
    baseDir?: string;
    /**
     * Management mode: resources the delegations must wait for — the admin baseline's `enablement` in
     * this region, and the organization's trusted access (AccountBaseline). Designating an admin
     * auto-enables the services in that account, after which the admin's own declarations of detector,
     * graph and hub would fail with "already exists".
     */
    delegationDependsOn?: LaterResources;
    /**
     * Admin mode: resources the organization configurations must wait for — the management baseline's
     * `delegations` in this region; only a designated admin may configure the organization. Usually
     * the management baseline is declared after this one, so pass `laterResources().promise` and
     * resolve it with them.
     */
    organizationDependsOn?: LaterResources;
}
