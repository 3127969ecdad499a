import { expect } from "chai";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

const load = (file: string): any => yaml.load(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", file), "utf8"));
const steps = (job: any): any[] => job.steps ?? [];
const uses = (job: any, action: string) => steps(job).filter(s => typeof s.uses === "string" && s.uses.startsWith(action));

describe("GitHub workflows", () => {
    const pr = load("pull-request.yml");
    const deploy = load("deploy.yml");

    it("pull requests: test, then preview every stack with the policy pack, commented on the PR", () => {
        expect(pr.on).to.have.property("pull_request");
        expect(steps(pr.jobs.test).map(s => s.run)).to.include("npm test");
        // The fixtures live in the repository: one checkout, no second repository, no working-directory juggling.
        expect(uses(pr.jobs.test, "actions/checkout@")).to.have.length(1);
        expect(JSON.stringify(pr)).to.not.match(/FIXTURES_REPO|shared\/fixtures/);
        expect(pr.jobs.preview.needs).to.equal("test");
        expect(pr.jobs.preview.strategy.matrix.stack).to.deep.equal(["dev", "prod"]);
        // Pull-request code gets stack credentials only inside its own environment (an OIDC subject the CI role
        // trusts, and a reviewer for prod), never as a bare pull_request.
        expect(pr.jobs.preview.environment).to.equal("preview-${{ matrix.stack }}");
        const [pulumi] = uses(pr.jobs.preview, "pulumi/actions@");
        expect(pulumi.with).to.include({ command: "preview", policyPacks: "policy", "comment-on-pr": true });
    });

    it("main: pulumi up per stack behind a protected environment, one at a time", () => {
        expect(deploy.on.push.branches).to.deep.equal(["main"]);
        expect(deploy.jobs.up.environment).to.equal("${{ matrix.stack }}");
        expect(deploy.jobs.up.strategy["max-parallel"]).to.equal(1);
        const [pulumi] = uses(deploy.jobs.up, "pulumi/actions@");
        expect(pulumi.with).to.include({ command: "up", policyPacks: "policy" });
    });

    it("reach AWS only through OIDC: id-token permission, a role to assume, no long-lived keys", () => {
        for (const [wf, job] of [[pr, pr.jobs.preview], [deploy, deploy.jobs.up]]) {
            expect(wf.permissions["id-token"]).to.equal("write");
            const [creds] = uses(job, "aws-actions/configure-aws-credentials@");
            expect(creds.with["role-to-assume"]).to.match(/AWS_ROLE_ARN_/);
            expect(JSON.stringify(wf)).to.not.match(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
        }
    });
});
