import { expect } from "chai";
import { ConfigError, parseConfig, wafRegion, type RawConfig } from "../config";
import { readStackFile } from "../stackFile";

/** A minimal valid standalone config; each test breaks one thing. */
function base(overrides: Record<string, unknown> = {}): RawConfig {
    const values: Record<string, unknown> = {
        stage: "dev",
        homeRegion: "us-east-1",
        accounts: [
            { name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"] },
            { name: "app", id: "222222222222", kind: "workload", regions: ["us-east-1", "eu-west-1"] },
        ],
        ...overrides,
    };
    const raw: RawConfig = {};
    for (const [k, v] of Object.entries(values)) {
        if (v !== undefined) raw[`guardpost:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return raw;
}

function problems(raw: RawConfig): string {
    try {
        parseConfig(raw);
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as Error).message;
    }
    throw new Error("expected the config to be rejected");
}

const orgAccounts = [
    { name: "mgmt", id: "333333333333", kind: "management", regions: ["us-east-1"] },
    { name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"] },
];

describe("config", () => {
    describe("defaults", () => {
        it("fills every default a minimal config leaves out", () => {
            const cfg = parseConfig(base());
            expect(cfg.organization).to.equal(false);
            expect(cfg.securityAccount.name).to.equal("security");
            expect(cfg.accounts[1].roleArn).to.equal("arn:aws:iam::222222222222:role/guardpost-deployer");
            expect(cfg.detection.findingPublishingFrequency).to.equal("FIFTEEN_MINUTES");
            expect(cfg.detection.protections).to.deep.include({ s3DataEvents: true, eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: true, lambdaNetworkLogs: true, runtimeMonitoring: false, eksRuntimeMonitoring: false });
            expect(cfg.alerts).to.deep.equal({ minSeverity: 4, emails: [], telegramChatId: undefined, repeat: "every", quietMinutes: 60, telegramReservedConcurrency: 5, failureTopicArns: [] });
            expect(cfg.siem.retentionDays).to.equal(90);
            expect(cfg.siem.adminRoleArn).to.equal("arn:aws:iam::111111111111:role/guardpost-deployer");
            expect(cfg.logs.trailRegion).to.equal("us-east-1");
        });

        it("accepts an account id given as a YAML number only when it has 12 digits", () => {
            expect(parseConfig(base({ accounts: [{ name: "security", id: 111111111111, kind: "security", regions: ["us-east-1"] }] })).accounts[0].id).to.equal("111111111111");
            expect(problems(base({ accounts: [{ name: "security", id: 12345678901, kind: "security", regions: ["us-east-1"] }] }))).to.contain("guardpost:accounts[security].id");
        });
    });

    describe("accounts", () => {
        const cases: [string, unknown, string, string][] = [
            ["a short account id", [{ name: "security", id: "1234", kind: "security", regions: ["us-east-1"] }], "guardpost:accounts[security].id", "12-digit"],
            ["an unknown region", [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-9"] }], "guardpost:accounts[security].regions[0]", "us-east-1"],
            ["a duplicate name", [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"] }, { name: "security", id: "222222222222", regions: ["us-east-1"] }], "'security' is used by two accounts", "unique name"],
            ["a duplicate id", [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"] }, { name: "other", id: "111111111111", regions: ["us-east-1"] }], "111111111111 is listed twice", "list each account once"],
            ["a bad role ARN", [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"], roleArn: "guardpost-deployer" }], "guardpost:accounts[security].roleArn", "IAM role ARN"],
            ["a role in another account", [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"], roleArn: "arn:aws:iam::999999999999:role/x" }], "belongs to account 999999999999", "use a role in account 111111111111"],
            ["a bad kind", [{ name: "security", id: "111111111111", kind: "admin", regions: ["us-east-1"] }], "guardpost:accounts[security].kind", "management, security, workload"],
            ["no security account", [{ name: "app", id: "111111111111", regions: ["us-east-1"] }], "no account has kind 'security'", "exactly one account"],
            ["two security accounts", [{ name: "a", id: "111111111111", kind: "security", regions: ["us-east-1"] }, { name: "b", id: "222222222222", kind: "security", regions: ["us-east-1"] }], "2 accounts have kind 'security'", "exactly one"],
            ["an empty region list", [{ name: "security", id: "111111111111", kind: "security", regions: [] }], "regions: is empty", "at least one region"],
            ["a repeated region", [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1", "us-east-1"] }], "lists a region twice", "each region once"],
            ["a bad account name", [{ name: "Security Team", id: "111111111111", kind: "security", regions: ["us-east-1"] }], "guardpost:accounts[0].name", "lower-case"],
            ["accounts that are not a list", { security: "111111111111" }, "guardpost:accounts: must be a list", "YAML list"],
        ];
        for (const [what, accounts, key, fix] of cases) {
            it(`rejects ${what}, naming the key and the fix`, () => {
                const message = problems(base({ accounts }));
                expect(message).to.contain(key);
                expect(message).to.contain(fix);
            });
        }

        it("requires a stage, since every alert names it", () => {
            expect(problems(base({ stage: undefined }))).to.contain("guardpost:stage: is missing").and.to.contain("dev or prod");
        });

        it("rejects a missing account list", () => {
            expect(problems(base({ accounts: undefined }))).to.contain("guardpost:accounts: is missing or empty");
        });

        it("reports every problem at once", () => {
            const message = problems(base({ stage: "Dev!", alerts: { minSeverity: 11 } }));
            expect(message).to.match(/\(2 problems\)/);
            expect(message).to.contain("guardpost:stage").and.to.contain("guardpost:alerts.minSeverity");
        });

        it("rejects a home region the security account does not operate in", () => {
            expect(problems(base({ homeRegion: "eu-west-1" }))).to.contain("guardpost:homeRegion: 'eu-west-1' is not one of the security account's regions");
        });
    });

    describe("organization mode", () => {
        it("needs exactly one management account", () => {
            expect(problems(base({ organization: true }))).to.contain("organization mode needs exactly one account of kind 'management'");
        });

        it("rejects a management account outside organization mode", () => {
            expect(problems(base({ accounts: orgAccounts }))).to.contain("has kind 'management' but guardpost:organization is false");
        });

        it("needs the management account in every region of the security account", () => {
            const accounts = [orgAccounts[0], { ...orgAccounts[1], regions: ["us-east-1", "eu-west-1"] }];
            expect(problems(base({ organization: true, accounts }))).to.contain("missing eu-west-1");
        });

        it("accepts a management + security pair and exposes both", () => {
            const cfg = parseConfig(base({ organization: true, accounts: [{ ...orgAccounts[0], email: "mgmt@example.com" }, orgAccounts[1]], detection: { securityHub: { policyTargets: ["r-ab12"] } } }));
            expect(cfg.managementAccount?.name).to.equal("mgmt");
            expect(cfg.securityAccount.name).to.equal("security");
        });

        it("rejects an organization trail without organization mode", () => {
            expect(problems(base({ logs: { organizationTrail: true } }))).to.contain("guardpost:logs.organizationTrail");
        });
    });

    describe("detection", () => {
        it("rejects runtime monitoring together with EKS runtime monitoring", () => {
            expect(problems(base({ detection: { protections: { runtimeMonitoring: true, eksRuntimeMonitoring: true } } }))).to.contain("runtimeMonitoring and eksRuntimeMonitoring are both true");
        });

        it("rejects agent management without runtime monitoring", () => {
            expect(problems(base({ detection: { protections: { agentManagement: { eks: true } } } }))).to.contain("agent management is on but runtimeMonitoring is off");
        });

        it("rejects a non-boolean protection flag", () => {
            expect(problems(base({ detection: { protections: { s3DataEvents: "yes" } } }))).to.contain("guardpost:detection.protections.s3DataEvents: 'yes' is not a boolean");
        });

        it("rejects an unknown protection key, listing the known ones", () => {
            expect(problems(base({ detection: { protections: { malware: true } } }))).to.contain("guardpost:detection.protections.malware: is not a known key").and.to.contain("ebsMalwareProtection");
        });

        it("rejects an unknown publishing frequency", () => {
            expect(problems(base({ detection: { findingPublishingFrequency: "FIVE_MINUTES" } }))).to.contain("FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS");
        });

        it("rejects an unknown Security Hub standard, listing the known ones", () => {
            expect(problems(base({ detection: { securityHub: { standards: ["cis-9"] } } }))).to.contain("guardpost:detection.securityHub.standards[0]").and.to.contain("fsbp, cis-1.2, cis-1.4");
        });

        it("needs exactly one source per threat list", () => {
            expect(problems(base({ detection: { trustedIpLists: [{ name: "x" }] } }))).to.contain("has neither file nor s3Url");
            expect(problems(base({ detection: { threatIntelSets: [{ name: "x", file: "a.txt", s3Url: "https://s3.amazonaws.com/b/k" }] } }))).to.contain("has both file and s3Url");
            expect(problems(base({ detection: { threatIntelSets: [{ name: "x", s3Url: "ftp://b/k" }] } }))).to.contain("a location GuardDuty reads");
        });

        it("rejects an unknown threat list format", () => {
            expect(problems(base({ detection: { trustedIpLists: [{ name: "x", file: "a.txt", format: "CSV" }] } }))).to.contain("TXT, STIX");
        });
    });

    describe("alerts", () => {
        for (const bad of [0, 10.5, "high"]) {
            it(`rejects minSeverity ${JSON.stringify(bad)}`, () => {
                expect(problems(base({ alerts: { minSeverity: bad } }))).to.contain("guardpost:alerts.minSeverity").and.to.contain("from 1 to 10");
            });
        }

        it("accepts a decimal severity such as 7.5", () => {
            expect(parseConfig(base({ alerts: { minSeverity: 7.5 } })).alerts.minSeverity).to.equal(7.5);
        });

        it("rejects a malformed e-mail address", () => {
            expect(problems(base({ alerts: { emails: ["secops.example.com"] } }))).to.contain("guardpost:alerts.emails[0]: 'secops.example.com' is not valid");
        });

        it("rejects a malformed Telegram chat id and accepts numeric and @channel ids", () => {
            expect(problems(base({ alerts: { telegramChatId: "my chat" } }))).to.contain("guardpost:alerts.telegramChatId");
            expect(parseConfig(base({ alerts: { telegramChatId: -1001234567890 } })).alerts.telegramChatId).to.equal("-1001234567890");
            expect(parseConfig(base({ alerts: { telegramChatId: "@secops_alerts" } })).alerts.telegramChatId).to.equal("@secops_alerts");
        });

        it("rejects an unknown repeat mode", () => {
            expect(problems(base({ alerts: { repeat: "sometimes" } }))).to.contain("every, new-and-escalations");
        });
    });

    describe("siem", () => {
        it("rejects a non-2.x engine", () => {
            expect(problems(base({ siem: { engineVersion: "Elasticsearch_7.10" } }))).to.contain("guardpost:siem.engineVersion");
        });

        it("rejects dedicated masters without a type or with an even count", () => {
            expect(problems(base({ siem: { dedicatedMasterCount: 3 } }))).to.contain("guardpost:siem.dedicatedMasterType: is missing");
            expect(problems(base({ siem: { dedicatedMasterCount: 2, dedicatedMasterType: "m6g.large.search" } }))).to.contain("cannot form a safe quorum");
        });

        it("rejects zone awareness with data nodes that cannot spread evenly", () => {
            expect(problems(base({ siem: { zoneAwareness: true, availabilityZoneCount: 3, instanceCount: 4 } }))).to.contain("use a multiple of 3");
        });

        it("rejects a bad CIDR and a bad instance type", () => {
            expect(problems(base({ siem: { allowedCidrs: ["10.0.0.0"] } }))).to.contain("guardpost:siem.allowedCidrs[0]");
            expect(problems(base({ siem: { instanceType: "r6g.large" } }))).to.contain("guardpost:siem.instanceType");
        });
    });

    describe("logs", () => {
        it("rejects VPC ids in a region the account does not operate in", () => {
            const accounts = [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"], logs: { vpcFlowLogs: { "eu-west-1": ["vpc-0123456789abcdef0"] } } }];
            expect(problems(base({ accounts }))).to.contain("guardpost:accounts[security].logs.vpcFlowLogs.eu-west-1");
        });

        it("rejects a malformed VPC id", () => {
            const accounts = [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"], logs: { dnsQueryLogs: { "us-east-1": ["vpc-xyz"] } } }];
            expect(problems(base({ accounts }))).to.contain("a VPC id such as vpc-0123456789abcdef0");
        });

        it("rejects a web ACL owned by another account", () => {
            const accounts = [{ name: "security", id: "111111111111", kind: "security", regions: ["us-east-1"], logs: { wafWebAclArns: ["arn:aws:wafv2:us-east-1:222222222222:regional/webacl/a/b"] } }];
            expect(problems(base({ accounts }))).to.contain("belongs to account 222222222222");
        });

        it("routes CloudFront web ACLs to us-east-1 and regional ones to their region", () => {
            expect(wafRegion("arn:aws:wafv2:us-east-1:111111111111:global/webacl/cdn/x")).to.equal("us-east-1");
            expect(wafRegion("arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/api/x")).to.equal("eu-west-1");
        });

        it("needs an .mmdb GeoIP database and a Firehose retry within 0–7200 s", () => {
            expect(problems(base({ logs: { geoipDatabasePath: "geo.tar.gz" } }))).to.contain("guardpost:logs.geoipDatabasePath");
            expect(problems(base({ logs: { firehoseRetrySeconds: 9000 } }))).to.contain("from 0 to 7200");
        });
    });

    describe("the stack files", () => {
        for (const stack of ["dev", "prod"]) {
            it(`Pulumi.${stack}.yaml parses, disables default AWS providers and stores no secret`, () => {
                const file = readStackFile(stack);
                expect(file.disabledDefaultProviders).to.deep.equal(["aws"]);
                expect(file.config).to.not.have.property("guardpost:telegramBotToken");
                expect(() => parseConfig(file.config)).to.not.throw();
            });
        }

        it("prod is an organization with a management account, the security account in ap-northeast-2 and three workload accounts over two regions or more", () => {
            const cfg = parseConfig(readStackFile("prod").config);
            expect(cfg.organization).to.equal(true);
            expect(cfg.managementAccount).to.not.equal(undefined);
            expect(cfg.homeRegion).to.equal("ap-northeast-2");
            const workloads = cfg.accounts.filter(a => a.kind === "workload");
            expect(workloads.length).to.be.at.least(3);
            const regions = new Set(workloads.flatMap(a => a.regions));
            expect([...regions]).to.include.members(["ap-northeast-2", "us-east-1"]);
        });
    });
});
