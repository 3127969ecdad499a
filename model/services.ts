/**
 * The detection services guardpost can manage per account, and how it treats what already exists there.
 * Plain vocabulary shared by config/ (which parses it) and the components (which act on it); no Pulumi.
 *
 * - `manage` (default): guardpost creates the service's resources and owns them.
 * - `adopt`: the resources already exist (enabled by hand, by a script, by another tool); guardpost takes
 *   them over with Pulumi's `import` resource option and the ids from config, then converges them to the
 *   configured settings. Since pulumi/pulumi#19339 an import whose inputs differ from the live resource
 *   succeeds and is followed by an update (https://www.pulumi.com/docs/iac/concepts/resources/options/import/).
 * - `skip`: guardpost declares nothing for the service in that account; something else covers it (Control
 *   Tower's Config recorder, another team's hub). The plan's coverage matrix shows it as skipped.
 */

export const DETECTION_SERVICES = ["guardDuty", "securityHub", "config", "detective"] as const;
export type DetectionService = (typeof DETECTION_SERVICES)[number];

export const SERVICE_MODES = ["manage", "adopt", "skip"] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

/** Names AWS Config gives a recorder and channel created in the console (and what Control Tower does not use). */
export const DEFAULT_ADOPTED_CONFIG_NAME = "default";
/** The names guardpost gives the recorder and delivery channel it creates. */
export const GUARDPOST_CONFIG_NAME = "guardpost";

export interface GuardDutyPlan {
    mode: ServiceMode;
    /** `adopt`: the existing detector id per region (`aws guardduty list-detectors --region R`). */
    detectorIds: Record<string, string>;
}

export interface SecurityHubPlan {
    /** `adopt` imports the hub by account id, which needs nothing from config. */
    mode: ServiceMode;
}

export interface ConfigPlan {
    mode: ServiceMode;
    /** `adopt`: the existing recorder's name (`aws configservice describe-configuration-recorders`). */
    recorderName: string;
    /** `adopt`: the existing delivery channel's name (`aws configservice describe-delivery-channels`). */
    deliveryChannelName: string;
    /**
     * AWSServiceRoleForConfig, one per account: `manage` creates it, `adopt` imports it. Defaults to the Config
     * mode; set it apart when the role outlived an earlier Config setup (IAM refuses to create it twice) while
     * guardpost still creates the recorder.
     */
    serviceLinkedRole?: "manage" | "adopt";
}

export interface DetectivePlan {
    mode: ServiceMode;
    /** `adopt`: the existing behavior graph ARN per region (`aws detective list-graphs --region R`). */
    graphArns: Record<string, string>;
}

/** How guardpost treats each detection service in one account. */
export interface AccountServices {
    guardDuty: GuardDutyPlan;
    securityHub: SecurityHubPlan;
    config: ConfigPlan;
    detective: DetectivePlan;
}

/** Every service managed, nothing adopted: the default for an account that lists no `services`. */
export function managedServices(): AccountServices {
    return {
        guardDuty: { mode: "manage", detectorIds: {} },
        securityHub: { mode: "manage" },
        config: { mode: "manage", recorderName: GUARDPOST_CONFIG_NAME, deliveryChannelName: GUARDPOST_CONFIG_NAME },
        detective: { mode: "manage", graphArns: {} },
    };
}

/** The Pulumi `import` id for an adopted resource, or undefined to create it (manage). */
export function importId(mode: ServiceMode, id: string | undefined): string | undefined {
    return mode === "adopt" ? id : undefined;
}
