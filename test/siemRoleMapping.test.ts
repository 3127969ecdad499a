import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { SiemDomain, SiemDomainArgs } from "../components/siem/siemDomain";
import { MAX_ROLE_MAPPINGS, openSearchRoleMappings } from "../components/siem/siemRoleMapping";
import { mockUserPoolClientId, RunResult, runMocked } from "../plan/engine";
import { testProvider } from "./support/providers";

/**
 * guardpost sets the identity pool's role mapping itself: after the domain exists (OpenSearch Service has then added
 * its app client to the user pool), it lists the pool's clients and maps each "role from token, DENY otherwise".
 */

const ACCOUNT = "222222222222";
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/guardpost-deployer`;
const BASE: SiemDomainArgs = {
    engineVersion: "OpenSearch_2.13", sizing: { instanceType: "m6g.large.search", instanceCount: 1, volumeSizeGiB: 20 }, retentionDays: 30,
    adminRoleArn: DEPLOYER, deployerRoleArn: DEPLOYER, writerRoleArns: [], accountId: ACCOUNT, region: "eu-west-1",
    stage: "dev", people: { analystGroup: "secops-analysts", adminGroup: "secops-admins" }, providerRetry: { initialDelayMs: 5, maxDelayMs: 10, timeoutSeconds: 5 },
};
const CLIENTS = "aws:cognito/getUserPoolClients:getUserPoolClients";

function deploy(args: SiemDomainArgs): Promise<RunResult> {
    // The provider's home is another region: the invoke must name the SIEM's region itself.
    return runMocked(() => { new SiemDomain("guardpost-siem", args, { provider: testProvider(ACCOUNT, "us-east-1") }); });
}

describe("the identity pool's role mapping for OpenSearch's app client", function () {
    this.timeout(120_000);
    let run: RunResult;
    before(async () => { run = await deploy(BASE); });
    const only = (type: string) => {
        const found = run.resources.filter(r => r.type === type);
        expect(found, type).to.have.length(1);
        return found[0];
    };

    it("one attachment: the no-access role as the default, and the client's Token mapping with DENY for users in no group", () => {
        const attachment = only("aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment");
        const pool = only("aws:cognito/userPool:UserPool");
        const identityPool = only("aws:cognito/identityPool:IdentityPool");
        expect(attachment.name).to.equal("guardpost-siem-identities-roles");
        expect(attachment.inputs.region).to.equal("eu-west-1");
        expect(attachment.inputs.identityPoolId).to.equal(identityPool.id);
        expect(attachment.inputs.roles.authenticated).to.match(/:role\/guardpost\/guardpost-siem-people-signed-in/);
        expect(attachment.inputs.roleMappings).to.deep.equal([{
            identityProvider: `cognito-idp.eu-west-1.amazonaws.com/${pool.id}:${mockUserPoolClientId(pool.id)}`,
            type: "Token", ambiguousRoleResolution: "Deny",
        }]);
    });

    it("the attachment waits for the domain, and its mapping comes from the client list read after it", () => {
        const attachment = only("aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment");
        const domain = only("aws:opensearch/domain:Domain");
        expect(attachment.dependsOn).to.include(domain.urn);
        // The invoke's result carries its dependsOn: the mapping is built from a read that waited for the domain.
        expect(attachment.propertyDependencies.roleMappings).to.include(domain.urn);
        expect(run.resources.indexOf(attachment)).to.be.greaterThan(run.resources.indexOf(domain));
    });

    it("lists the clients once, in the SIEM's region through the security account's provider, after the domain is registered", () => {
        const reads = run.invokes.filter(i => i.token === CLIENTS);
        expect(reads).to.have.length(1);
        const pool = only("aws:cognito/userPool:UserPool");
        expect(reads[0].inputs).to.deep.equal({ region: "eu-west-1", userPoolId: pool.id });
        expect(reads[0].provider).to.include({ account: ACCOUNT, region: "us-east-1" });
        expect(reads[0].resourcesBefore).to.be.greaterThan(run.resources.indexOf(only("aws:opensearch/domain:Domain")));
        expect(run.invokes.map(i => i.token), "no other invoke").to.deep.equal([CLIENTS]);
    });

    it("SAML sign-in declares no attachment and reads no clients", async () => {
        const metadata = path.join(__dirname, ".serialized", "rolemapping-idp-metadata.xml");
        fs.mkdirSync(path.dirname(metadata), { recursive: true });
        fs.writeFileSync(metadata, '<md:EntityDescriptor entityID="https://idp.example.com" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>');
        const saml = await deploy({ ...BASE, saml: { entityId: "https://idp.example.com", metadataFile: metadata, rolesKey: "groups", sessionTimeoutMinutes: 60 }, allowedCidrs: ["203.0.113.0/24"] });
        expect(saml.resources.filter(r => r.type.startsWith("aws:cognito/"))).to.deep.equal([]);
        expect(saml.invokes).to.deep.equal([]);
        const none = await deploy({ ...BASE, people: undefined });
        expect(none.resources.filter(r => r.type.startsWith("aws:cognito/"))).to.deep.equal([]);
        expect(none.invokes).to.deep.equal([]);
    });

    describe("openSearchRoleMappings", () => {
        const endpoint = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123";

        it("maps every client of the pool (one per domain using it), each once, Token with DENY", () => {
            expect(openSearchRoleMappings(endpoint, ["b2client", "a1client", "b2client"])).to.deep.equal([
                { identityProvider: `${endpoint}:a1client`, type: "Token", ambiguousRoleResolution: "Deny" },
                { identityProvider: `${endpoint}:b2client`, type: "Token", ambiguousRoleResolution: "Deny" },
            ]);
        });

        it("refuses a pool without clients, naming it (the domain did not add its client)", () => {
            expect(() => openSearchRoleMappings(endpoint, [])).to.throw(/user pool eu-west-1_AbC123 has no app client.*cognitoOptions/);
        });

        it(`refuses more clients than an identity pool takes mappings (${MAX_ROLE_MAPPINGS}), naming the pool`, () => {
            const ids = Array.from({ length: MAX_ROLE_MAPPINGS + 1 }, (_, i) => `client${i}`);
            expect(openSearchRoleMappings(endpoint, ids.slice(0, MAX_ROLE_MAPPINGS))).to.have.length(MAX_ROLE_MAPPINGS);
            expect(() => openSearchRoleMappings(endpoint, ids)).to.throw(/eu-west-1_AbC123 has 11 app clients.*at most 10/);
        });
    });
});
