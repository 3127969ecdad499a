/**
 * Composition root: config → providers → components → outputs. Logic lives in components/ and functions/.
 */
import "./leanPulumi";
import * as pulumi from "@pulumi/pulumi";
import { missingSecrets, parseConfig, wafRegion } from "./config";
import { Providers } from "./providers";
import { detectionMode, recordsGlobalResources, requireDeployFile, shipsSecurityHubFindings, trailFor } from "./wiring";
import {
    alertsOnFindings, archiveAccount, configDelegations, configSourceAccountIds, findingsExportAccountIds, linkedRegionsOf, organizationMembers,
    organizationPrerequisites,
} from "./wiring";
import { DetectionBaseline, laterResources } from "./components/detection/detectionBaseline";
import { AccountBaseline } from "./components/detection/accountBaseline";
import { SecurityArchive } from "./components/detection/securityArchive";
import { AlertFanout } from "./components/alerting/alertFanout";
import { LogPipeline } from "./components/logging/logPipeline";
import { SiemDomain } from "./components/siem/siemDomain";
import {
    accountStackWriterRoleArns, ArchiveRef, coreArchive, coreSiem, deployedPlacements, estateAccounts, hostsSiem, receivesSiemDetections, siemDomainName,
} from "./estate";

const rawConfig = pulumi.runtime.allConfig();
const cfg = parseConfig(rawConfig);
const stack = pulumi.getStack();
const secretsMissing = missingSecrets(rawConfig, cfg, stack);
if (secretsMissing) throw secretsMissing;
const providers = new Providers(stack);
const botToken = cfg.alerts.telegramChatId ? new pulumi.Config("guardpost").requireSecret("telegramBotToken") : undefined;
const geoipDatabasePath = requireDeployFile(cfg.logs.geoipDatabasePath, "guardpost:logs.geoipDatabasePath");
const geoipAsnDatabasePath = cfg.logs.geoipAsnDatabasePath && requireDeployFile(cfg.logs.geoipAsnDatabasePath, "guardpost:logs.geoipAsnDatabasePath");

// Organization order, per region: the admin enables its own services → the management account delegates
// admin to it → the admin configures the organization. Delegating first would make AWS enable them itself
// ("already exists"). Management comes first in `placements`, so it waits on a promise the admin fulfils.
// With the estate split over stacks (guardpost:estate), only this stack's accounts; else all of them.
const placements = deployedPlacements(cfg);
// What names every account (archive policies, aggregator, organization members): the whole estate. In a
// core stack, its own accounts and those its account stacks deploy; anywhere else, this stack's.
const estate = estateAccounts(cfg);

// Once per account: Config's service-linked role; in the management account, the organization's trusted
// access and Config's delegated administrator, which organization features wait for.
const accountBaselines = new Map<string, AccountBaseline>();
for (const account of [...new Set(placements.map(p => p.account))]) {
    accountBaselines.set(account.name, new AccountBaseline(`${account.name}-account`, {
        accountId: account.id,
        partition: cfg.partition,
        configServiceLinkedRole: !cfg.detection.awsConfig.enabled || account.services.config.mode === "skip" ? "skip"
            : account.services.config.serviceLinkedRole ?? account.services.config.mode,
        trustedAccess: account.kind === "management" ? organizationPrerequisites(cfg) : undefined,
        delegatedAdministrators: account.kind === "management" ? configDelegations(cfg) : undefined,
    }, { provider: providers.forAccount(account) }));
}
const organizationReady = cfg.managementAccount ? accountBaselines.get(cfg.managementAccount.name)!.prerequisites : [];

// One archive for Config history and exported findings, in the archive account's home region; declared
// by the stack that hosts the SIEM, and named to an accounts stack by its config (estate.ts).
const configSources = configSourceAccountIds(cfg, estate);
const exporters = findingsExportAccountIds(cfg, estate);
const archive: ArchiveRef | undefined = !hostsSiem(cfg) ? coreArchive(cfg) : configSources.length + exporters.length > 0
    ? new SecurityArchive(`archive-${cfg.stage}`, {
        accountId: archiveAccount(cfg).id,
        region: cfg.homeRegion,
        partition: cfg.partition,
        configSourceAccountIds: configSources,
        findingsExportAccountIds: exporters,
        retentionDays: cfg.detection.awsConfig.archiveRetentionDays,
    }, { provider: providers.forAccount(archiveAccount(cfg)) })
    : undefined;
const adminEnablement = new Map<string, ReturnType<typeof laterResources>>();
const delegationsByRegion = new Map<string, pulumi.Resource[]>();

const detection: Record<string, Record<string, pulumi.Output<unknown>>> = {};
for (const { account, region } of placements) {
    const mode = detectionMode(cfg, account);
    if (mode === "management") adminEnablement.set(region, laterResources());
    const baseline = new DetectionBaseline(`${account.name}-${region}`, {
        accountId: account.id,
        region,
        mode,
        adminAccountId: cfg.organization ? cfg.securityAccount.id : undefined,
        homeRegion: cfg.homeRegion,
        // The admin's aggregator links every region of the organization; a standalone account's, its own.
        linkedRegions: linkedRegionsOf(cfg, estate, account),
        services: account.services,
        findingPublishingFrequency: cfg.detection.findingPublishingFrequency,
        protections: cfg.detection.protections,
        trustedIpLists: cfg.detection.trustedIpLists,
        threatIntelSets: cfg.detection.threatIntelSets,
        detective: cfg.detection.detective,
        securityHub: cfg.detection.securityHub,
        awsConfig: { enabled: cfg.detection.awsConfig.enabled, includeGlobalResourceTypes: recordsGlobalResources(cfg, account, region) },
        configDelivery: archive && {
            bucketName: archive.bucketName, kmsKeyArn: archive.keyArn,
            roleArn: accountBaselines.get(account.name)!.configRoleArn,
            dependsOn: [...accountBaselines.get(account.name)!.configRole, ...archive.ready],
        },
        malwareProtectionS3Buckets: account.malwareProtectionS3Buckets[region],
        findingsExport: archive && exporters.includes(account.id) ? { bucketArn: archive.bucketArn, kmsKeyArn: archive.keyArn, dependsOn: archive.ready } : undefined,
        configAggregator: account.kind === "security" && region === cfg.homeRegion
            ? (cfg.organization ? { scope: "organization", accountIds: [], dependsOn: organizationReady } : { scope: "accounts", accountIds: estate.map(a => a.id) })
            : undefined,
        configAggregatorAuthorization: !cfg.organization && account.kind !== "security" ? { accountId: cfg.securityAccount.id, region: cfg.homeRegion } : undefined,
        organization: mode === "admin" ? {
            accounts: organizationMembers(estate),
            securityHubPolicyTargets: cfg.detection.securityHub.policyTargets,
        } : undefined,
        delegationDependsOn: mode === "management" ? adminEnablement.get(region)!.promise : undefined,
        organizationDependsOn: mode === "admin" ? delegationsByRegion.get(region) : undefined,
    }, { provider: providers.forAccount(account) });
    if (mode === "management") delegationsByRegion.set(region, baseline.delegations);
    if (mode === "admin") adminEnablement.get(region)?.resolve(baseline.enablement);
    (detection[account.name] ??= {})[region] = baseline.summary;
}
// A management region the admin does not operate in has nothing to wait for.
for (const pending of adminEnablement.values()) pending.resolve([]);

const alerting: Record<string, Record<string, pulumi.Output<string>>> = {};
let siemTopicArn: pulumi.Output<string | undefined> | undefined;
for (const { account, region } of placements) {
    const fanout = new AlertFanout(`${account.name}-${region}`, {
        accountId: account.id,
        region,
        stage: cfg.stage,
        minSeverity: cfg.alerts.minSeverity,
        emails: cfg.alerts.emails,
        telegram: cfg.alerts.telegramChatId && botToken ? { chatId: cfg.alerts.telegramChatId, botToken, reservedConcurrency: cfg.alerts.telegramReservedConcurrency } : undefined,
        repeat: cfg.alerts.repeat,
        quietMinutes: cfg.alerts.quietMinutes,
        // The second channel for delivery-failure alarms: topics in this region that do not depend on this fanout's topic.
        failureAlarm: { extraActions: cfg.alerts.failureTopicArns.filter((arn) => arn.split(":")[3] === region) },
        findingRules: alertsOnFindings(cfg, account),
        siemDetections: receivesSiemDetections(cfg, account, region),
    }, { provider: providers.forAccount(account) });
    (alerting[account.name] ??= {})[region] = fanout.topicArn;
    if (receivesSiemDetections(cfg, account, region)) siemTopicArn = fanout.siemTopicArn;
}

// Writers come before the domain and reach it only through these deferred outputs, so the domain's
// access policy can name every writer role without a dependency cycle.
const [domainArn, resolveDomainArn] = pulumi.deferredOutput<string>();
const [domainEndpoint, resolveDomainEndpoint] = pulumi.deferredOutput<string>();
const writerRoleArns: pulumi.Output<string>[] = [];
const logging: Record<string, Record<string, pulumi.Output<string[]>>> = {};
const parking: Record<string, Record<string, pulumi.Output<unknown>>> = {};
for (const { account, region } of placements) {
    const pipeline = new LogPipeline(`${account.name}-${region}`, {
        stage: cfg.stage,
        accountId: account.id,
        region,
        trail: trailFor(cfg, account, region),
        domainArn,
        domainEndpoint,
        domainRegion: cfg.homeRegion,
        geoipDatabasePath,
        geoipAsnDatabasePath: geoipAsnDatabasePath || undefined,
        vpcFlowLogVpcIds: account.logs.vpcFlowLogs[region] ?? [],
        dnsQueryLogVpcIds: account.logs.dnsQueryLogs[region] ?? [],
        wafWebAclArns: account.logs.wafWebAclArns.filter(arn => wafRegion(arn) === region),
        securityHubFindings: shipsSecurityHubFindings(cfg, account, region),
        retentionDays: cfg.logs.retentionDays,
        firehoseRetrySeconds: cfg.logs.firehoseRetrySeconds,
        shipperReservedConcurrency: cfg.logs.shipperReservedConcurrency,
        relayReservedConcurrency: cfg.logs.relayReservedConcurrency,
        alarmTopicArn: alerting[account.name][region],
        indexPeriod: cfg.siem.indexPeriod,
    }, {
        provider: providers.forAccount(account),
        // The organization trail needs CloudTrail's trusted access first (CloudTrailAccessNotEnabledException).
        transformations: trailFor(cfg, account, region) === "organization" ? [afterOrganizationReady] : undefined,
    });
    writerRoleArns.push(...pipeline.writerRoleArns);
    (logging[account.name] ??= {})[region] = pulumi.output(pipeline.enabledSources);
    (parking[account.name] ??= {})[region] = pipeline.parking;
}

function afterOrganizationReady(args: pulumi.ResourceTransformationArgs): pulumi.ResourceTransformationResult | undefined {
    if (args.type !== "aws:cloudtrail/trail:Trail") return undefined;
    return { props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: organizationReady }) };
}

// An accounts stack writes to the core stack's domain (estate.ts); every other stack declares it.
const external = coreSiem(cfg);
const siem = external ? undefined : new SiemDomain(siemDomainName(cfg.stage), {
    engineVersion: cfg.siem.engineVersion,
    sizing: {
        instanceType: cfg.siem.instanceType,
        instanceCount: cfg.siem.instanceCount,
        dedicatedMasterType: cfg.siem.dedicatedMasterCount > 0 ? cfg.siem.dedicatedMasterType : undefined,
        dedicatedMasterCount: cfg.siem.dedicatedMasterCount > 0 ? cfg.siem.dedicatedMasterCount : undefined,
        availabilityZones: (cfg.siem.zoneAwareness ? cfg.siem.availabilityZoneCount : 1) as 1 | 2 | 3,
        volumeSizeGiB: cfg.siem.volumeSizeGb,
    },
    retentionDays: cfg.siem.retentionDays,
    adminRoleArn: cfg.siem.adminRoleArn,
    deployerRoleArn: cfg.securityAccount.roleArn,
    accountId: cfg.securityAccount.id,
    region: cfg.homeRegion,
    writerRoleArns,
    writerRoleArnLists: accountStackWriterRoleArns(cfg),
    allowedCidrs: cfg.siem.allowedCidrs,
    indices: { period: cfg.siem.indexPeriod, primaryShards: cfg.siem.primaryShards, replicas: cfg.siem.replicas },
    alarmTopicArn: alerting[cfg.securityAccount.name][cfg.homeRegion],
    detectionTopicArn: siemTopicArn?.apply(arn => arn!),
    stage: cfg.stage,
    people: cfg.siem.people,
    saml: cfg.siem.saml,
    cognitoDomainPrefix: cfg.siem.cognitoDomainPrefix,
}, { provider: providers.forAccount(cfg.securityAccount) });
resolveDomainArn(siem ? siem.domainArn : pulumi.output(external!.domainArn));
resolveDomainEndpoint(siem ? siem.endpoint : pulumi.output(external!.endpoint));

export const stage = cfg.stage;
export const mode = cfg.organization ? "organization" : "standalone";
export const detectionByAccount = detection;
export const alertTopics = alerting;
/** The SIEM detections topic (e-mail and Telegram subscribers), in the security account's home region. */
export const siemDetectionsTopic = siemTopicArn ?? "(served by the core stack)";
export const logSources = logging;
export const siemEndpoint = siem ? siem.endpoint : external!.endpoint;
export const siemDashboardsUrl = siem ? siem.dashboardsUrl : "(served by the core stack)";
export const siemDomainArn = siem ? siem.domainArn : external!.domainArn;
export const siemSignIn = siem ? siem.signInUrl : "(served by the core stack)";
/** Where failed log records wait, per account and region: what `npm run replay` reads. */
export const logParking = parking;
/** This stack's log writer roles, which the core stack admits when the estate is split (estate.ts). */
export const siemWriterRoleArns = pulumi.all(writerRoleArns);
/** The security archive, which an accounts stack's Config recorders deliver to when the estate is split. */
export const archiveBucket = archive && hostsSiem(cfg) ? archive.bucketName : "(declared by the core stack)";
export const archiveKeyArn = archive && hostsSiem(cfg) ? archive.keyArn : "(declared by the core stack)";
