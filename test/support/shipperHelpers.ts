import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsClientStub } from "aws-sdk-client-mock";
import { dailyIndex } from "../../functions/cloudtrail-shipper/indexName";

/** Helpers shared by the shipper's fake-dependency and peer suites. */

export interface Logged { level: string; msg: string; fields?: Record<string, unknown> }

/** The (index, _id) pairs a set of records must end up under: duplicates of an eventID collapse. */
export function expectedKeys(records: any[], logEvents: Array<{ id: string }>, prefix = "cloudtrail"): Set<string> {
    return new Set(records.map((r, i) => `${dailyIndex(prefix, new Date(r.eventTime))}/${r.eventID ?? logEvents[i].id}`));
}

export function putKeys(s3: AwsClientStub<S3Client>): string[] {
    return s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key as string);
}

export function putBodies(s3: AwsClientStub<S3Client>): any[] {
    return s3.commandCalls(PutObjectCommand).map((c) => JSON.parse(String(c.args[0].input.Body)));
}

export async function rejectionOf(p: Promise<unknown>): Promise<any> {
    try { await p; } catch (err) { return err; }
    throw new Error("expected the promise to reject");
}
