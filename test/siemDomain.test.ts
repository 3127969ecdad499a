import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { MockedResource, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";
import { SiemDomain, SiemDomainArgs } from "../components/siem/siemDomain";
import { cloudtrailDetector, cloudtrailVisualizations } from "../components/siem/siemDashboards";
import { domainAccessPolicy, fgacBackendRoles } from "../components/siem/siemPolicies";
import { indexTemplate, LOG_KINDS } from "../components/siem/siemTemplates";

const ACCOUNT = "222222222222";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/security-admins`;
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:guardpost-alerts`;
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
const WRITERS = [
    "arn:aws:iam::333333333333:role/guardpost-cloudtrail-shipper",
    "arn:aws:iam::444444444444:role/guardpost-firehose-waf",
    "arn:aws:iam::333333333333:role/guardpost-cloudtrail-shipper",
];

const DEV_ARGS: SiemDomainArgs = {
    engineVersion: "OpenSearch_2.13",
    sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 },
    adminRoleArn: ADMIN, deployerRoleArn: DEPLOYER, writerRoleArns: WRITERS, accountId: ACCOUNT, region: "eu-west-1",
    retentionDays: 30, alarmTopicArn: TOPIC,
};

const PROD_ARGS: SiemDomainArgs = {
    engineVersion: "OpenSearch_2.13",
    sizing: { instanceType: "r6g.large.search", instanceCount: 3, availabilityZones: 3, dedicatedMasterType: "m6g.large.search",
        volumeSizeGiB: 200, iops: 6000, throughputMiBps: 250 },
    retentionDays: 365,
    adminRoleArn: ADMIN, deployerRoleArn: DEPLOYER, writerRoleArns: WRITERS, accountId: ACCOUNT, region: "eu-west-1",
    allowedCidrs: ["203.0.113.0/24", "2001:db8::/32"],
    alarmTopicArn: TOPIC,
};

async function deploy(args: SiemDomainArgs, name = "guardpost-siem", drainTimeoutSeconds?: number) {
    const { resources, outputs } = await runMocked(() => {
        const siem = new SiemDomain(name, args, { provider: testProvider(ACCOUNT, "eu-west-1") });
        // Stack outputs that depend on a failed registration never resolve; only return them when all should succeed.
        if (drainTimeoutSeconds !== undefined) return undefined;
        return { endpoint: siem.endpoint, dashboardsUrl: siem.dashboardsUrl, domainArn: siem.domainArn, mappings: siem.writerRoleMappingNames };
    }, { drainTimeoutSeconds });
    const one = (type: string) => { const r = resources.filter(x => x.type === type); expect(r, type).to.have.length(1); return r[0]; };
    const all = (type: string) => resources.filter(x => x.type === type);
    return { resources, outputs: outputs as any, one, all };
}

function principals(statement: any): string[] {
    const p = statement.Principal;
    return p === "*" ? ["*"] : [p.AWS ?? p.Service].flat();
}

describe("SiemDomain", () => {
    let dev: Awaited<ReturnType<typeof deploy>>;
    let prod: Awaited<ReturnType<typeof deploy>>;
    before(async function () {
        this.timeout(120_000);
        dev = await deploy(DEV_ARGS);
        prod = await deploy(PROD_ARGS);
    });

    it("encrypts at rest with its own rotating CMK and between nodes", () => {
        const domain = dev.one("aws:opensearch/domain:Domain").inputs;
        const key = dev.one("aws:kms/key:Key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        expect(domain.encryptAtRest).to.deep.equal({ enabled: true, kmsKeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/guardpost-siem-key-key-id` });
        expect(domain.nodeToNodeEncryption).to.deep.equal({ enabled: true });
        const keyPolicy = JSON.parse(key.inputs.policy);
        expect(keyPolicy.Statement.flatMap(principals)).to.deep.equal([`arn:aws:iam::${ACCOUNT}:root`, "logs.eu-west-1.amazonaws.com"]);
        expect(keyPolicy.Statement[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).to.equal(`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/opensearch/guardpost-siem/*`);
    });

    it("enforces HTTPS with the TLS 1.2+ PFS policy", () => {
        expect(dev.one("aws:opensearch/domain:Domain").inputs.domainEndpointOptions).to.deep.equal({ enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" });
    });

    it("enables fine-grained access control with the deployer role as IAM master and no internal user database", () => {
        const domain = dev.one("aws:opensearch/domain:Domain");
        expect(domain.inputs.advancedSecurityOptions).to.deep.equal({
            enabled: true, anonymousAuthEnabled: false, internalUserDatabaseEnabled: false, masterUserOptions: { masterUserArn: DEPLOYER },
        });
        expect(JSON.stringify(domain.inputs)).to.not.match(/masterUserPassword|masterUserName/);
        expect(domain.inputs.engineVersion).to.equal("OpenSearch_2.13");
    });

    it("allows es:ESHttp* only to named roles, never a public principal, with the IP condition on admins only", () => {
        for (const d of [dev, prod]) {
            const policy = JSON.parse(d.one("aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
            const all = policy.Statement.flatMap(principals);
            expect(all).to.not.include("*");
            for (const p of all) expect(p).to.match(/^arn:aws:iam::\d{12}:role\//);
            expect(policy.Statement.map((s: any) => s.Sid)).to.deep.equal(["Admins", "Deployer", "LogWriters"]);
            expect(principals(policy.Statement[2])).to.deep.equal([WRITERS[0], WRITERS[1]]);
            expect(policy.Statement[2].Action).to.not.include("es:ESHttpDelete");
            for (const s of policy.Statement) expect(s.Resource).to.equal(`arn:aws:es:eu-west-1:${ACCOUNT}:domain/guardpost-siem/*`);
        }
        const devPolicy = JSON.parse(dev.one("aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
        expect(devPolicy.Statement[0].Condition).to.equal(undefined);
        const prodPolicy = JSON.parse(prod.one("aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
        expect(prodPolicy.Statement[0].Condition).to.deep.equal({ IpAddress: { "aws:SourceIp": ["2001:db8::/32", "203.0.113.0/24"] } });
        expect(prodPolicy.Statement[1].Condition).to.equal(undefined);
    });

    it("publishes audit, index-slow, search-slow and error logs to encrypted log groups, under one shared resource policy for /aws/opensearch/*", () => {
        const domain = dev.one("aws:opensearch/domain:Domain").inputs;
        const groups = dev.all("aws:cloudwatch/logGroup:LogGroup");
        expect(groups.map(g => g.inputs.name)).to.deep.equal(["audit_logs", "index_slow_logs", "search_slow_logs", "es_application_logs"].map(t => `/aws/opensearch/guardpost-siem/${t}`));
        for (const g of groups) expect(g.inputs.kmsKeyId).to.match(/^arn:aws:kms:/);
        expect(domain.logPublishingOptions.map((o: any) => [o.logType, o.enabled, o.cloudwatchLogGroupArn])).to.deep.equal(
            ["AUDIT_LOGS", "INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS"].map((t, i) => [t, true, `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${groups[i].inputs.name}`]));
        const policy = dev.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy").inputs;
        // One per account and region, not per domain: CloudWatch Logs allows 10 resource policies per region.
        expect(policy.policyName).to.equal("guardpost-opensearch-logs");
        const logPolicy = JSON.parse(policy.policyDocument);
        expect(principals(logPolicy.Statement[0])).to.deep.equal(["es.amazonaws.com"]);
        expect(logPolicy.Statement[0].Resource).to.equal(`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/opensearch/*`);
        expect(logPolicy.Statement[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:es:eu-west-1:${ACCOUNT}:domain/*` } });
    });

    it("sets slow-log thresholds in every log template, so the published slow logs are not empty", () => {
        for (const t of dev.resources.filter(r => r.type.endsWith(":IndexTemplate"))) {
            const index = t.inputs.body.template.settings.index;
            expect(index.search.slowlog.threshold.query, t.name).to.deep.equal({ warn: "5s", info: "2s" });
            expect(index.indexing.slowlog.threshold.index, t.name).to.deep.equal({ warn: "10s", info: "5s" });
            expect(index.number_of_replicas, t.name).to.equal(0);
            expect(t.inputs.existingIndexSettings, t.name).to.deep.equal({ number_of_replicas: 0 });
        }
        for (const t of prod.resources.filter(r => r.type.endsWith(":IndexTemplate"))) expect(t.inputs.body.template.settings.index.number_of_replicas).to.equal(1);
    });

    it("alarms on the domain's health to the alert topic: every AWS-recommended alarm, yellow only with more than one node", () => {
        const alarms = (d: typeof dev) => d.all("aws:cloudwatch/metricAlarm:MetricAlarm").map(a => a.inputs);
        const byMetric = (d: typeof dev) => new Map(alarms(d).map(a => [a.metricName, a]));
        const prodAlarms = byMetric(prod);
        expect([...prodAlarms.keys()].sort()).to.deep.equal(["AutomatedSnapshotFailure", "CPUUtilization", "ClusterIndexWritesBlocked", "ClusterStatus.red", "ClusterStatus.yellow",
            "FreeStorageSpace", "JVMMemoryPressure", "KMSKeyError", "KMSKeyInaccessible",
            // prod has dedicated masters: their own recommended alarms.
            "MasterCPUUtilization", "MasterJVMMemoryPressure", "MasterReachableFromNode", "Nodes"]);
        expect([...byMetric(dev).keys()]).to.not.include("ClusterStatus.yellow");
        expect([...byMetric(dev).keys()]).to.not.include("MasterCPUUtilization");
        // 3 data nodes and 3 dedicated masters: fewer than 6 nodes for a day is a failed node.
        expect(prodAlarms.get("Nodes")).to.include({ statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: 6, period: 86400 });
        expect(prodAlarms.get("MasterReachableFromNode")).to.include({ comparisonOperator: "LessThanThreshold", threshold: 1 });
        expect(prodAlarms.get("CPUUtilization")).to.include({ threshold: 80, period: 900, evaluationPeriods: 3 });
        for (const a of [...alarms(dev), ...alarms(prod)]) {
            expect(a.namespace).to.equal("AWS/ES");
            expect(a.dimensions).to.deep.equal({ DomainName: "guardpost-siem", ClientId: ACCOUNT });
            expect(a.alarmActions).to.deep.equal([TOPIC]);
            expect(a.region).to.equal("eu-west-1");
            expect(a.alarmDescription).to.contain('README "SIEM alarms"');
        }
        // 20 % of the 200 GiB per node, in MiB (the metric's unit), of the fullest node.
        expect(prodAlarms.get("FreeStorageSpace")).to.include({ statistic: "Minimum", comparisonOperator: "LessThanOrEqualToThreshold", threshold: 40960 });
        expect(prodAlarms.get("ClusterStatus.red")).to.include({ statistic: "Maximum", threshold: 1, period: 60, evaluationPeriods: 1 });
        expect(prodAlarms.get("ClusterStatus.yellow")).to.include({ evaluationPeriods: 5 });
        expect(prodAlarms.get("JVMMemoryPressure")).to.include({ threshold: 95, evaluationPeriods: 3 });
        expect(prodAlarms.get("ClusterIndexWritesBlocked")).to.include({ period: 300 });
        expect(prodAlarms.get("KMSKeyInaccessible")).to.include({ treatMissingData: "notBreaching" });
    });

    it("leaves the writers' statement out while no writer role exists yet", () => {
        const policy = domainAccessPolicy({ domainArn: "arn:aws:es:eu-west-1:1:domain/d", adminRoleArn: ADMIN, deployerRoleArn: DEPLOYER, writerRoleArns: [] }) as any;
        expect(policy.Statement.map((s: any) => s.Sid)).to.deep.equal(["Admins", "Deployer"]);
    });

    it("sizes a dev stack small: one node, no masters, no zone awareness, gp3", () => {
        const d = dev.one("aws:opensearch/domain:Domain").inputs;
        expect(d.clusterConfig).to.deep.equal({ instanceType: "m6g.large.search", instanceCount: 1, dedicatedMasterEnabled: false, zoneAwarenessEnabled: false });
        expect(d.ebsOptions).to.deep.equal({ ebsEnabled: true, volumeType: "gp3", volumeSize: 20 });
    });

    it("sizes a prod stack highly available: three zones, three dedicated masters, provisioned gp3", () => {
        const d = prod.one("aws:opensearch/domain:Domain").inputs;
        expect(d.clusterConfig).to.deep.equal({
            instanceType: "r6g.large.search", instanceCount: 3, dedicatedMasterEnabled: true, dedicatedMasterType: "m6g.large.search",
            dedicatedMasterCount: 3, zoneAwarenessEnabled: true, zoneAwarenessConfig: { availabilityZoneCount: 3 },
        });
        expect(d.ebsOptions).to.deep.equal({ ebsEnabled: true, volumeType: "gp3", volumeSize: 200, iops: 6000, throughput: 250 });
    });

    it("configures FGAC through dynamic resources signed as the deployer role", () => {
        const dyn = dev.resources.filter(r => r.type.startsWith("pulumi-nodejs:dynamic/opensearch:"));
        for (const r of dyn) {
            expect(r.inputs.endpoint, r.name).to.equal("search-guardpost-siem-mock.eu-west-1.es.amazonaws.com");
            expect(r.inputs.roleArn, r.name).to.equal(DEPLOYER);
            expect(r.inputs.region, r.name).to.equal("eu-west-1");
            expect(r.inputs.version, r.name).to.be.a("string");
        }
        const mappings = dyn.filter(r => r.type.endsWith(":RoleMapping")).map(r => [r.inputs.role, r.inputs.mode, r.inputs.backendRoles]);
        expect(mappings).to.have.deep.members([
            ["guardpost_log_writer", "own", [WRITERS[0], WRITERS[1]]],
            ["all_access", "merge", [ADMIN]],
            ["security_manager", "merge", [ADMIN]],
        ]);
        const role = dyn.find(r => r.type.endsWith(":Role"))!.inputs;
        expect(role.name).to.equal("guardpost_log_writer");
        expect(role.indexPermissions[0].index_patterns).to.deep.equal(LOG_KINDS.map(k => `${k}-*`));
        expect(role.indexPermissions[0].allowed_actions).to.not.include("*");
        const { __provider, ...desired } = role;
        expect(JSON.stringify(desired)).to.not.match(/all_access|indices:data\/read|indices:admin\/delete/);
        expect(dyn.filter(r => r.type.endsWith(":IndexTemplate")).map(r => r.inputs.name)).to.have.members(LOG_KINDS.map(k => `guardpost-${k}`));
        const ism = (d: typeof dev) => d.resources.find(r => r.type.endsWith(":IsmPolicy"))!.inputs.policy.states[0].transitions[0].conditions.min_index_age;
        // Retention plus one month: a monthly index goes once its newest record is as old as the retention.
        expect([ism(dev), ism(prod)]).to.deep.equal(["61d", "396d"]);
        const savedTypes = dyn.filter(r => r.type.endsWith(":DashboardsObject")).map(r => r.inputs.objectType);
        expect(savedTypes.filter(t => t === "index-pattern")).to.have.length(LOG_KINDS.length);
        expect(savedTypes.filter(t => t === "dashboard")).to.have.length(LOG_KINDS.length);
        expect(savedTypes.filter(t => t === "visualization")).to.have.length(4 + 3 + 4 * 4);
        expect(dyn.find(r => r.type.endsWith(":AnomalyDetector"))!.inputs).to.include({ start: true });
        expect(dyn.find(r => r.type.endsWith(":AuditConfig"))!.inputs.settings).to.include({ enabled: true });
    });

    it("orders a fresh domain: templates and retention before any writer is let in or an index exists, the index before the detector", async () => {
        // name → names it waits for (dependsOn and inputs), read off the registrations the engine receives.
        const direct = new Map<string, string[]>();
        await runMocked(() => {
            const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
            const register = monitor.registerResource.bind(monitor);
            monitor.registerResource = (req: any, callback: any) => {
                direct.set(req.getName(), req.getDependenciesList().map((urn: string) => urn.split("::").pop()));
                return register(req, callback);
            };
            new SiemDomain("guardpost-siem", DEV_ARGS, { provider: testProvider(ACCOUNT, "eu-west-1") });
        });
        const waitsFor = (name: string, seen = new Set<string>()): Set<string> => {
            for (const d of direct.get(name) ?? []) if (!seen.has(d)) { seen.add(d); waitsFor(d, seen); }
            return seen;
        };
        const templatesAndIsm = [...LOG_KINDS.map(k => `guardpost-siem-template-${k}`), "guardpost-siem-retention"];
        for (const t of templatesAndIsm) expect([...waitsFor(t)], t).to.include("guardpost-siem-access");
        expect([...waitsFor("guardpost-siem-writer-mapping")]).to.include.members([...templatesAndIsm, "guardpost-siem-writer-role"]);
        expect([...waitsFor("guardpost-siem-bootstrap-cloudtrail")]).to.include.members(templatesAndIsm);
        expect([...waitsFor("guardpost-siem-detector-cloudtrail")]).to.include("guardpost-siem-bootstrap-cloudtrail");
    });

    it("exposes endpoint, Dashboards URL, domain ARN and the writer mapping names", () => {
        expect(dev.outputs).to.deep.equal({
            endpoint: "https://search-guardpost-siem-mock.eu-west-1.es.amazonaws.com",
            dashboardsUrl: "https://search-guardpost-siem-mock.eu-west-1.es.amazonaws.com/_dashboards",
            domainArn: `arn:aws:es:eu-west-1:${ACCOUNT}:domain/guardpost-siem`,
            mappings: ["guardpost_log_writer"],
        });
    });

    it("maps every field the visualizations and the detector aggregate on, with an aggregatable type", () => {
        const props = indexTemplate("cloudtrail", 13).template.mappings.properties;
        const typeOf = (field: string) => field.split(".").reduce((p: any, k, i, a) => (i < a.length - 1 ? p?.[k]?.properties : p?.[k]), props)?.type;
        const fields = cloudtrailVisualizations().flatMap(v => JSON.parse(v.attributes.visState as string).aggs.map((a: any) => a.params.field)).filter(Boolean);
        const d = cloudtrailDetector() as any;
        fields.push(d.time_field, ...d.category_field, d.feature_attributes[0].aggregation_query.events.value_count.field);
        expect(fields).to.have.members(["geo.location", "errorCode", "userIdentity.arn", "@timestamp", "principal", "eventName"]);
        for (const f of fields) expect(["keyword", "geo_point", "date", "ip"], f).to.include(typeOf(f));
    });

    it("keeps CloudTrail's type-unstable fields as flat_object from 2.7, and unindexed before", () => {
        expect(indexTemplate("cloudtrail", 13).template.mappings.properties.requestParameters).to.deep.equal({ type: "flat_object" });
        expect(indexTemplate("cloudtrail", 5).template.mappings.properties.responseElements).to.deep.equal({ type: "object", enabled: false });
    });

    it("accepts writer role ARNs as Outputs, and fails the deployment on a wildcard arriving through one", async () => {
        const fromOutputs = await deploy({ ...DEV_ARGS, writerRoleArns: [pulumi.output(WRITERS[0])] }, "siem-outputs");
        const policy = JSON.parse(fromOutputs.one("aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
        expect(principals(policy.Statement[2])).to.deep.equal([WRITERS[0]]);
        // A failed registration never drains, so keep the engine's wait short.
        const err = await deploy({ ...DEV_ARGS, writerRoleArns: [pulumi.output("*")] }, "siem-wild", 3).catch(e => e);
        expect(String(err.message)).to.contain("writerRoleArns[0] must be an IAM role ARN");
    });

    describe("argument validation", () => {
        const cases: Array<[string, Partial<SiemDomainArgs>, RegExp]> = [
            ["an Elasticsearch or 1.x engine", { engineVersion: "Elasticsearch_7.10" }, /engineVersion must be 'OpenSearch_2/],
            ["T2 instances", { sizing: { ...DEV_ARGS.sizing, instanceType: "t2.small.search" } }, /T2 types support neither/],
            ["nodes not spread evenly across zones", { sizing: { ...PROD_ARGS.sizing, instanceCount: 4 } }, /multiple of availabilityZones 3/],
            ["two dedicated masters", { sizing: { ...PROD_ARGS.sizing, dedicatedMasterCount: 2 } }, /must be 3 or 5/],
            ["gp3 IOPS below the baseline", { sizing: { ...PROD_ARGS.sizing, iops: 1000 } }, /iops must be 3000–16000/],
            ["zero retention", { retentionDays: 0 }, /retentionDays must be an integer 1–3650/],
            ["a wildcard writer", { writerRoleArns: ["*"] }, /writerRoleArns\[0\] must be an IAM role ARN/],
            ["an account root as admin", { adminRoleArn: `arn:aws:iam::${ACCOUNT}:root` }, /adminRoleArn must be an IAM role ARN/],
            ["an allow-everyone CIDR", { allowedCidrs: ["0.0.0.0/0"] }, /allows every address/],
            ["a malformed CIDR", { allowedCidrs: ["10.0.0.300/8"] }, /is not a CIDR block/],
            ["an invalid domain name", { domainName: "Guardpost_SIEM" }, /domain name 'Guardpost_SIEM'/],
        ];
        for (const [what, change, message] of cases) {
            it(`rejects ${what} before registering anything`, async () => {
                let resources: MockedResource[] = [];
                let thrown: Error | undefined;
                await runMocked(() => {
                    try { new SiemDomain("guardpost-siem", { ...DEV_ARGS, ...change }, { provider: testProvider(ACCOUNT, "eu-west-1") }); } catch (e) { thrown = e as Error; }
                }).then(r => { resources = r.resources; });
                expect(thrown?.message).to.match(message);
                expect(resources.filter(r => r.type.startsWith("guardpost:siem") || r.type.startsWith("aws:opensearch"))).to.deep.equal([]);
            });
        }
    });

    it("the CloudTrail dashboard references its seven visualizations, and they the CloudTrail index pattern", () => {
        const saved = dev.resources.filter(r => r.type.endsWith(":DashboardsObject"));
        const dashboard = saved.find(r => r.inputs.objectType === "dashboard" && r.inputs.objectId === "guardpost-cloudtrail")!.inputs;
        const visIds = saved.filter(r => r.inputs.objectType === "visualization" && r.inputs.objectId.startsWith("guardpost-cloudtrail-")).map(r => r.inputs.objectId);
        expect(dashboard.references.map((r: any) => r.id)).to.have.members(visIds).and.have.length(7);
        expect(JSON.parse(dashboard.attributes.panelsJSON).map((p: any) => p.panelRefName)).to.deep.equal(dashboard.references.map((r: any) => r.name));
        for (const v of saved.filter(r => r.inputs.objectType === "visualization" && visIds.includes(r.inputs.objectId) && r.inputs.references.length)) {
            expect(v.inputs.references).to.deep.equal([{ name: "kibanaSavedObjectMeta.searchSourceJSON.index", type: "index-pattern", id: "guardpost-cloudtrail" }]);
        }
        for (const o of saved) expect(o.inputs.tenant, o.name).to.equal("global");
        const vega = JSON.parse(JSON.parse(saved.find(r => r.inputs.objectId === "guardpost-cloudtrail-hour-of-day")!.inputs.attributes.visState).params.spec);
        expect(vega.data.url.index).to.equal("cloudtrail-*");
        expect(vega.data.url.body.aggs.hours.terms.size).to.equal(24);
    });
});

describe("FGAC backend roles", () => {
    it("maps a role with a path both as IAM names it and without the path; a role without a path once", () => {
        expect(fgacBackendRoles(["arn:aws:iam::111111111111:role/guardpost/writer-a", "arn:aws:iam::111111111111:role/plain", "arn:aws:iam::111111111111:role/guardpost/writer-a"]))
            .to.deep.equal(["arn:aws:iam::111111111111:role/guardpost/writer-a", "arn:aws:iam::111111111111:role/plain", "arn:aws:iam::111111111111:role/writer-a"]);
        expect(fgacBackendRoles(["arn:aws-cn:iam::111111111111:role/a/b/c"])).to.deep.equal(["arn:aws-cn:iam::111111111111:role/a/b/c", "arn:aws-cn:iam::111111111111:role/c"]);
    });
});
