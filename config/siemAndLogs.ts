/** `guardpost:siem` (the OpenSearch domain and who signs in to it) and `guardpost:logs` (the log pipeline). */
import { Issues, isRecord } from "../configErrors";
import { cidrTooBroad, DEFAULT_PEOPLE_GROUPS, GROUP_NAME, MIN_IPV4_PREFIX, MIN_IPV6_PREFIX, type PeopleGroups, type SamlSignIn } from "../model/siemAccess";
import { INDEX_PERIODS, sizingIssues } from "../model/siemSizing";
import { DEFAULT_RELAY_RESERVED, DEFAULT_SHIPPER_RESERVED, type AccountConfig, type LogsConfig, type SiemConfig } from "./types";
import { bool, describe, list, num, object, oneOf, region, str, unknownKeys } from "./readers";

export function parseSiem(value: unknown, security: AccountConfig | undefined, issues: Issues, stage = "dev"): SiemConfig {
    const at = "guardpost:siem";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["engineVersion", "instanceType", "instanceCount", "dedicatedMasterType", "dedicatedMasterCount", "zoneAwareness", "availabilityZoneCount", "volumeSizeGb", "retentionDays", "adminRoleArn", "allowedCidrs",
        "indexPeriod", "primaryShards", "replicas", "people", "saml", "cognitoDomainPrefix"], issues);
    const engineVersion = str(v.engineVersion ?? "OpenSearch_2.19", `${at}.engineVersion`, issues, { pattern: /^OpenSearch_2\.\d+$/, hint: "an OpenSearch 2.x engine such as OpenSearch_2.19" }) ?? "OpenSearch_2.19";
    const instanceType = str(v.instanceType ?? "r6g.large.search", `${at}.instanceType`, issues, { pattern: /^[a-z0-9]+\.[a-z0-9]+\.search$/, hint: "an OpenSearch instance type such as r6g.large.search" }) ?? "r6g.large.search";
    const instanceCount = num(v.instanceCount ?? 1, `${at}.instanceCount`, issues, { min: 1, max: 80, integer: true, hint: "data nodes, 1–80" }) ?? 1;
    const dedicatedMasterCount = num(v.dedicatedMasterCount ?? 0, `${at}.dedicatedMasterCount`, issues, { min: 0, max: 5, integer: true, hint: "0, 3 or 5" }) ?? 0;
    if (![0, 3, 5].includes(dedicatedMasterCount)) issues.add(`${at}.dedicatedMasterCount`, `${dedicatedMasterCount} dedicated masters cannot form a safe quorum`, "use 0, 3 or 5");
    const dedicatedMasterType = v.dedicatedMasterType === undefined ? undefined : str(v.dedicatedMasterType, `${at}.dedicatedMasterType`, issues, { pattern: /^[a-z0-9]+\.[a-z0-9]+\.search$/, hint: "e.g. m6g.large.search" });
    if (dedicatedMasterCount > 0 && !dedicatedMasterType) issues.add(`${at}.dedicatedMasterType`, "is missing while dedicatedMasterCount > 0", "set an instance type such as m6g.large.search");
    const zoneAwareness = bool(v.zoneAwareness, `${at}.zoneAwareness`, issues, false);
    const availabilityZoneCount = num(v.availabilityZoneCount ?? (zoneAwareness ? 2 : 1), `${at}.availabilityZoneCount`, issues, { min: 1, max: 3, integer: true, hint: "2 or 3 with zone awareness" }) ?? 1;
    if (zoneAwareness && availabilityZoneCount < 2) issues.add(`${at}.availabilityZoneCount`, "must be 2 or 3 with zoneAwareness", "set availabilityZoneCount: 2 or 3");
    if (zoneAwareness && instanceCount % availabilityZoneCount !== 0) issues.add(`${at}.instanceCount`, `${instanceCount} data nodes cannot spread evenly over ${availabilityZoneCount} zones`, `use a multiple of ${availabilityZoneCount}`);
    const volumeSizeGb = num(v.volumeSizeGb ?? 20, `${at}.volumeSizeGb`, issues, { min: 10, max: 16384, integer: true, hint: "gp3 GiB per data node" }) ?? 20;
    const retentionDays = num(v.retentionDays ?? 90, `${at}.retentionDays`, issues, { min: 1, max: 3650, integer: true, hint: "days before the ISM policy deletes an index" }) ?? 90;
    const adminRoleArn = v.adminRoleArn === undefined
        ? security?.roleArn ?? ""
        : str(v.adminRoleArn, `${at}.adminRoleArn`, issues, { pattern: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, hint: "an IAM role ARN" }) ?? "";
    const allowedCidrs = list(v.allowedCidrs ?? [], `${at}.allowedCidrs`, issues, (c, k) => str(c, k, issues, { pattern: /^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$|^[0-9a-fA-F:]+\/\d{1,3}$/, hint: "a CIDR such as 203.0.113.0/24" })) ?? [];
    const indexPeriod = oneOf(v.indexPeriod ?? "month", `${at}.indexPeriod`, issues, INDEX_PERIODS) ?? "month";
    const primaryShards = num(v.primaryShards ?? 1, `${at}.primaryShards`, issues, { min: 1, max: 64, integer: true, hint: "primary shards per log index; aim for 10–50 GiB per shard" }) ?? 1;
    const replicas = num(v.replicas ?? (instanceCount > 1 ? 1 : 0), `${at}.replicas`, issues, { min: 0, max: 5, integer: true, hint: "replicas per log index, at most instanceCount - 1" }) ?? 0;
    for (const i of sizingIssues({ retentionDays, indexPeriod, primaryShards, replicas, dataNodes: instanceCount, instanceType })) issues.add(i.key, i.problem, i.fix);
    const people = parsePeople(v.people, `${at}.people`, issues);
    const saml = v.saml === undefined ? undefined : parseSaml(v.saml, `${at}.saml`, issues);
    for (const [i, cidr] of allowedCidrs.entries()) {
        if (cidrTooBroad(cidr)) {
            issues.add(`${at}.allowedCidrs[${i}]`, `${cidr} is broader than /${cidr.includes(":") ? MIN_IPV6_PREFIX : MIN_IPV4_PREFIX}: the domain policy would admit nearly anyone from it (with SAML, any principal)`,
                "list the networks your analysts sign in from, e.g. 203.0.113.0/24");
        }
    }
    if (saml && allowedCidrs.length === 0) {
        issues.add(`${at}.allowedCidrs`, "is empty while siem.saml is set; SAML browsers reach the domain unsigned, so its access policy must admit them by source address", "list the networks your analysts sign in from, e.g. [203.0.113.0/24]");
    }
    const cognitoDomainPrefix = str(v.cognitoDomainPrefix ?? `guardpost-${stage}-${security?.id ?? "000000000000"}`, `${at}.cognitoDomainPrefix`, issues, { pattern: /^(?!.*aws)(?!.*amazon)(?!.*cognito)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, hint: "lower-case letters, digits and '-', without 'aws', 'amazon' or 'cognito' (Cognito's rule for domain prefixes)" }) ?? "";
    return { engineVersion, instanceType, instanceCount, dedicatedMasterType, dedicatedMasterCount, zoneAwareness, availabilityZoneCount, volumeSizeGb, retentionDays, adminRoleArn, allowedCidrs,
        indexPeriod, primaryShards, replicas, people, saml, cognitoDomainPrefix };
}

function parsePeople(value: unknown, at: string, issues: Issues): PeopleGroups {
    const v = object(value, at, issues);
    unknownKeys(v, at, ["analystGroup", "adminGroup"], issues);
    const group = (k: keyof PeopleGroups) => str(v[k] ?? DEFAULT_PEOPLE_GROUPS[k], `${at}.${k}`, issues, { pattern: GROUP_NAME, hint: "a group name of letters, digits and _+=,.@- (at most 128)" }) ?? DEFAULT_PEOPLE_GROUPS[k];
    const people = { analystGroup: group("analystGroup"), adminGroup: group("adminGroup") };
    if (people.analystGroup === people.adminGroup) issues.add(`${at}.adminGroup`, `is the same group as analystGroup ('${people.adminGroup}')`, "give admins their own group");
    return people;
}

function parseSaml(value: unknown, at: string, issues: Issues): SamlSignIn | undefined {
    if (!isRecord(value)) {
        issues.add(at, `must be an object, got ${describe(value)}`, "give {entityId, metadataUrl} or {entityId, metadataFile}");
        return undefined;
    }
    unknownKeys(value, at, ["entityId", "metadataUrl", "metadataFile", "rolesKey", "subjectKey", "sessionTimeoutMinutes"], issues);
    const entityId = str(value.entityId, `${at}.entityId`, issues, { pattern: /^\S{1,512}$/, hint: "the IdP's entity id (the entityID attribute of its metadata)" });
    if ((value.metadataUrl === undefined) === (value.metadataFile === undefined)) {
        issues.add(at, value.metadataUrl === undefined ? "has neither metadataUrl nor metadataFile" : "has both metadataUrl and metadataFile", "give exactly one: metadataUrl (https://…, fetched by pulumi up) or metadataFile (a path in this repo)");
    }
    const metadataUrl = value.metadataUrl === undefined ? undefined : str(value.metadataUrl, `${at}.metadataUrl`, issues, { pattern: /^https:\/\/\S+$/, hint: "an https:// URL of the IdP metadata XML" });
    const metadataFile = value.metadataFile === undefined ? undefined : str(value.metadataFile, `${at}.metadataFile`, issues, { pattern: /\.xml$/, hint: "a path to the IdP metadata .xml file" });
    const rolesKey = str(value.rolesKey ?? "Role", `${at}.rolesKey`, issues, { pattern: /^\S{1,256}$/, hint: "the SAML attribute that carries the user's groups" }) ?? "Role";
    const subjectKey = value.subjectKey === undefined ? undefined : str(value.subjectKey, `${at}.subjectKey`, issues, { pattern: /^\S{1,256}$/, hint: "the SAML attribute that carries the user name" });
    const sessionTimeoutMinutes = num(value.sessionTimeoutMinutes ?? 60, `${at}.sessionTimeoutMinutes`, issues, { min: 1, max: 1440, integer: true, hint: "Dashboards session length" }) ?? 60;
    return entityId ? { entityId, metadataUrl, metadataFile, rolesKey, subjectKey, sessionTimeoutMinutes } : undefined;
}

export function parseLogs(value: unknown, homeRegion: string, organization: boolean, issues: Issues): LogsConfig {
    const at = "guardpost:logs";
    const v = object(value, at, issues);
    unknownKeys(v, at, ["geoipDatabasePath", "geoipAsnDatabasePath", "trailRegion", "organizationTrail", "retentionDays", "firehoseRetrySeconds", "shipperReservedConcurrency", "relayReservedConcurrency"], issues);
    const organizationTrail = bool(v.organizationTrail, `${at}.organizationTrail`, issues, false);
    if (organizationTrail && !organization) issues.add(`${at}.organizationTrail`, "is true but guardpost:organization is false", "set guardpost:organization: true, or use per-account trails");
    return {
        geoipDatabasePath: str(v.geoipDatabasePath ?? "geoip/GeoLite2-City.mmdb", `${at}.geoipDatabasePath`, issues, { pattern: /\.mmdb$/, hint: "a path to a GeoLite2-City .mmdb file (see the README)" }) ?? "",
        geoipAsnDatabasePath: v.geoipAsnDatabasePath === undefined ? undefined : str(v.geoipAsnDatabasePath, `${at}.geoipAsnDatabasePath`, issues, { pattern: /\.mmdb$/, hint: "a path to a GeoLite2-ASN .mmdb file" }),
        trailRegion: region(v.trailRegion ?? homeRegion, `${at}.trailRegion`, issues) ?? homeRegion,
        organizationTrail,
        retentionDays: num(v.retentionDays ?? 90, `${at}.retentionDays`, issues, { min: 1, max: 3653, integer: true, hint: "days to keep raw logs in S3 and CloudWatch" }) ?? 90,
        firehoseRetrySeconds: num(v.firehoseRetrySeconds ?? 300, `${at}.firehoseRetrySeconds`, issues, { min: 0, max: 7200, integer: true, hint: "Firehose's OpenSearch retry duration, 0–7200" }) ?? 300,
        shipperReservedConcurrency: num(v.shipperReservedConcurrency ?? DEFAULT_SHIPPER_RESERVED, `${at}.shipperReservedConcurrency`, issues, { min: 0, max: 1000, integer: true, hint: "concurrent executions reserved for (and capping) the CloudTrail shipper, 0 for none" }) ?? DEFAULT_SHIPPER_RESERVED,
        relayReservedConcurrency: num(v.relayReservedConcurrency ?? DEFAULT_RELAY_RESERVED, `${at}.relayReservedConcurrency`, issues, { min: 0, max: 1000, integer: true, hint: "concurrent executions reserved for (and capping) the log relay in each relaying region, 0 for none" }) ?? DEFAULT_RELAY_RESERVED,
    };
}
