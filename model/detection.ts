/**
 * GuardDuty's vocabulary, shared by the stack config (which parses it) and DetectionBaseline (which declares
 * it). Plain types and constants, no Pulumi: both sides import them from here, so neither reaches into the
 * other.
 */

export const DETECTION_MODES = ["standalone", "management", "admin", "member"] as const;
export type DetectionMode = (typeof DETECTION_MODES)[number];
export const PUBLISHING_FREQUENCIES = ["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] as const;
export const THREAT_LIST_FORMATS = ["TXT", "STIX", "OTX_CSV", "ALIEN_VAULT", "PROOF_POINT", "FIRE_EYE"] as const;

/** GuardDuty quotas per account and region (GuardDuty user guide, "Quotas"). */
export const MAX_TRUSTED_IP_LISTS = 1;
export const MAX_THREAT_INTEL_SETS = 6;

export interface ThreatList {
    /** Friendly name shown in GuardDuty; unique among the lists of its kind. */
    name: string;
    /** The list's file format as GuardDuty names it (`TXT`: one IP or CIDR per line). */
    format: (typeof THREAT_LIST_FORMATS)[number];
    /** Path of the list inside the repository; uploaded to the baseline's private bucket. */
    file?: string;
    /** An `https://` S3 object URL GuardDuty can read, used as given. */
    s3Url?: string;
}

export interface ProtectionSwitches {
    /** S3 Protection: CloudTrail data events on S3 (`S3_DATA_EVENTS`). */
    s3DataEvents: boolean;
    /** EKS Protection: the clusters' audit logs (`EKS_AUDIT_LOGS`). */
    eksAuditLogs: boolean;
    /** Malware Protection for EC2: scans the EBS volumes of flagged instances (`EBS_MALWARE_PROTECTION`). */
    ebsMalwareProtection: boolean;
    /** RDS Protection: Aurora/RDS login activity (`RDS_LOGIN_EVENTS`). */
    rdsLoginEvents: boolean;
    /** Lambda Protection: the functions' network activity (`LAMBDA_NETWORK_LOGS`). */
    lambdaNetworkLogs: boolean;
    /** GuardDuty Runtime Monitoring (EKS, ECS Fargate, EC2). Exclusive with `eksRuntimeMonitoring`. */
    runtimeMonitoring: boolean;
    /** The deprecated EKS-only runtime monitoring. Exclusive with `runtimeMonitoring`. */
    eksRuntimeMonitoring: boolean;
    /**
     * `AI_PROTECTION`, a plan the pinned provider (@pulumi/aws 7.48 `DetectorFeature.name`) accepts; see
     * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html. Default off:
     * new plans are billed separately, so turning one on is a decision.
     */
    aiProtection: boolean;
    /** `AI_ANALYST`, likewise accepted by the pinned provider; default off. */
    aiAnalyst: boolean;
    /**
     * Malware Protection for S3: a protection plan (aws.guardduty.MalwareProtectionPlan) per bucket listed in
     * an account's `malwareProtectionS3Buckets`, scanning new objects and tagging them with the result.
     * Not a detector feature; default off. Optional so callers that predate it need not name it.
     */
    malwareProtectionS3?: boolean;
    /** Let GuardDuty install and update its security agent. Needs one of the runtime switches. */
    agentManagement: { eks: boolean; ecsFargate: boolean; ec2: boolean };
}
