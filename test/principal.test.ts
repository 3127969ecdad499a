import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { toCloudTrailDoc } from "../functions/cloudtrail-shipper/cloudtrailDoc";
import { principalOf } from "../functions/cloudtrail-shipper/principal";

/**
 * The anomaly detector splits CloudTrail by `principal`: the role behind an assumed-role session, else the
 * identity's own ARN, else the AWS service acting (userIdentity reference:
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
 * Checked on the real sample events in test/fixtures/cloudtrail (their PROVENANCE.md says where they come from).
 */
const FIXTURES = path.join(__dirname, "fixtures", "cloudtrail");
const records = ["aws_docs_example_events.json", "invictus_stratus_selected_events.json"]
    .flatMap(f => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), "utf8")).Records as any[]);

function shippedPrincipal(event: any): unknown {
    const r = toCloudTrailDoc({ id: "cwl-1", timestamp: Date.parse("2024-01-01T00:00:00Z"), message: JSON.stringify(event) }, { owner: "111122223333", logGroup: "trail" }, "ct", undefined, Date.now());
    if (!r.ok) throw new Error(r.reason);
    expect(JSON.parse(r.value.json ?? JSON.stringify(r.value.doc)).principal, "the text sent and the document agree").to.deep.equal(r.value.doc.principal);
    return r.value.doc.principal;
}

describe("principal: what the anomaly detector splits CloudTrail by", () => {
    it("an assumed-role session is its role (sessionIssuer.arn), the same for every session name", () => {
        const assumed = records.filter(r => r.userIdentity?.type === "AssumedRole" && r.userIdentity.sessionContext?.sessionIssuer?.arn);
        expect(assumed.length).to.be.greaterThan(3);
        for (const event of assumed) {
            expect(shippedPrincipal(event)).to.equal(event.userIdentity.sessionContext.sessionIssuer.arn);
            expect(shippedPrincipal(event)).to.not.equal(event.userIdentity.arn);
        }
        // Two sessions of one role (different session names) are one principal.
        const one = assumed[0];
        const other = { ...one, userIdentity: { ...one.userIdentity, arn: one.userIdentity.arn.replace(/[^/]+$/, "another-session"), principalId: "AROAEXAMPLE:another-session" } };
        expect(shippedPrincipal(other)).to.equal(shippedPrincipal(one));
    });

    it("an IAM user and the root user keep their own ARN; an AWS service acting on its own is named by invokedBy", () => {
        for (const type of ["IAMUser", "Root"]) {
            const events = records.filter(r => r.userIdentity?.type === type);
            expect(events.length, type).to.be.greaterThan(0);
            for (const event of events) expect(shippedPrincipal(event), type).to.equal(event.userIdentity.arn);
        }
        const service = records.filter(r => r.userIdentity?.type === "AWSService");
        expect(service.length).to.be.greaterThan(0);
        for (const event of service) expect(shippedPrincipal(event)).to.equal(event.userIdentity.invokedBy);
    });

    it("an event with no identity to name has no principal, in the document and in the text sent", () => {
        expect(principalOf(undefined)).to.equal(undefined);
        expect(principalOf({ type: "AWSAccount", accountId: "111122223333" })).to.equal(undefined);
        const none = records.find(r => !r.userIdentity) ?? { ...records[0], userIdentity: undefined };
        expect(shippedPrincipal({ ...none, userIdentity: undefined })).to.equal(undefined);
    });
});
