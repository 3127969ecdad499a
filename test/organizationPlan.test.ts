import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { runPlan, type PlanReport } from "../plan/plan";
import { computeCoverage } from "../plan/coverage";
import type { MockedResource } from "../plan/engine";
import { coverageExitCode, main } from "../scripts/plan";
import { matchesPattern } from "./support/eventPattern";
import { findingEvents } from "./support/alertFixtures";

const ROOT = path.join(__dirname, "..");
const plans: Record<string, PlanReport> = {};
async function plan(stack: string): Promise<PlanReport> {
    plans[stack] ??= await runPlan(stack);
    return plans[stack];
}

/** A copy of a stack file with its config changed, in a temporary directory that the plan can read. */
function variant(stack: string, change: (config: Record<string, any>) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardpost-org-"));
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, any> };
    change(doc.config);
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}-variant.yaml`), yaml.dump(doc));
    fs.cpSync(path.join(ROOT, "threat-lists"), path.join(dir, "threat-lists"), { recursive: true });
    return dir;
}

const ofType = (rs: MockedResource[], type: string) => rs.filter(r => r.type === type && r.custom);

describe("organization plan: no blind region", function () {
    this.timeout(600_000);

    it("prod covers every configured account × region for every service, data/eu-west-1 included", async () => {
        const report = await plan("prod");
        expect(report.coverage.gaps).to.deep.equal([]);
        expect(report.coverage.rows).to.have.length(report.config.accounts.reduce((n, a) => n + a.regions.length, 0));
        const data = report.coverage.rows.find(r => r.account === "data" && r.region === "eu-west-1")!;
        expect(data.cells).to.deep.equal({ guardDuty: "member", securityHub: "member", config: "managed", detective: "member", alerting: "central", logShipping: "central" });
        // What makes it covered: the delegated admin's auto-enable ALL in eu-west-1.
        const security = report.config.securityAccount.id;
        const org = ofType(report.resources, "aws:guardduty/organizationConfiguration:OrganizationConfiguration").filter(r => r.region === "eu-west-1");
        expect(org.map(o => [o.provider!.account, o.inputs.autoEnableOrganizationMembers])).to.deep.equal([[security, "ALL"]]);
    });

    it("dev (standalone) manages everything in every account × region itself", async () => {
        const report = await plan("dev");
        expect(report.coverage.gaps).to.deep.equal([]);
        for (const row of report.coverage.rows) {
            expect(row.cells, `${row.account}/${row.region}`).to.deep.equal({ guardDuty: "managed", securityHub: "managed", config: "managed", detective: "off", alerting: "managed", logShipping: "managed" });
        }
    });

    it("reports a cell UNCOVERED when what covers it is missing from the graph, and the plan exits 4 naming it", async () => {
        const report = await plan("prod");
        const security = report.config.securityAccount.id;
        const withoutEuAdmin = report.resources.filter(r => !(r.type === "aws:guardduty/organizationConfiguration:OrganizationConfiguration" && r.provider?.account === security && r.region === "eu-west-1"));
        const coverage = computeCoverage(report.config, withoutEuAdmin);
        expect(coverage.gaps).to.have.members(["payments", "storefront", "data"].flatMap(a => [`${a}/eu-west-1: guardDuty`, `${a}/eu-west-1: alerting`]));
        let err = "";
        expect(coverageExitCode(coverage, s => { err += s; })).to.equal(4);
        expect(err).to.contain("data/eu-west-1: guardDuty");
        expect(coverageExitCode(report.coverage, () => undefined)).to.equal(0);
    });

    it("counts Security Hub covered only in the regions the home region's aggregator links", async () => {
        const report = await plan("prod");
        const aggregator = report.resources.find(r => r.type === "aws:securityhub/findingAggregator:FindingAggregator")!;
        expect(aggregator.inputs).to.deep.include({ linkingMode: "SPECIFIED_REGIONS", specifiedRegions: ["eu-west-1", "us-east-1"] });
        const unlinked = { ...aggregator, inputs: { ...aggregator.inputs, specifiedRegions: ["us-east-1"] } };
        const coverage = computeCoverage(report.config, report.resources.map(r => (r === aggregator ? unlinked : r)));
        expect(coverage.gaps).to.have.members(["management", "payments", "storefront", "data"].map(a => `${a}/eu-west-1: securityHub`));
    });

    it("with the Security Hub policy on OUs only, marks members if-in-OU and names the OUs a reviewer must check", async () => {
        const report = await plan("prod");
        const association = (target: string) => report.resources.find(r => r.type === "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation" && r.inputs.policyId !== "SELF_MANAGED_SECURITY_HUB" && String(r.inputs.targetId).startsWith("r-"))!;
        const onRoot = association("r-");
        expect(onRoot, "prod associates its policy with the root").to.not.equal(undefined);
        const onOu = { ...onRoot, inputs: { ...onRoot.inputs, targetId: "ou-ab12-workloads" } };
        const coverage = computeCoverage(report.config, report.resources.map(r => (r === onRoot ? onOu : r)));
        const members = report.coverage.rows.filter(r => r.cells.securityHub === "member");
        expect(members.length).to.be.greaterThan(0);
        for (const row of members) expect(coverage.rows.find(r => r.account === row.account && r.region === row.region)!.cells.securityHub).to.equal("if-in-OU");
        expect(coverage.gaps).to.deep.equal([]);
        expect(coverage.ouChecks).to.include(`data: Security Hub's policy reaches it only if it is in ou-ab12-workloads`);
        expect(report.coverage.ouChecks).to.deep.equal([]);
    });

    it("flags a finding rule in a member account as a gap: its findings would alert twice", async () => {
        const report = await plan("prod");
        const payments = report.config.accounts.find(a => a.name === "payments")!;
        const adminRule = ofType(report.resources, "aws:cloudwatch/eventRule:EventRule").find(r => r.provider?.account === report.config.securityAccount.id && r.region === "us-east-1" && r.inputs.eventPattern.includes("aws.guardduty"))!;
        const duplicate = { ...adminRule, urn: `${adminRule.urn}-copy`, provider: { ...adminRule.provider!, account: payments.id } };
        const coverage = computeCoverage(report.config, [...report.resources, duplicate]);
        expect(coverage.gaps).to.deep.equal(["payments/us-east-1: alerting"]);
    });

    it("refuses a config with a blind region before planning anything, naming account, region and fix", async () => {
        const dir = variant("prod", config => {
            for (const a of config["guardpost:accounts"]) if (a.kind !== "workload") a.regions = a.regions.filter((r: string) => r !== "eu-west-1");
        });
        let out = "";
        let err = "";
        const code = await main(["--stack", "prod-variant"], s => { out += s; }, s => { err += s; }, dir);
        expect(code).to.equal(1);
        expect(out).to.equal("");
        expect(err).to.contain("guardpost:accounts[data].regions: eu-west-1 has no delegated administrator");
        expect(err).to.contain("add eu-west-1 to the regions of 'security' and of the management account 'management'");
    });

    it("prints the matrix in the text plan and puts it in --json", async () => {
        let out = "";
        expect(await main(["--stack", "prod", "--json"], s => { out += s; }, () => undefined)).to.equal(0);
        const data = JSON.parse(out);
        expect(data.coverage.gaps).to.deep.equal([]);
        expect(data.coverage.rows.find((r: any) => r.account === "data" && r.region === "eu-west-1").cells.guardDuty).to.equal("member");
        let text = "";
        expect(await main(["--stack", "dev"], s => { text += s; }, () => undefined)).to.equal(0);
        expect(text).to.match(/^ {2}account +region +guardDuty +securityHub +config +detective +alerting +logShipping$/m);
        expect(text).to.match(/^ {2}sandbox +us-east-1 +managed +managed +managed +off +managed +managed$/m);
        expect(text).to.contain("coverage: every configured account × region is covered");
    });
});

describe("organization plan: the plan shows what is managed, adopted and skipped", function () {
    this.timeout(600_000);

    it("imports adopted services, declares nothing for skipped ones, and the matrix says which", async () => {
        const dir = variant("dev", config => {
            const [security, sandbox] = config["guardpost:accounts"];
            security.services = { guardDuty: { mode: "adopt", detectorIds: { "ap-northeast-2": "0123456789abcdef0123456789abcdef" } }, securityHub: "adopt", config: "adopt" };
            sandbox.controlTower = true;
            sandbox.services = { securityHub: "skip" };
        });
        let text = "";
        expect(await main(["--stack", "dev-variant"], s => { text += s; }, () => undefined, dir)).to.equal(0);
        expect(text).to.match(/^ {2}security +ap-northeast-2 +adopted +adopted +adopted +off +managed +managed$/m);
        expect(text).to.match(/^ {2}sandbox +ap-northeast-2 +managed +skipped +skipped +off +managed +managed$/m);
        const report = await runPlan("dev-variant", dir);
        const security = report.config.securityAccount.id;
        const imports = report.resources.filter(r => r.importId).map(r => `${r.type} ${r.importId}`);
        expect(imports).to.include.members([
            "aws:guardduty/detector:Detector 0123456789abcdef0123456789abcdef",
            `aws:securityhub/account:Account ${security}`,
            "aws:cfg/recorder:Recorder default", "aws:cfg/deliveryChannel:DeliveryChannel default", "aws:cfg/recorderStatus:RecorderStatus default",
            `aws:iam/serviceLinkedRole:ServiceLinkedRole arn:aws:iam::${security}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
        ]);
        const sandbox = report.config.accounts.find(a => a.name === "sandbox")!.id;
        const sandboxTypes = report.resources.filter(r => r.provider?.account === sandbox).map(r => r.type);
        for (const t of ["aws:cfg/recorder:Recorder", "aws:securityhub/account:Account", "aws:iam/serviceLinkedRole:ServiceLinkedRole"]) expect(sandboxTypes, t).to.not.include(t);
    });

    it("adopts Config's service-linked role apart from the recorder (a role left by an earlier Config setup), and refuses it where Config is skipped", async () => {
        const dir = variant("dev", config => {
            const [security] = config["guardpost:accounts"];
            security.services = { config: { mode: "manage", serviceLinkedRole: "adopt" } };
        });
        const report = await runPlan("dev-variant", dir);
        const security = report.config.securityAccount.id;
        const own = report.resources.filter(r => r.provider?.account === security);
        const role = own.find(r => r.type === "aws:iam/serviceLinkedRole:ServiceLinkedRole")!;
        expect(role.importId).to.equal(`arn:aws:iam::${security}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`);
        const recorders = own.filter(r => r.type === "aws:cfg/recorder:Recorder");
        expect(recorders.length).to.be.greaterThan(0);
        for (const r of recorders) expect(r.importId, "the recorder is still created").to.equal(undefined);
        // Other accounts keep the default: the role follows the Config mode (manage: created).
        const others = report.resources.filter(r => r.type === "aws:iam/serviceLinkedRole:ServiceLinkedRole" && r.provider?.account !== security);
        expect(others.length).to.be.greaterThan(0);
        for (const r of others) expect(r.importId).to.equal(undefined);

        let err = "";
        const skipped = variant("dev", config => { config["guardpost:accounts"][0].services = { config: { mode: "skip", serviceLinkedRole: "adopt" } }; });
        expect(await main(["--stack", "dev-variant"], () => undefined, t => { err += t; }, skipped)).to.equal(1);
        expect(err).to.contain("config.serviceLinkedRole: is set while Config is skip");
    });
});

describe("organization plan: one alert per finding per channel", function () {
    this.timeout(600_000);

    /**
     * The two copies of one member finding: GuardDuty publishes it to the member's bus and to the delegated
     * administrator's in the same region ("If your account is a GuardDuty delegated administrator
     * CloudWatch events are published to your account in addition to the member account that it originated
     * from": awsdocs/amazon-guardduty-user-guide guardduty_findings_cloudwatch.md, now
     * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html). The event's
     * `account` is the bus owner; `detail.accountId` stays the member.
     */
    function copies(member: string, admin: string, region: string) {
        const finding = findingEvents().find(e => e.detail.severity >= 7)!;
        const make = (busAccount: string) => {
            const e = JSON.parse(JSON.stringify(finding));
            e.account = busAccount;
            e.region = region;
            e.detail.accountId = member;
            e.detail.region = region;
            return e;
        };
        return { memberBus: make(member), adminBus: make(admin) };
    }

    /** What each channel receives when `event` lands on the bus of account × region: rules → targets. */
    function deliveries(report: PlanReport, account: string, region: string, event: unknown) {
        const rules = ofType(report.resources, "aws:cloudwatch/eventRule:EventRule").filter(r => r.provider?.account === account && r.region === region && r.inputs.eventPattern);
        const matched = rules.filter(r => matchesPattern(JSON.parse(r.inputs.eventPattern), event));
        const targets = ofType(report.resources, "aws:cloudwatch/eventTarget:EventTarget").filter(t => matched.some(r => t.propertyDependencies.rule?.includes(r.urn)));
        const typeOf = (urn: string) => report.resources.find(r => r.urn === urn)?.type;
        const channel = (t: MockedResource) => (t.propertyDependencies.arn ?? []).map(typeOf);
        return {
            email: targets.filter(t => channel(t).includes("aws:sns/topic:Topic")),
            telegram: targets.filter(t => channel(t).includes("aws:lambda/function:Function")),
        };
    }

    it("in an organization, a member's finding reaches e-mail and Telegram exactly once, from the admin's bus, naming the member and region", async () => {
        const report = await plan("prod");
        const admin = report.config.securityAccount.id;
        for (const member of report.config.accounts.filter(a => a.kind !== "security")) {
            for (const region of member.regions) {
                const { memberBus, adminBus } = copies(member.id, admin, region);
                const onMember = deliveries(report, member.id, region, memberBus);
                const onAdmin = deliveries(report, admin, region, adminBus);
                const where = `${member.name}/${region}`;
                expect(onMember.email.length + onMember.telegram.length, `${where}: the member bus sends nothing`).to.equal(0);
                expect(onAdmin.email, `${where}: one e-mail delivery`).to.have.length(1);
                expect(onAdmin.telegram, `${where}: one Telegram delivery`).to.have.length(1);
                const t = onAdmin.email[0].inputs.inputTransformer;
                let sentence: string = t.inputTemplate;
                for (const [name, p] of Object.entries(t.inputPaths as Record<string, string>)) {
                    const value = p.replace(/^\$\./, "").split(".").reduce((o: any, k) => o?.[k], adminBus);
                    sentence = sentence.split(`<${name}>`).join(String(value));
                }
                expect(sentence, where).to.contain(`account ${member.id}, region ${region}`);
            }
        }
    });

    it("the admin's own findings also reach each channel once; members keep their topics for pipeline alarms", async () => {
        const report = await plan("prod");
        const admin = report.config.securityAccount.id;
        const own = copies(admin, admin, "ap-northeast-2").adminBus;
        const d = deliveries(report, admin, "ap-northeast-2", own);
        expect([d.email.length, d.telegram.length]).to.deep.equal([1, 1]);
        for (const account of report.config.accounts) {
            for (const region of account.regions) {
                const topics = ofType(report.resources, "aws:sns/topic:Topic").filter(t => t.provider?.account === account.id && t.region === region);
                // Plus the SIEM detections topic beside the SIEM, which no EventBridge rule targets (siemDetectionsTopic.test.ts).
                const siem = account.id === admin && region === report.config.homeRegion ? 1 : 0;
                expect(topics, `${account.name}/${region}`).to.have.length(1 + siem);
                expect(topics.filter(t => t.name.endsWith("-siem")), `${account.name}/${region}`).to.have.length(siem);
            }
        }
        const memberFunctions = ofType(report.resources, "aws:lambda/function:Function").filter(f => f.provider?.account !== admin && f.name.includes("telegram"));
        expect(memberFunctions).to.be.empty;
    });

    it("standalone keeps today's behaviour: each account's own bus alerts once per channel", async () => {
        const report = await plan("dev");
        for (const account of report.config.accounts) {
            for (const region of account.regions) {
                const event = copies(account.id, account.id, region).adminBus;
                const d = deliveries(report, account.id, region, event);
                expect([d.email.length, d.telegram.length], `${account.name}/${region}`).to.deep.equal([1, 1]);
            }
        }
    });
});

describe("organization plan: prerequisites and Config the way Config.1 checks it", function () {
    this.timeout(600_000);

    it("enables CloudTrail's and Config's trusted access in the management account before the organization trail and the aggregator", async () => {
        const report = await plan("prod");
        const mgmt = report.config.managementAccount!.id;
        const access = ofType(report.resources, "aws:organizations/awsServiceAccess:AwsServiceAccess");
        expect(access.map(a => [a.provider!.account, a.inputs.servicePrincipal, a.retainOnDelete])).to.deep.equal([
            [mgmt, "cloudtrail.amazonaws.com", true], [mgmt, "config.amazonaws.com", true], [mgmt, "config-multiaccountsetup.amazonaws.com", true],
        ]);
        const cloudtrailAccess = access.find(a => a.inputs.servicePrincipal === "cloudtrail.amazonaws.com")!;
        const [trail] = ofType(report.resources, "aws:cloudtrail/trail:Trail").filter(t => t.inputs.isOrganizationTrail === true);
        expect(trail.dependsOn).to.include(cloudtrailAccess.urn);
        const delegations = ofType(report.resources, "aws:organizations/delegatedAdministrator:DelegatedAdministrator");
        expect(delegations.map(d => [d.inputs.servicePrincipal, d.inputs.accountId])).to.have.deep.members([
            ["config.amazonaws.com", report.config.securityAccount.id], ["config-multiaccountsetup.amazonaws.com", report.config.securityAccount.id],
        ]);
        const [aggregator] = ofType(report.resources, "aws:cfg/configurationAggregator:ConfigurationAggregator");
        expect(aggregator.provider!.account).to.equal(report.config.securityAccount.id);
        expect(aggregator.region).to.equal(report.config.homeRegion);
        expect(aggregator.inputs.organizationAggregationSource).to.deep.include({ allRegions: true });
        expect(aggregator.dependsOn).to.include.members(delegations.map(d => d.urn));
        expect(ofType(report.resources, "aws:organizations/organization:Organization")).to.be.empty;
    });

    it("standalone: the security account aggregates the listed accounts in every region, each source account × region authorizing it", async () => {
        const report = await plan("dev");
        const security = report.config.securityAccount;
        const [aggregator] = ofType(report.resources, "aws:cfg/configurationAggregator:ConfigurationAggregator");
        expect([aggregator.provider!.account, aggregator.region]).to.deep.equal([security.id, report.config.homeRegion]);
        expect(aggregator.inputs.accountAggregationSource).to.deep.equal({ accountIds: report.config.accounts.map(a => a.id), allRegions: true });
        const authorizations = ofType(report.resources, "aws:cfg/aggregateAuthorization:AggregateAuthorization");
        const expected = report.config.accounts.filter(a => a.kind !== "security").flatMap(a => a.regions.map(r => `${a.id}/${r}`));
        expect(authorizations.map(a => `${a.provider!.account}/${a.region}`)).to.have.members(expected);
        for (const a of authorizations) expect(a.inputs).to.include({ accountId: security.id, authorizedAwsRegion: report.config.homeRegion });
        expect(ofType(report.resources, "aws:organizations/awsServiceAccess:AwsServiceAccess")).to.be.empty;
    });

    it("puts the archive in a log-archive account when awsConfig.archiveAccount names one, every account delivering there; refuses an unknown one or one outside the home region", async () => {
        const logArchive = { name: "log-archive", id: "100000000009", kind: "workload", email: "aws-log-archive@example.com", regions: ["ap-northeast-2", "us-east-1", "eu-west-1"] };
        const dir = variant("prod", config => {
            config["guardpost:accounts"].push(logArchive);
            config["guardpost:detection"].awsConfig = { ...config["guardpost:detection"].awsConfig, archiveAccount: "log-archive" };
        });
        const report = await runPlan("prod-variant", dir);
        const [bucket] = ofType(report.resources, "aws:s3/bucket:Bucket").filter(b => b.name.startsWith("archive-") && b.name.endsWith("-bucket"));
        const [key] = ofType(report.resources, "aws:kms/key:Key").filter(k => k.name.startsWith("archive-"));
        expect([bucket.provider!.account, bucket.region, key.provider!.account]).to.deep.equal([logArchive.id, "ap-northeast-2", logArchive.id]);
        const channels = ofType(report.resources, "aws:cfg/deliveryChannel:DeliveryChannel");
        expect(channels.length).to.be.greaterThan(report.config.accounts.length);
        for (const c of channels) expect(c.inputs.s3KmsKeyArn, c.name).to.match(new RegExp(`^arn:aws:kms:ap-northeast-2:${logArchive.id}:key/`));
        // Every account's Config deliveries are admitted by the bucket policy in the log-archive account.
        const policy = JSON.stringify(ofType(report.resources, "aws:s3/bucketPolicy:BucketPolicy").find(p => p.name.startsWith("archive-"))!.inputs.policy);
        for (const a of report.config.accounts) expect(policy, a.name).to.contain(`AWSLogs/${a.id}/Config/`);

        for (const [change, message] of [
            [(c: any) => { c["guardpost:detection"].awsConfig = { archiveAccount: "nobody" }; }, "guardpost:detection.awsConfig.archiveAccount: 'nobody' is not a configured account"],
            [(c: any) => { c["guardpost:accounts"].push({ ...logArchive, regions: ["us-east-1", "eu-west-1"] }); c["guardpost:detection"].awsConfig = { archiveAccount: "log-archive" }; }, "account 'log-archive' does not operate in the home region ap-northeast-2"],
        ] as const) {
            let err = "";
            const code = await main(["--stack", "prod-variant"], () => undefined, s => { err += s; }, variant("prod", change));
            expect(code, message).to.equal(1);
            expect(err).to.contain(message);
        }
    });

    it("records with each account's service-linked role into the one archive, IAM global types only in the home region", async () => {
        const report = await plan("prod");
        const [bucket] = ofType(report.resources, "aws:s3/bucket:Bucket").filter(b => b.name === "archive-prod-bucket");
        expect(bucket.provider!.account).to.equal(report.config.securityAccount.id);
        for (const account of report.config.accounts) {
            const recorders = ofType(report.resources, "aws:cfg/recorder:Recorder").filter(r => r.provider?.account === account.id);
            expect(recorders, account.name).to.have.length(account.regions.length);
            for (const r of recorders) {
                expect(r.inputs.roleArn).to.equal(`arn:aws:iam::${account.id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`);
                expect(r.inputs.recordingGroup).to.deep.equal({ allSupported: true, includeGlobalResourceTypes: r.region === report.config.homeRegion });
            }
            const channels = ofType(report.resources, "aws:cfg/deliveryChannel:DeliveryChannel").filter(c => c.provider?.account === account.id);
            for (const c of channels) {
                expect(c.inputs.s3BucketName).to.equal("archive-prod-bucket-mock");
                expect(c.inputs.s3KmsKeyArn).to.match(/^arn:aws:kms:ap-northeast-2:100000000002:key\//);
            }
            expect(ofType(report.resources, "aws:iam/serviceLinkedRole:ServiceLinkedRole").filter(s => s.provider?.account === account.id), account.name).to.have.length(1);
        }
        expect(ofType(report.resources, "aws:guardduty/publishingDestination:PublishingDestination").map(p => `${p.provider!.account}/${p.region}`))
            .to.have.members(report.config.securityAccount.regions.map(r => `${report.config.securityAccount.id}/${r}`));
    });
});
