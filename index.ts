/**
 * Composition root: config → providers → components → outputs. Logic lives in components/ and functions/.
 */
import "./leanPulumi";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, wafRegion } from "./config";
import { Providers } from "./providers";
import { detectionMode, recordsGlobalResources, requireDeployFile, shipsSecurityHubFindings, trailFor } from "./wiring";
import { DetectionBaseline, laterResources } from "./components/detection/detectionBaseline";
import { AlertFanout } from "./components/alerting/alertFanout";
import { LogPipeline } from "./components/logging/logPipeline";
import { SiemDomain } from "./components/siem/siemDomain";
import { accountStackWriterRoleArns, coreSiem, deployedPlacements, siemDomainName } from "./estate";

const cfg = parseConfig(pulumi.runtime.allConfig());
const stack = pulumi.getStack();
const providers = new Providers(stack);
const botToken = cfg.alerts.telegramChatId ? new pulumi.Config("guardpost").requireSecret("telegramBotToken") : undefined;
const geoipDatabasePath = requireDeployFile(cfg.logs.geoipDatabasePath, "guardpost:logs.geoipDatabasePath");
const geoipAsnDatabasePath = cfg.logs.geoipAsnDatabasePath && requireDeployFile(cfg.logs.geoipAsnDatabasePath, "guardpost:logs.geoipAsnDatabasePath");

// Organization order, per region: the admin enables its own services → the management account delegates
// admin to it → the admin configures the organization. Delegating first would make AWS enable them itself
// ("already exists"). Management comes first in `placements`, so it waits on a promise the admin fulfils.
// With the estate split over stacks (guardpost:estate), only this stack's accounts; else all of them.
const placements = deployedPlacements(cfg);
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
        findingPublishingFrequency: cfg.detection.findingPublishingFrequency,
        protections: cfg.detection.protections,
        trustedIpLists: cfg.detection.trustedIpLists,
        threatIntelSets: cfg.detection.threatIntelSets,
        detective: cfg.detection.detective,
        securityHub: cfg.detection.securityHub,
        awsConfig: { enabled: cfg.detection.awsConfig.enabled, includeGlobalResourceTypes: recordsGlobalResources(cfg, account, region) },
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
for (const { account, region } of placements) {
    const fanout = new AlertFanout(`${account.name}-${region}`, {
        accountId: account.id,
        region,
        stage: cfg.stage,
        minSeverity: cfg.alerts.minSeverity,
        emails: cfg.alerts.emails,
        telegram: cfg.alerts.telegramChatId && botToken ? { chatId: cfg.alerts.telegramChatId, botToken } : undefined,
        repeat: cfg.alerts.repeat,
        quietMinutes: cfg.alerts.quietMinutes,
    }, { provider: providers.forAccount(account) });
    (alerting[account.name] ??= {})[region] = fanout.topicArn;
}

// Writers come before the domain and reach it only through these deferred outputs, so the domain's
// access policy can name every writer role without a dependency cycle.
const [domainArn, resolveDomainArn] = pulumi.deferredOutput<string>();
const [domainEndpoint, resolveDomainEndpoint] = pulumi.deferredOutput<string>();
const writerRoleArns: pulumi.Output<string>[] = [];
const logging: Record<string, Record<string, pulumi.Output<string[]>>> = {};
for (const { account, region } of placements) {
    const pipeline = new LogPipeline(`${account.name}-${region}`, {
        stage: cfg.stage,
        accountId: account.id,
        region,
        trail: trailFor(cfg, account, region),
        domainArn,
        domainEndpoint,
        geoipDatabasePath,
        geoipAsnDatabasePath: geoipAsnDatabasePath || undefined,
        vpcFlowLogVpcIds: account.logs.vpcFlowLogs[region] ?? [],
        dnsQueryLogVpcIds: account.logs.dnsQueryLogs[region] ?? [],
        wafWebAclArns: account.logs.wafWebAclArns.filter(arn => wafRegion(arn) === region),
        securityHubFindings: shipsSecurityHubFindings(cfg, account, region),
        retentionDays: cfg.logs.retentionDays,
        firehoseRetrySeconds: cfg.logs.firehoseRetrySeconds,
        alarmTopicArn: alerting[account.name][region],
    }, { provider: providers.forAccount(account) });
    writerRoleArns.push(...pipeline.writerRoleArns);
    (logging[account.name] ??= {})[region] = pulumi.output(pipeline.enabledSources);
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
}, { provider: providers.forAccount(cfg.securityAccount) });
resolveDomainArn(siem ? siem.domainArn : pulumi.output(external!.domainArn));
resolveDomainEndpoint(siem ? siem.endpoint : pulumi.output(external!.endpoint));

export const stage = cfg.stage;
export const mode = cfg.organization ? "organization" : "standalone";
export const detectionByAccount = detection;
export const alertTopics = alerting;
export const logSources = logging;
export const siemEndpoint = siem ? siem.endpoint : external!.endpoint;
export const siemDashboardsUrl = siem ? siem.dashboardsUrl : "(served by the core stack)";
export const siemDomainArn = siem ? siem.domainArn : external!.domainArn;
/** This stack's log writer roles, which the core stack admits when the estate is split (estate.ts). */
export const siemWriterRoleArns = pulumi.all(writerRoleArns);
