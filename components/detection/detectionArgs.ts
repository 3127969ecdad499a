import type * as pulumi from "@pulumi/pulumi";
import type { DetectionMode, ProtectionSwitches, ThreatList } from "../../model/detection";

/** Resources to wait for that may only be known after this component is declared. */
export type LaterResources = pulumi.Resource[] | Promise<pulumi.Resource[]>;

export interface DetectionBaselineArgs {
    /** The 12-digit id of the account this baseline is declared in (its provider's account). */
    accountId: string;
    /** The region of this baseline's provider. Every service here is regional. */
    region: string;
    /**
     * - `standalone`: no organization; this account runs its own detector, lists, graph, hub and recorder.
     * - `management`: the organization's management account. Delegates GuardDuty, Detective (if on) and
     *   Security Hub (if on) administration to `adminAccountId` in this region, and enables GuardDuty
     *   (a detector without features) and Security Hub for itself, because AWS never auto-enables the management
     *   account; plus its own Security Hub standards and Config.
     * - `admin`: the delegated admin (security account). Its own detector and features, the organization
     *   configuration auto-enabling ALL members and each protection plan, IP/threat lists, the Detective
     *   graph and organization configuration, Security Hub organization configuration and, in
     *   `homeRegion`, the finding aggregator.
     * - `member`: no detector (AWS creates it with auto-enable ALL; declaring one fails with "detector
     *   already exists"), only Security Hub with its standards, and Config.
     */
    mode: DetectionMode;
    /** The delegated admin (security) account id. Required in management mode. */
    adminAccountId?: string;
    /** The security account's home region: the Security Hub finding aggregator lives there. */
    homeRegion: string;
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
     * `nist-800-53`), in every mode. An account that Security Hub auto-enabled when it joined the
     * organization already has a hub: import it (`pulumi import aws:securityhub/account:Account
     * <name>-hub <accountId>`) rather than let this baseline create it. Existing organization accounts
     * are not associated with the admin's hub by this component (Security Hub's auto-enable covers only
     * new accounts).
     */
    securityHub: { enabled: boolean; standards: string[] };
    /** AWS Config recorder. `includeGlobalResourceTypes` must be true in exactly one region per account. */
    awsConfig: { enabled: boolean; includeGlobalResourceTypes: boolean };
    /** Tags for every taggable child, on top of the provider's default tags. */
    tags?: Record<string, string>;
    /** Directory that `ThreatList.file` paths are relative to. Default: the working directory (the project). */
    baseDir?: string;
    /**
     * Management mode: resources the delegations must wait for — the admin baseline's `enablement` in
     * this region. Designating an admin auto-enables the services in that account, after which the
     * admin's own declarations of detector, graph and hub would fail with "already exists".
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
