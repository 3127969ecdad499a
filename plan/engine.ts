import * as pulumi from "@pulumi/pulumi";

/**
 * The one mock engine behind the offline plan, the unit tests, the policy evaluation and the scale
 * benchmark: it runs a Pulumi program against `pulumi.runtime.setMocks` and records every resource with
 * its parent and the (account, region) of the provider it was created through.
 */

export interface ProviderPlacement {
    account: string;
    region: string;
    urn: string;
}

export interface MockedResource {
    type: string;
    name: string;
    urn: string;
    id: string;
    /** Inputs as the engine received them, secrets unwrapped. */
    inputs: any;
    /** Top-level input keys that arrived as Pulumi secrets. */
    secretInputs: string[];
    /** For each input, the URNs of the resources its value came from. */
    propertyDependencies: Record<string, string[]>;
    custom: boolean;
    parent?: string;
    provider?: ProviderPlacement;
    /**
     * Where the resource is managed: its own `region` input (@pulumi/aws 7.x), else its provider's region;
     * undefined for global services (IAM, Organizations), which have no region.
     */
    region?: string;
    /** The `import` resource option: the id of an existing resource this one adopts instead of creating. */
    importId?: string;
    /** The `retainOnDelete` resource option. */
    retainOnDelete?: boolean;
    /** URNs of the resources this one waits for (`dependsOn`, including those a parent passes down). */
    dependsOn: string[];
}

/** AWS services with no region: their resources take no `region` input and live in the account. */
export function isGlobalType(type: string): boolean {
    return /^aws:(iam|organizations)\//.test(type);
}

/** The region a resource is managed in (see `MockedResource.region`). */
export function effectiveRegion(type: string, inputs: any, provider: ProviderPlacement | undefined): string | undefined {
    if (isGlobalType(type)) return undefined;
    return typeof inputs?.region === "string" && inputs.region !== "" ? inputs.region : provider?.region;
}

export interface RunOptions {
    project?: string;
    stack?: string;
    /** Full config keys (`guardpost:alerts`) to string values, as `pulumi config` would hold them. */
    config?: Record<string, string>;
    secretKeys?: string[];
    /** Fail any custom resource registered without an explicit provider, like `disable-default-providers`. */
    requireExplicitProviders?: boolean;
    /** Seconds to wait for registrations to drain before reporting a hang (a failed closure serialization). */
    drainTimeoutSeconds?: number;
    /**
     * Outputs of other stacks, by stack name, for the program's StackReferences (an estate split over
     * stacks). A stack not listed reads as having no outputs.
     */
    stackOutputs?: Record<string, Record<string, unknown>>;
}

/** An invoke the program made (a data source read), as the engine received it. */
export interface MockedInvoke {
    token: string;
    inputs: any;
    /** The provider it went through (explicit or its parent's); undefined when it had none. */
    provider?: ProviderPlacement;
    /** Resources registered before the invoke ran: an invoke that waits for a resource comes after it. */
    resourcesBefore: number;
}

export interface RunResult {
    resources: MockedResource[];
    outputs: Record<string, unknown> | undefined;
    /** Every invoke, in the order the engine received them. */
    invokes: MockedInvoke[];
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

function isSecretValue(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as any)[SIG_KEY] === SECRET_SIG;
}

/** Strip Pulumi's secret wrappers, reporting whether any were seen. */
function unwrapSecrets(v: any): { value: any; secret: boolean } {
    if (isSecretValue(v)) {
        return { value: unwrapSecrets(v.value).value, secret: true };
    }
    if (Array.isArray(v)) {
        let secret = false;
        const value = v.map(e => { const u = unwrapSecrets(e); secret ||= u.secret; return u.value; });
        return { value, secret };
    }
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
        let secret = false;
        const value: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(v)) {
            const u = unwrapSecrets(e);
            secret ||= u.secret;
            value[k] = u.value;
        }
        return { value, secret };
    }
    return { value: v, secret: false };
}

function parseMaybeJson(v: unknown): unknown {
    if (typeof v !== "string") return v;
    try { return JSON.parse(v); } catch { return v; }
}

/** Where an aws.Provider points: its allowed account and region. */
function placementOf(inputs: any, urn: string): ProviderPlacement {
    const allowed = parseMaybeJson(inputs.allowedAccountIds);
    const account = Array.isArray(allowed) && allowed.length > 0 ? String(allowed[0]) : "unknown";
    return { account, region: String(inputs.region ?? "unknown"), urn };
}

function partitionOf(region: string): { partition: string; dnsSuffix: string } {
    if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
    if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
    return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

/** Plausible outputs for a resource, so ARNs and URLs built from them read like the real thing. */
export function fakeState(type: string, name: string, inputs: any, where: ProviderPlacement | undefined, id?: string): Record<string, unknown> {
    const account = where?.account ?? "000000000000";
    const region = effectiveRegion(type, inputs, where) ?? where?.region ?? "us-east-1";
    const { partition } = partitionOf(region);
    const [, mod = ""] = type.split(":");
    const service = mod.split("/")[0];
    const physical = inputs.name ?? inputs.bucket ?? inputs.domainName ?? `${name}-mock`;
    const state: Record<string, unknown> = { ...inputs, name: inputs.name ?? physical };
    switch (type) {
        case "aws:iam/role:Role":
            // The path is part of a role's ARN (role/guardpost/<name>).
            state.arn = `arn:${partition}:iam::${account}:role${typeof inputs.path === "string" ? inputs.path : "/"}${physical}`;
            break;
        case "aws:s3/bucketV2:BucketV2":
        case "aws:s3/bucket:Bucket":
            state.bucket = physical;
            state.arn = `arn:${partition}:s3:::${physical}`;
            break;
        case "aws:sqs/queue:Queue":
            state.arn = `arn:${partition}:sqs:${region}:${account}:${physical}`;
            state.url = `https://sqs.${region}.amazonaws.com/${account}/${physical}`;
            break;
        case "aws:lambda/function:Function":
            state.arn = `arn:${partition}:lambda:${region}:${account}:function:${physical}`;
            state.invokeArn = `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${state.arn}/invocations`;
            break;
        case "aws:opensearch/domain:Domain":
            state.arn = `arn:${partition}:es:${region}:${account}:domain/${physical}`;
            state.endpoint = `search-${physical}-mock.${region}.es.amazonaws.com`;
            state.dashboardEndpoint = `${state.endpoint}/_dashboards`;
            break;
        case "aws:cloudwatch/logGroup:LogGroup":
            state.arn = `arn:${partition}:logs:${region}:${account}:log-group:${physical}`;
            break;
        case "aws:cognito/userPool:UserPool":
            // The provider's `endpoint`: the issuer host and pool id, the prefix of the identity-pool provider names.
            state.endpoint = `cognito-idp.${region}.${partitionOf(region).dnsSuffix}/${id ?? `${region}_${name}`}`;
            break;
        case "aws:kms/key:Key":
            state.keyId = `${name}-key-id`;
            state.arn = `arn:${partition}:kms:${region}:${account}:key/${name}-key-id`;
            break;
        case "aws:cloudwatch/eventRule:EventRule":
            state.arn = `arn:${partition}:events:${region}:${account}:rule/${physical}`;
            break;
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            state.arn = `arn:${partition}:cloudwatch:${region}:${account}:alarm:${physical}`;
            break;
        case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
            state.arn = `arn:${partition}:firehose:${region}:${account}:deliverystream/${physical}`;
            break;
        case "aws:sns/topic:Topic":
            state.arn = `arn:${partition}:sns:${region}:${account}:${physical}`;
            break;
        case "aws:guardduty/detector:Detector":
            state.accountId = account;
            state.arn = `arn:${partition}:guardduty:${region}:${account}:detector/${name}-detector-id`;
            break;
        default:
            state.arn = `arn:${partition}:${service}:${region}:${account}:${physical}`;
    }
    return state;
}

/** Invokes the program may make; anything else is a mistake the engine must not paper over. */
function mockCall(args: pulumi.runtime.MockCallArgs, providers: Map<string, ProviderPlacement>): Record<string, any> {
    const where = args.provider ? providers.get(args.provider.split("::").slice(0, -1).join("::")) : undefined;
    const account = where?.account;
    // Invokes take a `region` argument in @pulumi/aws 7.x, like resources.
    const region = typeof args.inputs?.region === "string" ? args.inputs.region : where?.region;
    switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            if (!account) throw new Error("mock engine: getCallerIdentity invoked without an explicit provider");
            return { accountId: account, arn: `arn:aws:sts::${account}:assumed-role/guardpost-deployer/pulumi`, userId: "AROAMOCK:pulumi", id: account };
        case "aws:index/getRegion:getRegion":
            if (!region) throw new Error("mock engine: getRegion invoked without an explicit provider");
            return { name: region, region, id: region, description: region, endpoint: `ec2.${region}.amazonaws.com` };
        case "aws:index/getPartition:getPartition":
            if (!region) throw new Error("mock engine: getPartition invoked without an explicit provider");
            return { id: partitionOf(region).partition, ...partitionOf(region), reverseDnsPrefix: "com.amazonaws" };
        case "aws:cognito/getUserPoolClients:getUserPoolClients": {
            // The pool's app clients (ListUserPoolClients). A guardpost pool holds only the one OpenSearch Service adds
            // when a domain is configured with it, so the mock answers with one client whose id is derived from the pool
            // id (mockUserPoolClientId); its name is made up, not the service's naming.
            if (!region) throw new Error("mock engine: getUserPoolClients invoked without a region or an explicit provider");
            const userPoolId = String(args.inputs.userPoolId);
            return { id: userPoolId, userPoolId, region, clientIds: [mockUserPoolClientId(userPoolId)], clientNames: ["mock-opensearch-dashboards-client"] };
        }
        default:
            throw new Error(`mock engine: no mock for invoke '${args.token}'. Add one to plan/engine.ts, or build the value without an invoke.`);
    }
}

/** The app client id the mock engine reports for a user pool (getUserPoolClients): derived from the pool id. */
export function mockUserPoolClientId(userPoolId: string): string {
    return `mockclient-${userPoolId}`;
}

let running: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` under mocks and returns every registered resource. Runs are serialized, because the
 * Pulumi runtime's mock settings are process-global (the last `setMocks` wins).
 */
export function runMocked(program: () => unknown, opts: RunOptions = {}): Promise<RunResult> {
    const run = running.then(() => runOnce(program, opts), () => runOnce(program, opts));
    running = run.catch(() => undefined);
    return run;
}

async function runOnce(program: () => unknown, opts: RunOptions): Promise<RunResult> {
    const settings = require("@pulumi/pulumi/runtime/settings");
    const resources: MockedResource[] = [];
    const invokes: MockedInvoke[] = [];
    const byUrn = new Map<string, MockedResource>();
    const providers = new Map<string, ProviderPlacement>();
    const pending = new Map<string, { parent?: string; provider?: string; custom: boolean; secretInputs: string[]; propertyDependencies: Record<string, string[]>; retainOnDelete: boolean; dependsOn: string[] }>();
    const failures: string[] = [];
    // A failure can leave registrations (and outputs built on them) pending forever: report it promptly,
    // after a short grace so related messages are collected too.
    let failedSoon: () => void = () => undefined;
    const failed = new Promise<"failed">(resolve => { failedSoon = () => setTimeout(() => resolve("failed"), 500).unref(); });
    const fail = (message: string) => { if (failures.push(message) === 1) failedSoon(); };

    pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
    let ids = 0;
    await pulumi.runtime.setMocks({
        call: args => {
            // The runtime drops the message of an error thrown here, so keep it for the report.
            const { value: inputs } = unwrapSecrets(args.inputs);
            const provider = args.provider ? providers.get(args.provider.split("::").slice(0, -1).join("::")) : undefined;
            invokes.push({ token: args.token, inputs, provider, resourcesBefore: resources.length });
            try { return mockCall(args, providers); } catch (e) { fail((e as Error).message); throw e; }
        },
        newResource: args => {
            const key = `${args.type}::${args.name}`;
            const meta = pending.get(key);
            pending.delete(key);
            const { value: inputs } = unwrapSecrets(args.inputs);
            const parentUrn = meta?.parent || undefined;
            const providerRef = meta?.provider || args.provider || "";
            const providerUrn = providerRef ? providerRef.split("::").slice(0, -1).join("::") : undefined;
            let placement = providerUrn ? providers.get(providerUrn) : undefined;
            if (!placement && parentUrn) placement = byUrn.get(parentUrn)?.provider;
            const id = `${args.name}-id-${++ids}`;
            const urn = urnFor(parentUrn, args.type, args.name, opts);
            // The engine refuses a second registration of one URN ("Duplicate resource URN"); so must the mocks.
            if (byUrn.has(urn)) fail(`duplicate resource URN ${urn}: two resources of one type share a name under one parent`);
            if (args.type === "pulumi:providers:aws") {
                placement = placementOf(inputs, urn);
                providers.set(urn, placement);
            } else if (opts.requireExplicitProviders && (meta?.custom ?? args.custom) && args.type.startsWith("aws:") && !providerUrn) {
                fail(`${args.type} '${args.name}' has no explicit provider (default providers are disabled)`);
            }
            const record: MockedResource = {
                type: args.type, name: args.name, urn, id, inputs,
                secretInputs: meta?.secretInputs ?? [],
                propertyDependencies: meta?.propertyDependencies ?? {},
                custom: meta?.custom ?? Boolean(args.custom),
                parent: parentUrn, provider: placement,
                region: args.type === "pulumi:providers:aws" ? placement?.region : effectiveRegion(args.type, inputs, placement),
                importId: args.id || undefined,
                retainOnDelete: meta?.retainOnDelete || undefined,
                dependsOn: meta?.dependsOn ?? [],
            };
            resources.push(record);
            byUrn.set(urn, record);
            if (args.type === "pulumi:pulumi:StackReference") {
                // A read of another stack: its outputs, as `pulumi stack output` would give them.
                const stackName = String(inputs.name ?? args.id ?? args.name);
                return { id: stackName, state: { name: stackName, outputs: opts.stackOutputs?.[stackName] ?? {}, secretOutputNames: [] } };
            }
            return { id: args.custom === false ? "" : id, state: fakeState(args.type, args.name, inputs, placement, id) };
        },
    }, opts.project ?? "guardpost", opts.stack ?? "test", false);

    // The mocks API hides the parent and which inputs were secret; read them off the request first.
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const raw = req.getObject()?.toJavaScript() ?? {};
        const secretInputs = Object.keys(raw).filter(k => JSON.stringify(raw[k]).includes(SECRET_SIG));
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => { propertyDependencies[key] = deps.getUrnsList(); });
        pending.set(`${req.getType()}::${req.getName()}`, {
            parent: req.getParent(), provider: req.getProvider(), custom: req.getCustom(), secretInputs, propertyDependencies,
            retainOnDelete: Boolean(req.getRetainondelete?.()), dependsOn: req.getDependenciesList?.() ?? [],
        });
        return register(req, callback);
    };

    const onRejection = (reason: unknown) => { fail(`unhandled rejection: ${describe(reason)}`); };
    process.on("unhandledRejection", onRejection);
    try {
        const run = async () => {
            const result = await pulumi.runtime.runInPulumiStack(async () => program());
            await drain(settings, opts.drainTimeoutSeconds ?? 60, failures, () => resources.length);
            return result;
        };
        const outcome = await Promise.race([run(), failed]).catch((e: unknown) => {
            // A program error (bad args, invalid config) speaks for itself; a message-less runtime
            // rejection after a recorded failure does not, so report what was recorded instead.
            if (failures.length === 0) throw e;
            return "failed" as const;
        });
        if (outcome === "failed" || failures.length > 0) {
            throw new Error(`mock engine: the program failed:\n  ${failures.join("\n  ")}`);
        }
        return { resources, outputs: outcome as Record<string, unknown> | undefined, invokes };
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

function urnFor(parent: string | undefined, type: string, name: string, opts: RunOptions): string {
    // Exactly as the SDK's MockMonitor builds it: only the parent's own type qualifies the child's.
    let qualified = type;
    if (parent) qualified = `${parent.split("::")[2].split("$").pop()}$${type}`;
    return `urn:pulumi:${opts.stack ?? "test"}::${opts.project ?? "guardpost"}::${qualified}::${name}`;
}

async function drain(settings: any, timeoutSeconds: number, failures: string[], count: () => number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let seen = -1;
    // Outputs resolve over several turns of the event loop, and each may register more resources:
    // wait until the RPC queue is empty and a short pause brings nothing new.
    while (seen !== count()) {
        seen = count();
        const drained = await Promise.race([
            settings.waitForRPCs().then(() => true),
            new Promise<boolean>(resolve => setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))),
        ]);
        if (!drained) {
            failures.push(`registrations did not finish within ${timeoutSeconds}s (usually a closure that failed to serialize)`);
            return;
        }
        await new Promise(resolve => setTimeout(resolve, 25));
    }
}

function describe(reason: unknown): string {
    const r = reason as any;
    const text = (r?.message || r?.details || (r && typeof r === "object" ? require("util").inspect(r, { depth: 3 }) : String(r))) as string;
    return text.split("\n")[0];
}
