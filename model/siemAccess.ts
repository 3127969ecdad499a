/**
 * Who may sign in to the SIEM's Dashboards and as what — the vocabulary config/ and SiemDomain share.
 * People authenticate through Amazon Cognito (the default) or a SAML identity provider; either way they
 * reach OpenSearch as members of one of two groups, which fine-grained access control maps to a role:
 * - the analyst group → `guardpost_analyst` (read the log indices) plus the built-in Dashboards,
 *   alerting, anomaly-detection and Security Analytics read roles;
 * - the admin group → `all_access` and `security_manager`.
 * The deployer role stays the FGAC master user, for automation only.
 */

export interface PeopleGroups {
    /** Cognito user-pool group / SAML group whose members read logs, dashboards and findings. */
    analystGroup: string;
    /** Cognito user-pool group / SAML group whose members administer the domain. */
    adminGroup: string;
}

export const DEFAULT_PEOPLE_GROUPS: PeopleGroups = { analystGroup: "guardpost-analysts", adminGroup: "guardpost-admins" };

/** SAML sign-in instead of Cognito (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/saml.html). */
export interface SamlSignIn {
    /** The IdP's entity id (its metadata's `entityID`, the "issuer"). */
    entityId: string;
    /** Where `pulumi up` fetches the IdP metadata XML (https only). Exactly one of this and `metadataFile`. */
    metadataUrl?: string;
    /** The IdP metadata XML, as a path in this repository. */
    metadataFile?: string;
    /** SAML assertion attribute that holds the user's groups (backend roles). Default `Role`. */
    rolesKey: string;
    /** SAML assertion attribute that holds the user name; default: the NameID. */
    subjectKey?: string;
    /** Dashboards session length, 1–1440 minutes. Default 60. */
    sessionTimeoutMinutes: number;
}

/** Cognito group names: 1–128 of letters, digits and `_+=,.@-` (CreateGroup's GroupName). */
export const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;

/**
 * The broadest source range `siem.allowedCidrs` may name: a /8 of IPv4 (16.7 M addresses) or a /32 of IPv6 (a
 * large provider's whole allocation). With SAML the domain policy admits any principal from these ranges
 * (browsers send unsigned requests), so a range broader than this — or several that together cover the
 * internet, like 0.0.0.0/1 and 128.0.0.0/1 — would make that statement public. policy/rules.ts applies the
 * same limits on its own (it imports nothing).
 */
export const MIN_IPV4_PREFIX = 8;
export const MIN_IPV6_PREFIX = 32;

/** True when `cidr` is broader than MIN_IPV4_PREFIX / MIN_IPV6_PREFIX (or is not a CIDR at all). */
export function cidrTooBroad(cidr: string): boolean {
    const m = /^(.+)\/(\d{1,3})$/.exec(cidr.trim());
    if (!m) return true;
    const prefix = Number(m[2]);
    return m[1].includes(":") ? prefix < MIN_IPV6_PREFIX : prefix < MIN_IPV4_PREFIX;
}
