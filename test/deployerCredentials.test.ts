import { expect } from "chai";
import { deployerCredentials } from "../scripts/deployerCredentials";
import { CHECK_SUBSCRIPTIONS_SESSION, REPLAY_SESSION, sessionNameCondition } from "../model/sessionName";
import { startStsPeer } from "./support/stsPeer";

const KEY = "AKIDGUARDPOSTSCRIPTS1";
const SECRET = "scripts-test-secret-not-real";
const CALLER = "arn:aws:iam::111111111111:role/guardpost-ci-prod";
const ROLE = "arn:aws:iam::222222222222:role/guardpost-deployer";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"];

describe("npm run replay / check-subscriptions: the deployer role's credentials", () => {
    let saved: Record<string, string | undefined>;
    beforeEach(() => {
        saved = Object.fromEntries(ENV_KEYS.map(k => [k, process.env[k]]));
        for (const k of ENV_KEYS) delete process.env[k];
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: "true" });
    });
    afterEach(() => { for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } });

    const trust = (condition: object) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: CALLER }, Action: ["sts:AssumeRole", "sts:TagSession"], Condition: condition }] });

    it("assume the role with their guardpost- session name, which the printed trust policy admits", async () => {
        const sts = await startStsPeer({ trustPolicies: { [ROLE]: trust(sessionNameCondition()) }, principals: { [KEY]: CALLER } });
        try {
            for (const session of [REPLAY_SESSION, CHECK_SUBSCRIPTIONS_SESSION]) {
                const creds = await deployerCredentials(ROLE, session, "us-east-1", { endpoint: sts.url })();
                expect(creds.accessKeyId).to.be.a("string").and.not.equal(KEY);
                expect(creds.sessionToken).to.be.a("string");
            }
            expect(sts.calls.map(c => [c.sessionName, c.allowed])).to.deep.equal([[REPLAY_SESSION, true], [CHECK_SUBSCRIPTIONS_SESSION, true]]);
        } finally {
            await sts.close();
        }
    });

    it("fail at once when STS refuses, naming the role, the session name and the fix", async () => {
        // A trust policy that admits only another session name: STS answers AccessDenied.
        const sts = await startStsPeer({ trustPolicies: { [ROLE]: trust({ StringEquals: { "sts:RoleSessionName": "guardpost-prod" } }) }, principals: { [KEY]: CALLER } });
        try {
            let err: any;
            try { await deployerCredentials(ROLE, REPLAY_SESSION, "us-east-1", { endpoint: sts.url })(); } catch (e) { err = e; }
            expect(err?.name).to.equal("AssumeRoleRefused");
            expect(err.message).to.contain(`assume ${ROLE} as session '${REPLAY_SESSION}'`);
            expect(err.message).to.contain("AccessDenied");
            expect(err.message).to.contain("npm run deployer-role -- --stack <stack> --account <name> --json");
            expect(sts.calls).to.have.length(1);
        } finally {
            await sts.close();
        }
    });
});
