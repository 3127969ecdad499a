import * as http from "http";
import { AddressInfo } from "net";

/**
 * A loopback STS that answers AssumeRole the way STS decides it: the role's trust policy must allow
 * `sts:AssumeRole` for the calling principal, and its conditions on `sts:RoleSessionName` must hold.
 * - Request: the Query API form (`Action=AssumeRole&RoleArn=…&RoleSessionName=…`), signed with SigV4; the
 *   caller is found from the access key in the Authorization header
 *   (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 * - Refusal: HTTP 403 with an `ErrorResponse` whose code is `AccessDenied` and whose message reads
 *   "User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>"
 *   (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html; the message is the one IAM
 *   documents in "Troubleshooting IAM roles").
 * - Conditions: `StringEquals` and `StringLike` (`*` and `?` wildcards) on `sts:RoleSessionName`, the
 *   operators the IAM policy grammar defines for string keys
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String).
 */
export interface StsPeer {
    url: string;
    /** Every AssumeRole asked for, allowed or not. */
    calls: Array<{ roleArn: string; sessionName: string; caller: string; allowed: boolean }>;
    close(): Promise<void>;
}

export interface StsPeerOptions {
    /** Trust policy per role ARN. */
    trustPolicies: Record<string, any>;
    /** Access key id → the principal ARN it belongs to (the caller STS sees). */
    principals: Record<string, string>;
}

function likeToRegExp(pattern: string): RegExp {
    return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

function list<T>(v: T | T[] | undefined): T[] {
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Does `policy` allow `caller` to assume the role as `sessionName`? */
export function trustAllows(policy: any, caller: string, sessionName: string): boolean {
    return list(policy?.Statement).some((st: any) => {
        if (st.Effect !== "Allow" || !list(st.Action).includes("sts:AssumeRole")) return false;
        if (!list(st.Principal?.AWS).includes(caller)) return false;
        for (const [op, keys] of Object.entries(st.Condition ?? {})) {
            for (const [key, want] of Object.entries(keys as Record<string, unknown>)) {
                if (key !== "sts:RoleSessionName") return false;
                const values = list(want as string | string[]);
                if (op === "StringEquals" && !values.includes(sessionName)) return false;
                if (op === "StringLike" && !values.some(v => likeToRegExp(v).test(sessionName))) return false;
                if (op !== "StringEquals" && op !== "StringLike") return false;
            }
        }
        return true;
    });
}

export async function startStsPeer(o: StsPeerOptions): Promise<StsPeer> {
    const calls: StsPeer["calls"] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", c => { body += c; });
        req.on("end", () => {
            const form = new URLSearchParams(body);
            const key = /Credential=([A-Z0-9]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
            const caller = o.principals[key] ?? `arn:aws:iam::000000000000:user/unknown-${key}`;
            const roleArn = String(form.get("RoleArn"));
            const sessionName = String(form.get("RoleSessionName"));
            const allowed = form.get("Action") === "AssumeRole" && trustAllows(o.trustPolicies[roleArn], caller, sessionName);
            calls.push({ roleArn, sessionName, caller, allowed });
            if (!allowed) {
                res.writeHead(403, { "content-type": "text/xml" });
                res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
                    `<Message>User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error>` +
                    `<RequestId>guardpost-sts-peer</RequestId></ErrorResponse>`);
                return;
            }
            res.writeHead(200, { "content-type": "text/xml" });
            res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
<AccessKeyId>ASIAGUARDPOSTASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-session</SessionToken>
<Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials><AssumedRoleUser><Arn>${roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/${sessionName}</Arn>
<AssumedRoleId>AROAPEER:${sessionName}</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
        });
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise(resolve => { server.closeAllConnections(); server.close(() => resolve()); }) };
}
