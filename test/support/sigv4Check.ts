import * as http from "http";

/**
 * What the loopback AWS peers check of a SigV4 request before its signature, as AWS does:
 * - the credential scope's date is the date of `x-amz-date`;
 * - `x-amz-date` is within five minutes of the service's clock: "In most cases, a request must reach AWS
 *   within five minutes of the time stamp in the request. Otherwise, AWS denies the request."
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-signing.html). The refusals read as AWS
 *   words them (e.g. "Signature expired: 20160610T180547Z is now earlier than 20160610T180612Z
 *   (20160610T181112Z - 5 min.)", quoted in https://github.com/aws/aws-sdk-js/issues/573 and
 *   https://github.com/hassy/artillery-dino/issues/2).
 * The signature itself is then re-computed by aws4 (an independent implementation) from the request as
 * received: method, path and query as sent, the signed headers, the body.
 */

export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

function basic(ms: number): string {
    return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

function parseAmzDate(text: string): number | undefined {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** The refusal of a request's signing time at the service's clock `serviceNow`, or undefined when it is acceptable. */
export function signatureTimeProblem(req: http.IncomingMessage, serviceNow: number): string | undefined {
    const amz = String(req.headers["x-amz-date"] ?? "");
    const signedAt = parseAmzDate(amz);
    const scopeDate = /Credential=[^/]+\/(\d{8})\//.exec(String(req.headers.authorization ?? ""))?.[1];
    if (signedAt === undefined) return "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
    if (scopeDate !== amz.slice(0, 8)) return `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amz.slice(0, 8)}', from '${amz}'.`;
    if (signedAt < serviceNow - SIGNATURE_WINDOW_MS) {
        return `Signature expired: ${amz} is now earlier than ${basic(serviceNow - SIGNATURE_WINDOW_MS)} (${basic(serviceNow)} - 5 min.)`;
    }
    if (signedAt > serviceNow + SIGNATURE_WINDOW_MS) {
        return `Signature not yet current: ${amz} is still later than ${basic(serviceNow + SIGNATURE_WINDOW_MS)} (${basic(serviceNow)} + 5 min.)`;
    }
    return undefined;
}

/** Re-signs the request as received (signed headers only, path and query as sent) with aws4 and compares. */
export function signatureMatches(req: http.IncomingMessage, body: string, creds: { accessKeyId: string; secretAccessKey: string }): boolean {
    const auth = String(req.headers.authorization);
    const [, accessKeyId, , region, service] = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth) ?? [];
    const signedHeaders = /SignedHeaders=([^,\s]+)/.exec(auth)?.[1].split(";") ?? [];
    if (accessKeyId !== creds.accessKeyId) return false;
    const headers: Record<string, string> = {};
    for (const h of signedHeaders) headers[h] = String(req.headers[h] ?? "");
    const aws4 = require("aws4");
    const signer = new aws4.RequestSigner({ method: req.method, host: headers.host, path: req.url, headers, body: body || undefined,
        service, region, doNotModifyHeaders: true }, { accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: headers["x-amz-security-token"] });
    // The signing time is the request's x-amz-date, not the moment we verify (doNotModifyHeaders skips reading it).
    signer.datetime = headers["x-amz-date"];
    return signer.sign().headers.Authorization === auth;
}
