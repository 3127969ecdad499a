/**
 * guardpost's security-posture rules, pure and import-free so that two adapters share them: the
 * CrossGuard policy pack (policy/index.ts, run by `pulumi preview --policy-pack policy`) and the offline
 * plan (plan/policyCheck.ts), which evaluates them over the mock engine's resource graph.
 */

/** A resource as both adapters see it: type, resolved inputs, and which resources each input came from. */
export interface RuleResource {
    urn: string;
    type: string;
    name: string;
    props: Record<string, any>;
    /** Input name → URNs of the resources its value came from. */
    propertyDependencies: Record<string, string[]>;
}

export interface Violation {
    policy: string;
    urn: string;
    message: string;
}

export interface ResourceRule {
    name: string;
    description: string;
    types: string[];
    check(r: RuleResource): string[];
}

export interface StackRule {
    name: string;
    description: string;
    check(resources: RuleResource[]): { urn: string; message: string }[];
}

export const SUPPORTED_NODE_RUNTIMES = ["nodejs22.x", "nodejs24.x"];
export const TLS_POLICIES_12_PLUS = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"];
const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const IAM_POLICY_TYPES = ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"];

function first<T>(v: T | T[] | undefined): T | undefined {
    return Array.isArray(v) ? v[0] : v;
}

function asList(v: unknown): unknown[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : [v];
}

function parseDocument(doc: unknown): { Statement?: unknown } | undefined {
    if (typeof doc === "string") {
        try { return JSON.parse(doc); } catch { return undefined; }
    }
    return doc && typeof doc === "object" ? doc as { Statement?: unknown } : undefined;
}

function statements(doc: unknown): Record<string, any>[] {
    return asList(parseDocument(doc)?.Statement).filter((s): s is Record<string, any> => !!s && typeof s === "object");
}

/** True when a policy principal admits anyone: `"*"` or `{"AWS": "*"}` (also inside a list). */
export function isPublicPrincipal(principal: unknown): boolean {
    if (principal === "*") return true;
    if (principal && typeof principal === "object") {
        return asList((principal as Record<string, unknown>).AWS).includes("*");
    }
    return false;
}

/**
 * A public principal narrowed to source addresses: what SAML sign-in for Dashboards needs, since browsers
 * send unsigned requests (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/saml.html), with
 * fine-grained access control authenticating every request behind it.
 */
function sourceIpLimited(s: Record<string, any>): boolean {
    const ip = asList(s.Condition?.IpAddress?.["aws:SourceIp"]).map(String);
    // Every range at most a /8 of IPv4 or a /32 of IPv6 (model/siemAccess.ts MIN_IPV4_PREFIX / MIN_IPV6_PREFIX,
    // repeated here because the rules import nothing): 0.0.0.0/1 + 128.0.0.0/1 is as public as 0.0.0.0/0.
    const narrow = (c: string) => {
        const m = /^(.+)\/(\d{1,3})$/.exec(c.trim());
        return !!m && Number(m[2]) >= (m[1].includes(":") ? 32 : 8);
    };
    return ip.length > 0 && ip.every(narrow);
}

function openToAnyone(s: Record<string, any>): boolean {
    return isPublicPrincipal(s.Principal) && s.Effect !== "Deny" && !sourceIpLimited(s);
}

export const resourceRules: ResourceRule[] = [
    {
        name: "guardduty-detector-fifteen-minutes",
        description: "GuardDuty detectors are enabled and publish findings every 15 minutes.",
        types: ["aws:guardduty/detector:Detector"],
        check: r => {
            const out: string[] = [];
            if (r.props.enable === false) out.push("GuardDuty detector is disabled; set enable: true.");
            if (r.props.findingPublishingFrequency !== "FIFTEEN_MINUTES") {
                out.push(`GuardDuty detector publishes every ${r.props.findingPublishingFrequency ?? "SIX_HOURS (the AWS default)"}; set findingPublishingFrequency: FIFTEEN_MINUTES so repeat findings reach alerting quickly.`);
            }
            return out;
        },
    },
    {
        name: "opensearch-domain-locked-down",
        description: "OpenSearch domains encrypt at rest and node-to-node, enforce HTTPS with TLS 1.2+, and use fine-grained access control.",
        types: ["aws:opensearch/domain:Domain"],
        check: r => {
            const out: string[] = [];
            const p = r.props;
            if (first(p.encryptAtRest)?.enabled !== true) out.push("OpenSearch domain is not encrypted at rest; set encryptAtRest.enabled: true with a KMS key.");
            if (first(p.nodeToNodeEncryption)?.enabled !== true) out.push("OpenSearch domain does not encrypt node-to-node traffic; set nodeToNodeEncryption.enabled: true.");
            const endpoint = first(p.domainEndpointOptions);
            if (endpoint?.enforceHttps !== true) out.push("OpenSearch domain does not enforce HTTPS; set domainEndpointOptions.enforceHttps: true.");
            if (!TLS_POLICIES_12_PLUS.includes(endpoint?.tlsSecurityPolicy)) out.push(`OpenSearch domain allows TLS below 1.2 (${endpoint?.tlsSecurityPolicy ?? "default policy"}); use Policy-Min-TLS-1-2-PFS-2023-10.`);
            if (first(p.advancedSecurityOptions)?.enabled !== true) out.push("OpenSearch domain has no fine-grained access control; set advancedSecurityOptions.enabled: true.");
            if (p.accessPolicies !== undefined && statements(p.accessPolicies).some(openToAnyone)) {
                out.push("OpenSearch domain access policy allows Principal \"*\"; name the IAM roles that may call it.");
            }
            return out;
        },
    },
    {
        name: "opensearch-access-policy-no-public-principal",
        description: "OpenSearch access policies never allow Principal \"*\" unless limited to source addresses (SAML sign-in).",
        types: ["aws:opensearch/domainPolicy:DomainPolicy"],
        check: r => statements(r.props.accessPolicies).some(openToAnyone)
            ? ["OpenSearch access policy allows Principal \"*\"; allow only named IAM roles."]
            : [],
    },
    {
        name: "sns-topic-customer-managed-key",
        description: "SNS topics are encrypted with a customer-managed KMS key (the AWS-managed key silently drops EventBridge deliveries).",
        types: ["aws:sns/topic:Topic"],
        check: r => {
            const key = r.props.kmsMasterKeyId;
            if (!key) return ["SNS topic is not encrypted; set kmsMasterKeyId to a customer-managed KMS key whose policy lets events.amazonaws.com use it."];
            if (typeof key === "string" && key.startsWith("alias/aws/")) return [`SNS topic uses the AWS-managed key ${key}, which EventBridge cannot use; use a customer-managed key.`];
            return [];
        },
    },
    {
        name: "lambda-supported-node-runtime-explicit-role",
        description: "Lambda functions run a supported Node.js runtime with an explicit role.",
        types: ["aws:lambda/function:Function"],
        check: r => {
            const out: string[] = [];
            if (!SUPPORTED_NODE_RUNTIMES.includes(r.props.runtime)) out.push(`Lambda runtime ${r.props.runtime ?? "(unset)"} is not a supported Node.js runtime; use ${SUPPORTED_NODE_RUNTIMES.join(" or ")}.`);
            if (!r.props.role) out.push("Lambda function has no explicit role; pass a least-privilege role.");
            return out;
        },
    },
    {
        name: "iam-no-star-on-star",
        description: "No IAM policy allows Action \"*\" on Resource \"*\".",
        types: IAM_POLICY_TYPES,
        check: r => statements(r.props.policy).some(s => s.Effect === "Allow" && asList(s.Action).includes("*") && asList(s.Resource).includes("*"))
            ? ["IAM policy allows Action \"*\" on Resource \"*\"; grant only the actions and resources needed."]
            : [],
    },
    {
        // The deployer may create roles only with this boundary (README "Deploying for real"), so a role without it
        // would fail at deploy time; and any other boundary would lift the ceiling on what the role can do.
        name: "iam-role-guardpost-boundary",
        description: "Every IAM role carries guardpost's permissions boundary (policy/guardpost/guardpost-boundary of its account).",
        types: ["aws:iam/role:Role"],
        check: r => /^arn:aws(-cn|-us-gov)?:iam::\d{12}:policy\/guardpost\/guardpost-boundary$/.test(String(r.props.permissionsBoundary ?? ""))
            ? []
            : [`IAM role has permissions boundary ${r.props.permissionsBoundary ?? "(none)"}; set permissionsBoundary to arn:<partition>:iam::<account>:policy/guardpost/guardpost-boundary (guardpostBoundaryArn).`],
    },
    {
        name: "cloudtrail-multi-region-validated",
        description: "CloudTrail trails are multi-region with log file validation.",
        types: ["aws:cloudtrail/trail:Trail"],
        check: r => {
            const out: string[] = [];
            if (r.props.isMultiRegionTrail !== true) out.push("CloudTrail trail is single-region; set isMultiRegionTrail: true.");
            if (r.props.enableLogFileValidation !== true) out.push("CloudTrail trail has no log file validation; set enableLogFileValidation: true.");
            return out;
        },
    },
];

function targets(resources: RuleResource[], type: string, input: string, of: RuleResource): RuleResource[] {
    return resources.filter(r => r.type === type && (r.propertyDependencies[input] ?? []).includes(of.urn));
}

export const stackRules: StackRule[] = [
    {
        name: "s3-bucket-private-and-ssl-only",
        description: "S3 buckets block all public access and deny requests without TLS.",
        check: resources => resources.filter(r => BUCKET_TYPES.includes(r.type)).flatMap(bucket => {
            const out: { urn: string; message: string }[] = [];
            const blocks = targets(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket", bucket);
            const fullyBlocked = blocks.some(b => ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every(k => b.props[k] === true));
            if (!fullyBlocked) out.push({ urn: bucket.urn, message: `S3 bucket ${bucket.name} does not block all public access; add a BucketPublicAccessBlock with all four settings true.` });
            const sslOnly = targets(resources, "aws:s3/bucketPolicy:BucketPolicy", "bucket", bucket).some(p => statements(p.props.policy).some(s =>
                s.Effect === "Deny" && JSON.stringify(s.Condition ?? {}).replace(/\s/g, "").includes('"aws:SecureTransport":"false"')));
            if (!sslOnly) out.push({ urn: bucket.urn, message: `S3 bucket ${bucket.name} accepts requests without TLS; add a bucket policy that denies aws:SecureTransport = false.` });
            return out;
        }),
    },
    {
        name: "lambda-role-not-full-access",
        description: "Lambda roles carry no AWS-managed full-access policy (CallbackFunction's default role does).",
        check: resources => resources.filter(r => r.type === "aws:lambda/function:Function").flatMap(fn => {
            const roleUrns = fn.propertyDependencies.role ?? [];
            return resources
                .filter(a => a.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
                    && (a.propertyDependencies.role ?? []).some(u => roleUrns.includes(u))
                    && /FullAccess|AdministratorAccess/.test(String(a.props.policyArn)))
                .map(a => ({ urn: fn.urn, message: `Lambda ${fn.name} has ${a.props.policyArn} on its role; give it a least-privilege role instead of the default.` }));
        }),
    },
];

/** Evaluate every rule over a whole stack. */
export function evaluate(resources: RuleResource[]): Violation[] {
    const violations: Violation[] = [];
    for (const rule of resourceRules) {
        for (const r of resources.filter(x => rule.types.includes(x.type))) {
            for (const message of rule.check(r)) violations.push({ policy: rule.name, urn: r.urn, message });
        }
    }
    for (const rule of stackRules) {
        for (const v of rule.check(resources)) violations.push({ policy: rule.name, ...v });
    }
    return violations;
}
