/**
 * IAM policy documents as plain data: the statement shape every guardpost policy uses and the statements
 * several components share. No Pulumi, so each is testable on its own.
 */

/** An IAM policy statement as it appears in a policy document. */
export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | Record<string, string | string[]>;
    Action: string | string[];
    /** Absent only in trust policies, whose resource is the role itself (and beside NotResource). */
    Resource?: string | string[];
    /** Every resource but these (used in denies). */
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** Refuse every request to the bucket or its objects that does not arrive over TLS. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/** Refuse `action` on `resource` to anyone not using TLS (queues, topics). */
export const denyInsecureTransportTo = (resource: string, action: string) => ({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
});

/** EventBridge parks undeliverable events here, from our rules only. */
export function eventsDlqPolicy(p: { queueArn: string; ruleArns: string[] }) {
    return { Version: "2012-10-17", Statement: [
        {
            Sid: "DeadLettersFromOwnRules",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: p.queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": p.ruleArns } },
        },
        denyInsecureTransportTo(p.queueArn, "sqs:*"),
    ] };
}

/** A role only `service` may assume, optionally under `condition`. */
export function serviceTrust(service: string, condition?: PolicyStatement["Condition"]): PolicyDocument {
    return policyDocument([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", ...(condition ? { Condition: condition } : {}) }]);
}
