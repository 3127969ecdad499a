import { expect } from "chai";
import {
    assumeRoleRefused, OPENSEARCH_PROVIDER_SESSION, providerSessionName, SAMPLE_FINDINGS_SESSION, sessionName, sessionNameCondition,
} from "../model/sessionName";
import { runPlan } from "../plan/plan";
import { trustAllows } from "./support/stsPeer";

const CI = "arn:aws:iam::111111111111:role/guardpost-ci";
const trust = (condition: object) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: CI }, Action: ["sts:AssumeRole", "sts:TagSession"], Condition: condition }] });

describe("one session-name scheme for every AssumeRole", function () {
    this.timeout(300_000);

    it("admits every session name guardpost uses — each stack's providers, the OpenSearch providers, sample-findings", async () => {
        const names = [OPENSEARCH_PROVIDER_SESSION, SAMPLE_FINDINGS_SESSION];
        for (const stack of ["dev", "prod"]) {
            const report = await runPlan(stack);
            for (const p of report.resources.filter(r => r.type === "pulumi:providers:aws")) {
                const roles = JSON.parse(p.inputs.assumeRoles);
                expect(roles, p.name).to.have.length(1);
                names.push(roles[0].sessionName);
            }
        }
        expect(new Set(names)).to.deep.equal(new Set(["guardpost-opensearch", "guardpost-sample-findings", "guardpost-dev", "guardpost-prod"]));
        for (const name of names) expect(trustAllows(trust(sessionNameCondition()), CI, name), name).to.equal(true);
    });

    it("admits nothing without the prefix, and no other caller", () => {
        for (const name of ["opensearch", "admin-guardpost-x", "Guardpost-prod"]) expect(trustAllows(trust(sessionNameCondition()), CI, name), name).to.equal(false);
        expect(trustAllows(trust(sessionNameCondition()), "arn:aws:iam::999999999999:role/other", "guardpost-prod")).to.equal(false);
    });

    it("shows why the old trust condition broke the SIEM deploy: it admitted only the providers' own session", () => {
        const old = trust({ StringEquals: { "sts:RoleSessionName": "guardpost-prod" } });
        expect(trustAllows(old, CI, providerSessionName("prod"))).to.equal(true);
        expect(trustAllows(old, CI, OPENSEARCH_PROVIDER_SESSION)).to.equal(false);
        expect(trustAllows(old, CI, SAMPLE_FINDINGS_SESSION)).to.equal(false);
    });

    it("refuses a name STS would refuse, before any call", () => {
        expect(() => sessionName("has space")).to.throw(/not one STS accepts/);
        expect(() => sessionName("x".repeat(60))).to.throw(/not one STS accepts/);
    });

    it("explains a refusal with the role, the session name and the fix", () => {
        const e = assumeRoleRefused("arn:aws:iam::1:role/r", "guardpost-opensearch", "AccessDenied: User: x is not authorized");
        expect(e.message).to.contain("assume arn:aws:iam::1:role/r as session 'guardpost-opensearch'");
        expect(e.message).to.contain('{"StringLike": {"sts:RoleSessionName": "guardpost-*"}}');
        expect(e.message).to.contain("npm run deployer-role -- --stack <stack> --account <name> --json");
    });
});
