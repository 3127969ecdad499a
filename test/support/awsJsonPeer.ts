import * as http from "http";
import { AddressInfo } from "net";
import { signatureMatches, signatureTimeProblem } from "./sigv4Check";

/**
 * A loopback stand-in for AWS JSON-protocol services (SSM, DynamoDB): POST `/` with the operation in
 * `X-Amz-Target` (`AmazonSSM.GetParameter`, `DynamoDB_20120810.GetItem`) and a JSON body
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html). A test
 * scripts what each operation answers; unscripted operations get the service's UnknownOperationException.
 * Errors are sent as the services send them: an HTTP 4xx/5xx with `{"__type": "...#Name", "message"}`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 * Requests without a SigV4 Authorization header are refused with 403 MissingAuthenticationTokenException;
 * a signing time more than five minutes from the service's clock with 400 InvalidSignatureException
 * "Signature expired" (sigv4Check.ts; the services answer it with 400, e.g. https://github.com/aws/aws-sdk-js/issues/254);
 * and with `credentials` the signature itself is checked (by aws4, an independent implementation).
 * `clockOffsetMs` sets the service's clock against this machine's; responses carry it in `Date`.
 */

export interface AwsJsonRequest {
    target: string;
    operation: string;
    input: any;
    headers: http.IncomingHttpHeaders;
}

export type AwsJsonReply = { status?: number; body: unknown } | { hang: true };
export type AwsJsonScript = (input: any, request: AwsJsonRequest) => AwsJsonReply;

export interface AwsJsonPeer {
    url: string;
    requests: AwsJsonRequest[];
    /** What `operation` answers from now on (replaces an earlier script for it). */
    on(operation: string, script: AwsJsonScript): void;
    reset(): void;
    close(): Promise<void>;
}

/** `{__type, message}` as the JSON-protocol services send an exception. */
export function awsError(type: string, message: string, status = 400): AwsJsonReply {
    return { status, body: { __type: type, message } };
}

export async function startAwsJsonPeer(opts: { credentials?: { accessKeyId: string; secretAccessKey: string }; clockOffsetMs?: number } = {}): Promise<AwsJsonPeer> {
    const requests: AwsJsonRequest[] = [];
    const scripts = new Map<string, AwsJsonScript>();
    const sockets = new Set<import("net").Socket>();
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const target = String(req.headers["x-amz-target"] ?? "");
            const operation = target.slice(target.indexOf(".") + 1);
            let input: any;
            try { input = text ? JSON.parse(text) : {}; } catch { input = undefined; }
            const record: AwsJsonRequest = { target, operation, input, headers: req.headers };
            requests.push(record);
            const send = (status: number, body: unknown) => {
                const out = JSON.stringify(body);
                res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(out), date: new Date(Date.now() + (opts.clockOffsetMs ?? 0)).toUTCString() });
                res.end(out);
            };
            if (!/^AWS4-HMAC-SHA256 Credential=\S+, ?SignedHeaders=\S+, ?Signature=[0-9a-f]{64}$/.test(String(req.headers.authorization ?? ""))) {
                return send(403, { __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" });
            }
            const late = signatureTimeProblem(req, Date.now() + (opts.clockOffsetMs ?? 0));
            if (late) return send(400, { __type: "InvalidSignatureException", message: late });
            if (opts.credentials && !signatureMatches(req, text, opts.credentials)) {
                return send(403, { __type: "InvalidSignatureException", message: "The request signature we calculated does not match the signature you provided." });
            }
            if (input === undefined) return send(400, { __type: "SerializationException", message: "Start of structure or map found where not expected." });
            const script = scripts.get(operation);
            if (!script) return send(400, { __type: "UnknownOperationException", message: `unscripted operation ${target}` });
            const reply = script(input, record);
            if ("hang" in reply) return;
            send(reply.status ?? 200, reply.body);
        });
    });
    server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        on: (operation, script) => { scripts.set(operation, script); },
        reset: () => { requests.length = 0; scripts.clear(); },
        close: () => {
            for (const s of sockets) s.destroy();
            return new Promise((resolve) => server.close(() => resolve()));
        },
    };
}
