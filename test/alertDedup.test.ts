import { expect } from "chai";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient, GetItemCommand, PutItemCommand, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
    decide, DEDUP_HASH_KEY, DEDUP_TTL_ATTRIBUTE, DEDUP_TTL_SECONDS, dedupKey, DedupRecord, dynamoDedupStore, nextRecord,
    parseQuietMinutes,
} from "../functions/telegram-alert/dedup";

const HOUR = 3_600_000;

describe("dedup decision", () => {
    const prev: DedupRecord = { key: "k", severity: 5, count: 3, alertedAt: 1_000_000 };

    it("alerts on a finding id it has never seen", () => {
        expect(decide(undefined, { severity: 2, count: 1 }, 0, HOUR)).to.deep.equal({ alert: true, reason: "new" });
    });

    it("suppresses the same id at the same count and severity", () => {
        expect(decide(prev, { severity: 5, count: 3 }, prev.alertedAt + 10 * HOUR, HOUR)).to.deep.equal({ alert: false, reason: "unchanged" });
    });

    it("holds a growing count inside the quiet period", () => {
        expect(decide(prev, { severity: 5, count: 9 }, prev.alertedAt + HOUR - 1, HOUR)).to.deep.equal({ alert: false, reason: "quiet-period" });
    });

    it("alerts on a growing count once the quiet period has passed", () => {
        expect(decide(prev, { severity: 5, count: 4 }, prev.alertedAt + HOUR, HOUR)).to.deep.equal({ alert: true, reason: "repeat" });
    });

    it("alerts on a higher severity at once, even inside the quiet period", () => {
        expect(decide(prev, { severity: 8, count: 3 }, prev.alertedAt + 1, HOUR)).to.deep.equal({ alert: true, reason: "escalation" });
    });

    it("does not treat a lower severity as news", () => {
        expect(decide(prev, { severity: 2, count: 3 }, prev.alertedAt + 10 * HOUR, HOUR).alert).to.equal(false);
    });

    it("records the highest severity and count seen, never lowering them", () => {
        expect(nextRecord("k", prev, { severity: 2, count: 1 }, 42)).to.deep.equal({ key: "k", severity: 5, count: 3, alertedAt: 42 });
        expect(nextRecord("k", undefined, { severity: 7, count: 2 }, 42)).to.deep.equal({ key: "k", severity: 7, count: 2, alertedAt: 42 });
    });

    it("keys by account, region and finding id", () => {
        expect(dedupKey({ accountId: "111111111111", region: "eu-west-1", id: "abc" })).to.equal("111111111111/eu-west-1/abc");
    });

    it("parses DEDUP_QUIET_MINUTES with a default of 60 and rejects garbage", () => {
        expect(parseQuietMinutes(undefined)).to.equal(60);
        expect(parseQuietMinutes("15")).to.equal(15);
        expect(parseQuietMinutes("0")).to.equal(0);
        expect(() => parseQuietMinutes("soon")).to.throw(/DEDUP_QUIET_MINUTES/);
        expect(() => parseQuietMinutes("-5")).to.throw(/DEDUP_QUIET_MINUTES/);
    });
});

describe("dynamoDedupStore", () => {
    let ddb: AwsClientStub<DynamoDBClient>;
    const store = () => dynamoDedupStore(new DynamoDBClient({ region: "us-east-1" }), { GetItemCommand, PutItemCommand }, "alerts-dedup");

    before(() => { ddb = mockClient(DynamoDBClient); });
    beforeEach(() => ddb.reset());
    after(() => ddb.restore());

    it("reads with a consistent GetItem on the hash key and maps the item", async () => {
        ddb.on(GetItemCommand).resolves({
            Item: { [DEDUP_HASH_KEY]: { S: "k" }, severity: { N: "5.5" }, findingCount: { N: "4" }, alertedAt: { N: "1700000000000" } },
        });
        expect(await store().get("k")).to.deep.equal({ key: "k", severity: 5.5, count: 4, alertedAt: 1_700_000_000_000 });
        const input = ddb.commandCalls(GetItemCommand)[0].args[0].input;
        expect(input).to.deep.equal({ TableName: "alerts-dedup", Key: { [DEDUP_HASH_KEY]: { S: "k" } }, ConsistentRead: true });
    });

    it("returns undefined for an absent item", async () => {
        ddb.on(GetItemCommand).resolves({});
        expect(await store().get("missing")).to.equal(undefined);
    });

    it("writes a conditional PutItem with a TTL 90 days after the alert", async () => {
        ddb.on(PutItemCommand).resolves({});
        await store().record({ key: "k", severity: 8, count: 2, alertedAt: 1_700_000_000_000 });
        const input: any = ddb.commandCalls(PutItemCommand)[0].args[0].input;
        expect(input.TableName).to.equal("alerts-dedup");
        expect(input.Item[DEDUP_HASH_KEY]).to.deep.equal({ S: "k" });
        expect(input.Item.severity).to.deep.equal({ N: "8" });
        expect(input.Item.findingCount).to.deep.equal({ N: "2" });
        expect(input.Item[DEDUP_TTL_ATTRIBUTE]).to.deep.equal({ N: String(1_700_000_000 + DEDUP_TTL_SECONDS) });
        expect(input.ConditionExpression).to.equal("attribute_not_exists(#pk) OR #alertedAt < :alertedAt");
        expect(input.ExpressionAttributeValues).to.deep.equal({ ":alertedAt": { N: "1700000000000" } });
    });

    it("treats a failed condition (a newer alert was recorded) as done", async () => {
        ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
        await store().record({ key: "k", severity: 8, count: 2, alertedAt: 1 });
        expect(ddb.commandCalls(PutItemCommand)).to.have.length(1);
    });

    it("propagates any other DynamoDB error", async () => {
        const err = Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" });
        ddb.on(PutItemCommand).rejects(err);
        let caught: any;
        await store().record({ key: "k", severity: 8, count: 2, alertedAt: 1 }).catch((e) => { caught = e; });
        expect(caught?.name).to.equal("ProvisionedThroughputExceededException");
    });
});
