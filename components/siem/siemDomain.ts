import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AnomalyDetector } from "./dynamic/anomalyDetector";
import { AuditConfig } from "./dynamic/auditConfig";
import { DashboardsObject } from "./dynamic/dashboards";
import { IndexBootstrap } from "./dynamic/indexBootstrap";
import { IndexTemplate } from "./dynamic/indexTemplate";
import { IsmPolicy } from "./dynamic/ismPolicy";
import type { RetryOptions } from "./dynamic/opensearchClient";
import { OpenSearchRole } from "./dynamic/role";
import { OpenSearchRoleMapping } from "./dynamic/roleMapping";
import { cloudtrailDetector, cloudtrailVisualizations, indexPatterns, SavedObject } from "./siemDashboards";
import { kindDashboard, kindVisualizations } from "./siemDashboardsByKind";
import { fgacBackendRoles,
    clusterSettings, DEFAULT_RETENTION_DAYS, domainAccessPolicy, engineMinor, LOG_TYPES,
    requireRoleArn, siemKeyPolicy, SiemSizing, TLS_POLICY, validateCidrs, validateDomainName, validateRetention, validateSizing,
} from "./siemPolicies";
import {
    auditSettings, CLOUDTRAIL_BOOTSTRAP_DOCUMENT, indexTemplate, ISM_POLICY_ID, LOG_KINDS, retentionPolicy, TIME_FIELD, WRITER_ROLE, writerRole,
} from "./siemTemplates";
import { partitionOf } from "../../model/partition";
import { domainAlarms, SHARED_LOG_POLICY_NAME, sharedLogResourcePolicy } from "./siemAlarms";
import { detectionResources } from "./siemDetectionResources";
import { ADMIN_BUILT_IN_ROLES, ANALYST_BUILT_IN_ROLES, ANALYST_ROLE, analystRole } from "./siemPeople";
import { cognitoSignIn, CognitoSignIn, samlSignIn, SamlSignInResult } from "./siemSignIn";
import { cognitoRoleMapping } from "./siemRoleMapping";
import type { PeopleGroups, SamlSignIn } from "../../model/siemAccess";
import { sizingIssues, type IndexPeriod } from "../../model/siemSizing";

export interface SiemDomainArgs {
    /** Domain name (3–28: lower-case letters, digits, '-'); default: the component name. */
    domainName?: string;
    /** OpenSearch 2.x engine, e.g. `OpenSearch_2.13`. From 2.7 CloudTrail's type-unstable fields are `flat_object`. */
    engineVersion: string;
    /** Data nodes, dedicated masters, zone awareness and gp3 storage (dev small, prod highly available). */
    sizing: SiemSizing;
    /** Days every log record is kept at least (ISM deletes an index once its newest record is this old). Default 90. */
    retentionDays?: number;
    /**
     * How the log indices are cut: one per `period` (default `month`; the writers must use the same — LogPipeline's
     * `indexPeriod`), with `primaryShards` (default 1) and `replicas` (default 0 on one data node, else 1). The
     * steady-state shard count this gives must fit the data nodes (model/siemSizing.ts), or construction fails.
     */
    indices?: { period?: IndexPeriod; primaryShards?: number; replicas?: number };
    /** IAM role of the people who use Dashboards; mapped to all_access + security_manager (merged, not owned). */
    adminRoleArn: string;
    /**
     * Every log writer role of every account (CloudTrail shipper, Firehose roles). They get the domain
     * policy's write verbs and the FGAC role `guardpost_log_writer` — never all_access.
     */
    writerRoleArns: pulumi.Input<string>[];
    /**
     * More writer roles, as whole lists resolved later: the `siemWriterRoleArns` outputs of the account
     * stacks when the estate is split (estate.ts). Admitted exactly like `writerRoleArns`.
     */
    writerRoleArnLists?: pulumi.Input<string[]>[];
    /** Optional IP allow-list (CIDRs) for the admin role, i.e. for Dashboards users. */
    allowedCidrs?: string[];
    /**
     * Role that runs `pulumi up` in this account. It is the FGAC master user (so AWS maps it to all_access
     * and security_manager before anything else runs) and the role the dynamic providers assume to sign.
     */
    deployerRoleArn: string;
    /** The 12-digit id of the security account the domain lives in (its provider's account). */
    accountId: string;
    /** Region of the domain and everything around it; also the SigV4 signing region. */
    region: string;
    /** Days to keep the domain's own logs (audit, slow, error) in CloudWatch. Default 365. */
    domainLogRetentionDays?: number;
    /** Backoff bounds for the dynamic providers while the domain is processing; defaults suit a real domain. */
    providerRetry?: RetryOptions;
    /**
     * The security account's alert topic (home region). Given, the domain's health alarms notify it, and the
     * detections — Security Analytics detectors, Alerting monitors — send to it through an SNS notification channel.
     */
    alarmTopicArn?: pulumi.Input<string>;
    /**
     * Where the detections are published instead of `alarmTopicArn`: AlertFanout's SIEM detections topic
     * (`siemTopicArn`), whose subscribers are the alert e-mail addresses and the Telegram function. Alarms stay on
     * `alarmTopicArn` (e-mail). Used only with `alarmTopicArn`.
     */
    detectionTopicArn?: pulumi.Input<string>;
    /** Stage name shown in alarm descriptions and Cognito names. */
    stage?: string;
    /**
     * Sign-in for people: the Cognito / SAML groups of analysts and admins. Given, people sign in through Amazon
     * Cognito (user pool with MFA, hosted domain `cognitoDomainPrefix`) — or SAML when `saml` is set — and FGAC
     * maps the groups (analysts → guardpost_analyst + read roles, admins → all_access + security_manager).
     */
    people?: PeopleGroups;
    /** SAML instead of Cognito (needs `allowedCidrs`). */
    saml?: SamlSignIn;
    /** Prefix of the Cognito hosted sign-in domain. Default `guardpost-<stage>-<accountId>`. */
    cognitoDomainPrefix?: string;
}

export const SIEM_DOMAIN_TYPE = "guardpost:siem:SiemDomain";

/** The index layout with its defaults filled in: replicas follow the node count. */
export function indexLayout(args: Pick<SiemDomainArgs, "indices" | "sizing">): { period: IndexPeriod; primaryShards: number; replicas: number } {
    return {
        period: args.indices?.period ?? "month",
        primaryShards: args.indices?.primaryShards ?? 1,
        replicas: args.indices?.replicas ?? (args.sizing.instanceCount > 1 ? 1 : 0),
    };
}

/** Throws on arguments that would deploy a weaker or broken domain; runs before anything is registered. */
export function validateSiemArgs(name: string, args: SiemDomainArgs): void {
    validateDomainName(args.domainName ?? name);
    if (!/^\d{12}$/.test(args.accountId ?? "")) throw new Error(`SiemDomain: accountId must be a 12-digit account id, got '${args.accountId}'`);
    partitionOf(args.region);
    engineMinor(args.engineVersion);
    validateSizing(args.sizing);
    validateRetention(args.retentionDays ?? DEFAULT_RETENTION_DAYS);
    const layout = indexLayout(args);
    const sizing = sizingIssues({ retentionDays: args.retentionDays ?? DEFAULT_RETENTION_DAYS, indexPeriod: layout.period, primaryShards: layout.primaryShards,
        replicas: layout.replicas, dataNodes: args.sizing.instanceCount, instanceType: args.sizing.instanceType }, "args");
    if (sizing.length > 0) throw new Error(`SiemDomain: ${sizing.map(i => `${i.key}: ${i.problem}; ${i.fix}`).join(" | ")}`);
    requireRoleArn("adminRoleArn", args.adminRoleArn);
    requireRoleArn("deployerRoleArn", args.deployerRoleArn);
    if (!Array.isArray(args.writerRoleArns)) throw new Error("SiemDomain: writerRoleArns must be a list (it may be empty)");
    args.writerRoleArns.forEach((a, i) => { if (typeof a === "string") requireRoleArn(`writerRoleArns[${i}]`, a); });
    validateCidrs(args.allowedCidrs ?? []);
    if (args.saml && !args.allowedCidrs?.length) throw new Error("SiemDomain: SAML sign-in needs allowedCidrs (browsers reach the domain unsigned; the access policy admits them by source address)");
}

/**
 * The SIEM: one OpenSearch domain that receives every account's security logs, secure by default
 * and completely configured by `pulumi up`.
 *
 * Order on a fresh domain (for the README): sign-in (Cognito pools and group roles) → domain (then, beside what
 * follows, the identity pool's roles and the role mapping of the app client the domain added) → access policy
 * → (FGAC) audit logging, admin and analyst mappings, index templates and the ISM policy → the writer role
 * mapping (so no writer can create an index before its template and retention policy exist) and this period's
 * `cloudtrail-` index bootstrapped from its template, with one marker document (`eventName:
 * GuardpostSiemBootstrap`) when no CloudTrail document exists yet, because the anomaly-detection plugin
 * refuses to create a detector over indices without documents → Dashboards index patterns, visualizations and
 * one dashboard per log type → the anomaly detector, created and started → the notification channel,
 * Security Analytics detectors and Alerting monitors. The marker document is deleted with the stack, or by
 * ISM with its index. Health alarms and the shared log resource policy sit beside the domain.
 */
export class SiemDomain extends pulumi.ComponentResource {
    /** `https://` URL of the domain's REST endpoint (what shippers get as OPENSEARCH_ENDPOINT). */
    declare readonly endpoint: pulumi.Output<string>;
    declare readonly dashboardsUrl: pulumi.Output<string>;
    declare readonly domainArn: pulumi.Output<string>;
    declare readonly domainName: pulumi.Output<string>;
    /** FGAC role mappings the writer roles are in (`guardpost_log_writer`). */
    declare readonly writerRoleMappingNames: pulumi.Output<string[]>;
    declare readonly kmsKeyArn: pulumi.Output<string>;
    /** The Cognito hosted sign-in domain (or a note for SAML / no sign-in). */
    declare readonly signInUrl: pulumi.Output<string>;

    constructor(name: string, args: SiemDomainArgs, opts?: pulumi.ComponentResourceOptions) {
        validateSiemArgs(name, args);
        super(SIEM_DOMAIN_TYPE, name, {}, opts);
        // Plain locals only below: apply callbacks must not capture `this` or `args`.
        const domainName = args.domainName ?? name;
        const minor = engineMinor(args.engineVersion);
        const retentionDays = args.retentionDays ?? DEFAULT_RETENTION_DAYS;
        const layout = indexLayout(args);
        const adminRoleArn = args.adminRoleArn;
        const deployerRoleArn = args.deployerRoleArn;
        const allowedCidrs = args.allowedCidrs ?? [];
        const writerRoleArns = pulumi.all([pulumi.all(args.writerRoleArns), pulumi.all(args.writerRoleArnLists ?? [])])
            .apply(([own, lists]) => [...own, ...lists.flat()]);
        const parent = { parent: this };

        // From arguments, not invokes: the offline plan has no AWS to ask.
        const account = args.accountId;
        const region = args.region;
        const partition = partitionOf(region);
        const logGroupPrefix = `/aws/opensearch/${domainName}/`;

        const key = new aws.kms.Key(`${name}-key`, {
            region,
            description: `guardpost SIEM ${domainName}: domain storage and its CloudWatch log groups`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: JSON.stringify(siemKeyPolicy({ partition, account, region, logGroupPrefix })),
        }, parent);
        new aws.kms.Alias(`${name}-key-alias`, { region, name: `alias/guardpost-siem-${domainName}`, targetKeyId: key.keyId }, parent);

        const logGroups = LOG_TYPES.map(logType => new aws.cloudwatch.LogGroup(`${name}-${logType.toLowerCase().replace(/_/g, "-")}`, {
            region,
            name: `${logGroupPrefix}${logType.toLowerCase()}`,
            retentionInDays: args.domainLogRetentionDays ?? 365,
            kmsKeyId: key.arn,
        }, parent));
        const logPolicy = new aws.cloudwatch.LogResourcePolicy(`${name}-logs`, {
            region,
            policyName: SHARED_LOG_POLICY_NAME,
            policyDocument: JSON.stringify(sharedLogResourcePolicy({ partition, region, account })),
        }, parent);

        const { clusterConfig, ebsOptions } = clusterSettings(args.sizing);
        const cognito: CognitoSignIn | undefined = args.people && !args.saml
            ? cognitoSignIn(name, { region, partition, account, stage: args.stage ?? "dev", domainPrefix: args.cognitoDomainPrefix ?? `guardpost-${args.stage ?? "dev"}-${account}`, groups: args.people }, this)
            : undefined;
        const domain = new aws.opensearch.Domain(`${name}-domain`, {
            region,
            domainName,
            engineVersion: args.engineVersion,
            clusterConfig,
            ebsOptions,
            encryptAtRest: { enabled: true, kmsKeyId: key.arn },
            nodeToNodeEncryption: { enabled: true },
            domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: TLS_POLICY },
            advancedSecurityOptions: {
                enabled: true,
                anonymousAuthEnabled: false,
                // IAM master role: no internal user database, so no master password in config or state.
                internalUserDatabaseEnabled: false,
                masterUserOptions: { masterUserArn: deployerRoleArn },
            },
            logPublishingOptions: LOG_TYPES.map((logType, i) => ({ logType, cloudwatchLogGroupArn: logGroups[i].arn, enabled: true })),
            advancedOptions: { "rest.action.multi.allow_explicit_index": "true" },
            softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
            ...(cognito ? { cognitoOptions: { enabled: true, userPoolId: cognito.userPoolId, identityPoolId: cognito.identityPoolId, roleArn: cognito.serviceRoleArn } } : {}),
        }, { ...parent, dependsOn: [logPolicy, ...(cognito?.ready ?? [])] });
        if (cognito) {
            cognitoRoleMapping(name, { region, userPoolId: cognito.userPoolId, userPoolEndpoint: cognito.userPoolEndpoint, identityPoolId: cognito.identityPoolId,
                authenticatedRoleArn: cognito.signedInRoleArn, domain }, this);
        }
        const saml: SamlSignInResult | undefined = args.people && args.saml
            ? samlSignIn(name, { region, domainName: domain.domainName, saml: args.saml, groups: args.people }, parent)
            : undefined;
        const people = cognito ?? saml;
        const peopleRoleArns = cognito ? pulumi.all([cognito.analystBackendRole, cognito.adminBackendRole]) : pulumi.output([] as string[]);
        const samlBrowsers = saml !== undefined;

        const accessPolicy = new aws.opensearch.DomainPolicy(`${name}-access`, {
            region,
            domainName: domain.domainName,
            accessPolicies: pulumi.all([domain.arn, writerRoleArns, peopleRoleArns]).apply(([arn, writers, peopleArns]) =>
                JSON.stringify(domainAccessPolicy({ domainArn: arn, adminRoleArn, deployerRoleArn, writerRoleArns: writers, allowedCidrs, peopleRoleArns: peopleArns, samlBrowsers }))),
        }, parent);

        // Everything below talks to the domain itself, signed as the deployer role (the master user).
        const conn = { endpoint: domain.endpoint, region, roleArn: deployerRoleArn, retry: args.providerRetry };
        const afterPolicy = { ...parent, dependsOn: [accessPolicy] };

        // Audit logs take two steps: the domain publishes AUDIT_LOGS (above), the security plugin must log.
        new AuditConfig(`${name}-audit`, { ...conn, settings: auditSettings() }, afterPolicy);
        for (const builtIn of ADMIN_BUILT_IN_ROLES) {
            new OpenSearchRoleMapping(`${name}-admin-${builtIn.replace(/_/g, "-")}`, {
                ...conn, role: builtIn, mode: "merge",
                backendRoles: people ? pulumi.all([adminRoleArn, people.adminBackendRole]).apply(fgacBackendRoles) : fgacBackendRoles([adminRoleArn]),
            }, afterPolicy);
        }
        if (people) {
            // Analysts: read the logs; see dashboards, alerts, anomalies and findings; change nothing.
            const analyst = new OpenSearchRole(`${name}-analyst-role`, { ...conn, name: ANALYST_ROLE, ...analystRole(),
                description: "guardpost analysts: read and search the security-log indices" }, afterPolicy);
            new OpenSearchRoleMapping(`${name}-analyst-mapping`, { ...conn, role: ANALYST_ROLE, mode: "own", backendRoles: pulumi.output(people.analystBackendRole).apply(a => fgacBackendRoles([a])),
                description: "guardpost analyst group" }, { ...parent, dependsOn: [analyst] });
            for (const builtIn of ANALYST_BUILT_IN_ROLES) {
                new OpenSearchRoleMapping(`${name}-analyst-${builtIn.replace(/_/g, "-")}`, { ...conn, role: builtIn, mode: "merge", backendRoles: pulumi.output(people.analystBackendRole).apply(a => fgacBackendRoles([a])) }, afterPolicy);
            }
        }

        const templates = LOG_KINDS.map(kind => new IndexTemplate(`${name}-template-${kind}`, {
            ...conn, name: `guardpost-${kind}`, body: indexTemplate(kind, minor, layout),
            existingIndexSettings: { number_of_replicas: layout.replicas },
        }, afterPolicy));
        const ism = new IsmPolicy(`${name}-retention`, { ...conn, policyId: ISM_POLICY_ID, policy: retentionPolicy(retentionDays, layout.period) }, afterPolicy);

        // Writers are let in only after the templates and the retention policy exist: a shipper or Firehose
        // stream that wrote first would create today's index with guessed mappings and no ISM policy, and
        // both stick to that index. Until then FGAC refuses them and their records wait in their S3/SQS parking.
        const role = new OpenSearchRole(`${name}-writer-role`, { ...conn, name: WRITER_ROLE, ...writerRole(),
            description: "guardpost log writers: bulk-write and create the daily log indices, nothing else" }, afterPolicy);
        const writerMapping = new OpenSearchRoleMapping(`${name}-writer-mapping`, {
            ...conn, role: WRITER_ROLE, mode: "own",
            backendRoles: writerRoleArns.apply(arns => fgacBackendRoles(arns.map((a, i) => requireRoleArn(`writerRoleArns[${i}]`, a)))),
            description: "guardpost log writer roles of every account",
        }, { ...parent, dependsOn: [role, ...templates, ism] });
        const bootstrap = new IndexBootstrap(`${name}-bootstrap-cloudtrail`, {
            ...conn, indexPrefix: "cloudtrail", indexPeriod: layout.period, timeField: TIME_FIELD.cloudtrail, document: CLOUDTRAIL_BOOTSTRAP_DOCUMENT,
        }, { ...parent, dependsOn: [...templates, ism] });

        // The global tenant, which every signed-in person sees (Dashboards multi-tenancy is on by default on AWS).
        const saved = (o: SavedObject, dependsOn: pulumi.Resource[]) => new DashboardsObject(`${name}-${o.objectType}-${o.objectId}`, {
            ...conn, objectType: o.objectType, objectId: o.objectId, attributes: o.attributes, references: o.references, tenant: "global",
        }, { ...parent, dependsOn: [accessPolicy, ...dependsOn] });
        const patterns = indexPatterns().map(o => saved(o, []));
        for (const kind of LOG_KINDS) {
            const vis = [...(kind === "cloudtrail" ? cloudtrailVisualizations() : []), ...kindVisualizations(kind)];
            saved(kindDashboard(kind, vis.map(v => v.objectId)), vis.map(o => saved(o, patterns)));
        }

        const detector = new AnomalyDetector(`${name}-detector-cloudtrail`, { ...conn, detector: cloudtrailDetector(), start: true }, { ...parent, dependsOn: [bootstrap] });
        if (args.alarmTopicArn) {
            detectionResources(name, { conn, parent: this, account, region, topicArn: args.detectionTopicArn ?? args.alarmTopicArn, period: layout.period,
                dashboardsUrl: pulumi.interpolate`https://${domain.dashboardEndpoint}`,
                anomalyDetectorId: detector.detectorId, after: [accessPolicy, ...templates, ism], bootstraps: { cloudtrail: bootstrap } });
        }

        if (args.alarmTopicArn) {
            domainAlarms(name, { domainName: domain.domainName, accountId: account, region, dataNodes: args.sizing.instanceCount,
                dedicatedMasters: args.sizing.dedicatedMasterType ? args.sizing.dedicatedMasterCount ?? 3 : 0,
                volumeSizeGiB: args.sizing.volumeSizeGiB, topicArn: args.alarmTopicArn, stage: args.stage ?? "" }, parent);
        }

        this.endpoint = pulumi.interpolate`https://${domain.endpoint}`;
        this.dashboardsUrl = pulumi.interpolate`https://${domain.dashboardEndpoint}`;
        this.domainArn = domain.arn;
        this.domainName = domain.domainName;
        this.writerRoleMappingNames = writerMapping.role.apply(r => [r]);
        this.kmsKeyArn = key.arn;
        this.signInUrl = cognito ? cognito.signInDomain : pulumi.output(saml ? "SAML: sign in at the Dashboards URL through your IdP" : "none");
        this.registerOutputs({
            endpoint: this.endpoint, dashboardsUrl: this.dashboardsUrl, domainArn: this.domainArn,
            writerRoleMappingNames: this.writerRoleMappingNames, kmsKeyArn: this.kmsKeyArn,
        });
    }
}

