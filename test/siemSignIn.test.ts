import { expect } from "chai";
import { fgacBackendRoles } from "../components/siem/siemPolicies";
import * as fs from "fs";
import * as path from "path";
import { createClient, send } from "../components/siem/dynamic/opensearchClient";
import { SiemDomain, SiemDomainArgs } from "../components/siem/siemDomain";
import { LOG_KINDS } from "../components/siem/siemTemplates";
import { MockedResource, runMocked } from "../plan/engine";
import { resourceRules } from "../policy/rules";
import { OpenSearchPeer } from "./support/opensearchPeer";
import { testProvider } from "./support/providers";

/**
 * People sign in to the SIEM through Cognito (or SAML) as an analyst or an admin, and FGAC — enforced by the
 * peer on every request — lets an analyst read the logs and Dashboards but not change the security config.
 */

const ACCOUNT = "222222222222";
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
const KEYS = { deployer: ["AKIDSIGNINDEPLOYER", "deployer-secret"], analyst: ["ASIASIGNINANALYST", "analyst-secret"], admin: ["ASIASIGNINADMIN", "admin-secret"], nobody: ["ASIASIGNINNOBODY", "nobody-secret"] } as const;
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"];
const PEOPLE = { analystGroup: "secops-analysts", adminGroup: "secops-admins" };

const BASE: SiemDomainArgs = {
    engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 }, retentionDays: 30,
    adminRoleArn: DEPLOYER, deployerRoleArn: DEPLOYER, writerRoleArns: [`arn:aws:iam::${ACCOUNT}:role/guardpost-writer`], accountId: ACCOUNT, region: "eu-west-1",
    stage: "dev", people: PEOPLE, providerRetry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 },
};

async function deploy(args: SiemDomainArgs): Promise<MockedResource[]> {
    return (await runMocked(() => { new SiemDomain("guardpost-siem", args, { provider: testProvider(ACCOUNT, "eu-west-1") }); })).resources;
}

function loadProvider(text: string): any {
    const dir = path.join(__dirname, ".serialized");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `signin-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, text);
    try { return require(file).handler(); } finally { fs.unlinkSync(file); }
}

describe("signing in to the SIEM: Cognito or SAML, analysts and admins", function () {
    this.timeout(120_000);
    let cognito: MockedResource[];
    const one = (rs: MockedResource[], type: string, name?: string) => {
        const r = rs.filter(x => x.type === type && (!name || x.name === name));
        expect(r, `${type} ${name ?? ""}`).to.have.length(1);
        return r[0];
    };

    before(async () => { cognito = await deploy(BASE); });

    it("a Cognito user pool with MFA required, admin-created accounts and a hosted sign-in domain", () => {
        const pool = one(cognito, "aws:cognito/userPool:UserPool").inputs;
        expect(pool).to.deep.include({ mfaConfiguration: "ON", softwareTokenMfaConfiguration: { enabled: true }, adminCreateUserConfig: { allowAdminCreateUserOnly: true }, region: "eu-west-1" });
        expect(one(cognito, "aws:cognito/userPoolDomain:UserPoolDomain").inputs.domain).to.equal(`guardpost-dev-${ACCOUNT}`);
        expect(one(cognito, "aws:cognito/identityPool:IdentityPool").inputs.allowUnauthenticatedIdentities).to.equal(false);
        const groups = cognito.filter(r => r.type === "aws:cognito/userGroup:UserGroup").map(r => r.inputs.name).sort();
        expect(groups).to.deep.equal(["secops-admins", "secops-analysts"]);
    });

    it("the CognitoAccessForAmazonOpenSearch role, group roles only the identity pool's signed-in users can assume, and the domain's cognitoOptions", () => {
        const service = one(cognito, "aws:iam/role:Role", "guardpost-siem-cognito-access").inputs;
        expect(JSON.parse(service.assumeRolePolicy).Statement[0].Principal).to.deep.equal({ Service: "opensearchservice.amazonaws.com" });
        expect(one(cognito, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs.policyArn).to.equal("arn:aws:iam::aws:policy/AmazonOpenSearchServiceCognitoAccess");
        for (const who of ["analyst", "admin", "signed-in"]) {
            const trust = JSON.parse(one(cognito, "aws:iam/role:Role", `guardpost-siem-people-${who}`).inputs.assumeRolePolicy).Statement[0];
            expect(trust.Principal).to.deep.equal({ Federated: "cognito-identity.amazonaws.com" });
            expect(trust.Condition["ForAnyValue:StringLike"]).to.deep.equal({ "cognito-identity.amazonaws.com:amr": "authenticated" });
            expect(trust.Condition.StringEquals["cognito-identity.amazonaws.com:aud"]).to.be.a("string");
        }
        const domain = one(cognito, "aws:opensearch/domain:Domain").inputs;
        expect(domain.cognitoOptions).to.include({ enabled: true });
        expect(domain.cognitoOptions.roleArn).to.match(/role\/guardpost\/CognitoAccessForAmazonOpenSearch-dev$/);
        // The deployer stays the master user, for automation.
        expect(domain.advancedSecurityOptions.masterUserOptions).to.deep.equal({ masterUserArn: DEPLOYER });
    });

    it("the domain policy lets the group roles in (not the no-group role), and FGAC maps analysts and admins", () => {
        const policy = JSON.parse(one(cognito, "aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
        const people = policy.Statement.find((s: any) => s.Sid === "People");
        expect(people.Principal.AWS).to.have.length(2);
        expect(people.Principal.AWS.every((a: string) => /^arn:aws:iam::222222222222:role\/.*guardpost-siem-people-(analyst|admin)/.test(a))).to.equal(true);
        expect(JSON.stringify(policy)).to.not.contain("people-signed-in");
        const mappings = cognito.filter(r => r.type.endsWith(":RoleMapping")).map(r => [r.inputs.role, r.inputs.mode, r.inputs.backendRoles]);
        const analystArn = people.Principal.AWS.find((a: string) => a.includes("analyst"));
        const adminArn = people.Principal.AWS.find((a: string) => a.includes("admin"));
        // Each role ARN is mapped as IAM names it and without its /guardpost/ path (fgacBackendRoles).
        const forms = (...arns: string[]) => fgacBackendRoles(arns);
        expect(forms(analystArn)).to.have.length(2);
        expect(mappings).to.deep.include.members([
            ["guardpost_analyst", "own", forms(analystArn)],
            ["opensearch_dashboards_user", "merge", forms(analystArn)],
            ["security_analytics_read_access", "merge", forms(analystArn)],
            ["all_access", "merge", forms(DEPLOYER, adminArn)],
            ["security_manager", "merge", forms(DEPLOYER, adminArn)],
        ]);
        const role = cognito.find(r => r.type.endsWith(":Role") && r.inputs.name === "guardpost_analyst")!.inputs;
        expect(role.indexPermissions[0].index_patterns).to.deep.equal(LOG_KINDS.map(k => `${k}-*`));
        const granted = [...role.clusterPermissions, ...role.indexPermissions.flatMap((p: any) => p.allowed_actions)];
        for (const g of granted) expect(g).to.not.match(/restapi|write|delete|manage|^\*$|all/);
    });

    it("SAML instead: the IdP metadata on the domain, group names mapped in FGAC, browsers admitted only from allowedCidrs — which the policy pack accepts", async () => {
        const metadata = path.join(__dirname, ".serialized", "idp-metadata.xml");
        fs.mkdirSync(path.dirname(metadata), { recursive: true });
        fs.writeFileSync(metadata, '<md:EntityDescriptor entityID="https://idp.example.com" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>');
        const saml = await deploy({ ...BASE, saml: { entityId: "https://idp.example.com", metadataFile: metadata, rolesKey: "groups", sessionTimeoutMinutes: 60 }, allowedCidrs: ["203.0.113.0/24"] });
        const opts = one(saml, "aws:opensearch/domainSamlOptions:DomainSamlOptions").inputs.samlOptions;
        expect(opts).to.deep.include({ enabled: true, rolesKey: "groups", sessionTimeoutMinutes: 60 });
        expect(opts.idp.metadataContent).to.contain('entityID="https://idp.example.com"');
        expect(saml.filter(r => r.type.startsWith("aws:cognito/"))).to.deep.equal([]);
        const mappings = saml.filter(r => r.type.endsWith(":RoleMapping")).map(r => [r.inputs.role, r.inputs.backendRoles]);
        expect(mappings).to.deep.include.members([["guardpost_analyst", ["secops-analysts"]], ["all_access", [DEPLOYER, "secops-admins"]]]);
        const policyDoc = one(saml, "aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies;
        const browsers = JSON.parse(policyDoc).Statement.find((s: any) => s.Sid === "SamlBrowsers");
        expect(browsers).to.deep.include({ Principal: { AWS: "*" }, Condition: { IpAddress: { "aws:SourceIp": ["203.0.113.0/24"] } } });
        const rule = resourceRules.find(r => r.name === "opensearch-access-policy-no-public-principal")!;
        expect(rule.check({ type: "aws:opensearch/domainPolicy:DomainPolicy", props: { accessPolicies: policyDoc } } as any)).to.deep.equal([]);
        const open = JSON.stringify({ Statement: [{ ...browsers, Condition: undefined }] });
        expect(rule.check({ type: "aws:opensearch/domainPolicy:DomainPolicy", props: { accessPolicies: open } } as any)).to.have.length(1);
        expect(() => new SiemDomain("guardpost-x", { ...BASE, saml: { entityId: "e", metadataFile: metadata, rolesKey: "groups", sessionTimeoutMinutes: 60 } })).to.throw(/SAML sign-in needs allowedCidrs/);
    });

    describe("against the peer, which enforces FGAC on every request", () => {
        let peer: OpenSearchPeer;
        let saved: Record<string, string | undefined>;
        let analystArn: string;
        let adminArn: string;

        async function as<T>(who: keyof typeof KEYS, fn: (client: any, conn: any) => Promise<T>): Promise<T> {
            process.env.AWS_ACCESS_KEY_ID = KEYS[who][0];
            process.env.AWS_SECRET_ACCESS_KEY = KEYS[who][1];
            const conn = { endpoint: peer.url, region: "eu-west-1" };
            const client = createClient(conn);
            try { return await fn(client, conn); } finally { await client.close?.(); }
        }
        const status = (who: keyof typeof KEYS, req: any) => as(who, (c, conn) => send(c, conn, req, [400, 403, 404]).then(r => r.statusCode, e => e.statusCode));

        before(async () => {
            saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
            for (const k of ENV_KEYS) delete process.env[k];
            process.env.AWS_EC2_METADATA_DISABLED = "true";
            const policy = JSON.parse(one(cognito, "aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
            const people: string[] = policy.Statement.find((s: any) => s.Sid === "People").Principal.AWS;
            analystArn = people.find(a => a.includes("analyst"))!;
            adminArn = people.find(a => a.includes("admin"))!;
            peer = await OpenSearchPeer.start({ masterBackendRoles: [DEPLOYER] });
            peer.requireAuth("sigv4", {
                credentials: { accessKeyId: KEYS.deployer[0], secretAccessKey: KEYS.deployer[1] },
                identities: {
                    [KEYS.analyst[0]]: { secretAccessKey: KEYS.analyst[1], roleArn: analystArn },
                    [KEYS.admin[0]]: { secretAccessKey: KEYS.admin[1], roleArn: adminArn },
                    [KEYS.nobody[0]]: { secretAccessKey: KEYS.nobody[1], roleArn: `arn:aws:iam::${ACCOUNT}:role/guardpost/guardpost-siem-people-signed-in` },
                },
            });
            process.env.AWS_ACCESS_KEY_ID = KEYS.deployer[0];
            process.env.AWS_SECRET_ACCESS_KEY = KEYS.deployer[1];
            // Apply what SiemDomain declares, as the deployer (the master user), in dependency order.
            const order = ["AuditConfig", "Role", "IndexTemplate", "IsmPolicy", "RoleMapping", "IndexBootstrap", "DashboardsObject", "AnomalyDetector"];
            const dyn = cognito.filter(r => r.type.startsWith("pulumi-nodejs:dynamic/opensearch:"))
                .sort((a, b) => order.indexOf(a.type.split(":")[2]) - order.indexOf(b.type.split(":")[2]) || (a.inputs.objectType === "dashboard" ? 1 : 0) - (b.inputs.objectType === "dashboard" ? 1 : 0));
            for (const r of dyn) {
                const { roleArn, ...inputs } = { ...r.inputs, endpoint: peer.url };
                await loadProvider(r.inputs.__provider).create(inputs);
            }
            await as("deployer", (c, conn) => send(c, conn, { method: "PUT", path: "/cloudtrail-2025-01/_doc/e1", body: { "@timestamp": "2025-01-10T00:00:00Z", eventName: "ConsoleLogin" } }));
        });
        after(async () => {
            await peer?.close();
            for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
        });

        it("an analyst reads and searches the logs and opens the dashboards", async () => {
            expect(await status("analyst", { method: "GET", path: "/cloudtrail-2025-01/_doc/e1" })).to.equal(200);
            expect(await status("analyst", { method: "GET", path: "/cloudtrail-*/_count" })).to.equal(200);
            expect(await status("analyst", { method: "GET", path: "/_dashboards/api/saved_objects/dashboard/guardpost-cloudtrail" })).to.equal(200);
            expect(await status("analyst", { method: "GET", path: "/_cluster/health" })).to.equal(200);
        });

        it("an analyst cannot change the security config, the logs or the index templates", async () => {
            expect(await status("analyst", { method: "PUT", path: "/_plugins/_security/api/rolesmapping/all_access", body: { backend_roles: [analystArn] } })).to.equal(403);
            expect(await status("analyst", { method: "PUT", path: "/_plugins/_security/api/roles/guardpost_analyst", body: { cluster_permissions: ["*"] } })).to.equal(403);
            expect(await status("analyst", { method: "GET", path: "/_plugins/_security/api/rolesmapping" })).to.equal(403);
            expect(await status("analyst", { method: "DELETE", path: "/cloudtrail-2025-01" })).to.equal(403);
            expect(await status("analyst", { method: "PUT", path: "/cloudtrail-2025-01/_doc/forged", body: { eventName: "x" } })).to.equal(403);
            expect(await status("analyst", { method: "PUT", path: "/_index_template/guardpost-cloudtrail", body: { index_patterns: ["x-*"] } })).to.equal(403);
            expect(peer.security.rolesMapping.get("all_access")!.backend_roles).to.not.include(analystArn);
        });

        it("an admin may change the security config; a signed-in user in no group may do nothing", async () => {
            expect(await status("admin", { method: "GET", path: "/_plugins/_security/api/rolesmapping" })).to.equal(200);
            expect(await status("admin", { method: "PUT", path: "/_plugins/_security/api/roles/incident_readers", body: { cluster_permissions: [], index_permissions: [] } })).to.be.oneOf([200, 201]);
            expect(await status("nobody", { method: "GET", path: "/cloudtrail-2025-01/_doc/e1" })).to.equal(403);
            expect(await status("nobody", { method: "GET", path: "/_dashboards/api/saved_objects/dashboard/guardpost-cloudtrail" })).to.equal(403);
        });

        it("the writer role may write the log indices and read nothing; a request signed for another service than es is refused", async () => {
            const writer = `arn:aws:iam::${ACCOUNT}:role/guardpost-writer`;
            expect(peer.security.rolesMapping.get("guardpost_log_writer")!.backend_roles).to.deep.equal([writer]);
            const aws4 = require("aws4");
            const signed = aws4.sign({ host: new URL(peer.url).host, path: "/cloudtrail-2025-01/_doc/e1", method: "GET", service: "aoss", region: "eu-west-1" },
                { accessKeyId: KEYS.analyst[0], secretAccessKey: KEYS.analyst[1] });
            const res = await fetch(`${peer.url}/cloudtrail-2025-01/_doc/e1`, { headers: signed.headers });
            expect(res.status).to.equal(403);
            expect(await res.text()).to.contain("Credential should be scoped to correct service: 'es'");
        });
    });
});
