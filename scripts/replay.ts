/**
 * `npm run replay -- --stack S [--source cloudtrail|vpcflow|waf|dns|securityhub] [--since T] [--outputs outputs.json]`
 * Wiring only (the logic is in replayLib.ts): the stack's config and outputs say where records are parked and
 * where the SIEM is; every account is reached through its deployer role as session `guardpost-replay`, and the
 * SIEM is written as the security account's deployer role (the FGAC master user).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseConfig } from "../config";
import { REPLAY_SESSION } from "../model/sessionName";
import { deployerCredentials } from "./deployerCredentials";
import { readStackFile } from "../stackFile";
import { formatSummary, MessageQueue, ObjectStore, ParkingPlace, parseReplayArgs, progressBar, replay, REPLAY_SOURCES } from "./replayLib";

function credentials(roleArn: string, region: string): any {
    return deployerCredentials(roleArn, REPLAY_SESSION, region);
}

function s3Store(region: string, roleArn: string): ObjectStore {
    const { S3Client, ListObjectsV2Command, GetObjectCommand, PutObjectCommand, DeleteObjectCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({ region, credentials: credentials(roleArn, region) });
    return {
        async list(bucket, prefix) {
            const out: Array<{ key: string; lastModified: Date }> = [];
            let token: string | undefined;
            do {
                const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
                for (const o of res.Contents ?? []) out.push({ key: o.Key, lastModified: o.LastModified });
                token = res.IsTruncated ? res.NextContinuationToken : undefined;
            } while (token);
            return out;
        },
        async get(bucket, key) { return Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToByteArray()); },
        async put(bucket, key, body) { await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })); },
        async delete(bucket, key) { await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })); },
    };
}

function sqsQueue(region: string, roleArn: string): MessageQueue {
    const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = require("@aws-sdk/client-sqs");
    const sqs = new SQSClient({ region, credentials: credentials(roleArn, region) });
    return {
        async receive(url) {
            // Received messages stay invisible for 15 minutes: long enough to replay them; those not deleted come back.
            const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 900, MessageSystemAttributeNames: ["SentTimestamp"] }));
            return (res.Messages ?? []).map((m: any) => ({ receipt: m.ReceiptHandle, body: m.Body, sentAt: new Date(Number(m.Attributes?.SentTimestamp ?? 0)) }));
        },
        async delete(url, receipt) { await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receipt })); },
    };
}

function bulkSend(endpoint: string, region: string, roleArn: string) {
    const { Client } = require("@opensearch-project/opensearch");
    const { AwsSigv4Signer } = require("@opensearch-project/opensearch/aws");
    const client = new Client({ ...AwsSigv4Signer({ region, service: "es", getCredentials: credentials(roleArn, region) }), node: endpoint, maxRetries: 0 });
    return async (ndjson: string, timeoutMs: number) => {
        try {
            const res = await client.bulk({ body: ndjson }, { requestTimeout: timeoutMs });
            return { status: res.statusCode, body: res.body };
        } catch (e: any) {
            if (typeof e?.meta?.statusCode === "number") return { status: e.meta.statusCode, body: e.meta.body };
            throw e;
        }
    };
}

async function main(argv: string[]): Promise<number> {
    const args = parseReplayArgs(argv);
    if ("error" in args) { console.error(`replay: ${args.error}`); return 1; }
    const cfg = parseConfig(readStackFile(args.stack).config);
    const outputs = JSON.parse(args.outputsFile ? fs.readFileSync(args.outputsFile, "utf8")
        : execFileSync("pulumi", ["stack", "output", "--json", "--stack", args.stack], { encoding: "utf8" }));
    const places: ParkingPlace[] = [];
    for (const account of cfg.accounts) {
        for (const [region, parked] of Object.entries<any>(outputs.logParking?.[account.name] ?? {})) places.push({ account: account.name, region, ...parked });
    }
    const roleOf = (name: string) => cfg.accounts.find(a => a.name === name)!.roleArn;
    const summary = await replay(places, args, {
        store: p => s3Store(p.region, roleOf(p.account)),
        queue: p => sqsQueue(p.region, roleOf(p.account)),
        send: bulkSend(outputs.siemEndpoint, cfg.homeRegion, cfg.securityAccount.roleArn),
        period: cfg.siem.indexPeriod,
        progress: p => process.stderr.write(`\r${progressBar(p)}`),
    });
    process.stderr.write("\n");
    for (const line of formatSummary(summary)) console.log(line);
    return REPLAY_SOURCES.some(s => summary[s].stillFailing > 0) ? 2 : 0;
}

main(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
    console.error(`replay: ${(e as Error).message}`);
    process.exitCode = 1;
});
