import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDPOST_ROLE_PATH } from "../../model/iamPath";
import { queueDepthAlarm } from "./alarms";
import { LAMBDA_HANDLER, lambdaArchive } from "./lambdaArchive";

/** An IAM policy statement as it appears in a policy document. */
export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface GuardedFunctionArgs {
    /** Region of the function and of its log group, queue and alarm. */
    region: string;
    /**
     * ARN of guardpost's permissions boundary in the function's account (`guardpostBoundaryArn`): the role's
     * ceiling, and the only boundary the deployer may create roles with.
     */
    permissionsBoundary: string;
    /** Value of the `guardpost:function` tag and stem of every child name, e.g. `telegram-alert`. */
    functionTag: string;
    /** Human description shown in the Lambda console. */
    description: string;
    /** Zero-argument factory from `functions/` that builds real clients and returns the handler. */
    callbackFactory: () => (event: any, context?: any) => Promise<any>;
    /** Least-privilege statements this function needs beyond its log group and failure queue. */
    statements?: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
    /** Environment variables: plain configuration only, never secrets. */
    environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Seconds; leave room for every client timeout inside the handler. Default 30. */
    timeout?: number;
    /** MiB. Default 256. */
    memorySize?: number;
    /** Layer ARNs, e.g. the GeoIP database layer. */
    layers?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Packages from package.json `dependencies` the handler needs at run time; every other dependency is
     * excluded from the archive, because Pulumi's code-path selection would otherwise ship all of them.
     * Those the runtime provides (`@aws-sdk/*`) are named for the record but never shipped.
     */
    packages: string[];
    /**
     * Customer-managed KMS key for the failure queue and the log group. Its key policy must let
     * `logs.<region>.amazonaws.com` use it. Default: SQS-managed encryption and the default log encryption.
     */
    kmsKeyArn?: pulumi.Input<string>;
    /** SNS topic the failure-queue alarm notifies. Without it the alarm still exists, just unrouted. */
    alarmTopicArn?: pulumi.Input<string>;
    /** Days to keep the function's logs. Default 90. */
    logRetentionDays?: number;
    /** Lambda async retries before the event goes to the failure queue (0–2). Default 2. */
    maximumRetryAttempts?: number;
    /** Seconds an async event may wait before it goes to the failure queue (60–21600). Default 21600. */
    maximumEventAgeInSeconds?: number;
    /**
     * Reserved concurrency: both this function's guaranteed share of the account × region's concurrency and
     * its ceiling (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). Absent or 0:
     * none reserved (0 would throttle every invocation, so it is never sent).
     */
    reservedConcurrency?: number;
}

export const LAMBDA_RUNTIME = "nodejs22.x";
export const FUNCTION_TAG = "guardpost:function";

/**
 * Packages the `nodejs22.x` runtime already provides: every Node.js runtime includes the AWS SDK for
 * JavaScript v3 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included), so
 * a function may `require` its service clients (`@aws-sdk/client-*`) without shipping them. Never put into
 * an archive. Anything else of the SDK a function names is shipped like any other package.
 */
export function runtimeProvided(pkg: string): boolean {
    return /^@aws-sdk\/client-[a-z0-9-]+$/.test(pkg);
}

/**
 * The SDK version the runtime-provided clients are pinned to in package.json for development and tests:
 * the version the Runtime-included SDK versions section shows the runtime reporting (the runtime's version
 * varies by region and runtime release, so nothing newer may be relied on). test/runtimeSdk.test.ts holds
 * every client a function requires to this pin.
 */
export const RUNTIME_SDK_VERSION = "3.632.0";

/**
 * Dependencies to leave out of a function's archive: everything in package.json it does not name, and
 * what the runtime provides (named or not).
 */
export function excludedPackages(needed: readonly string[], dependencies: Record<string, string> = projectDependencies()): string[] {
    const unknown = needed.filter(p => !(p in dependencies));
    if (unknown.length > 0) {
        throw new Error(`GuardedFunction: packages ${unknown.join(", ")} are not in package.json dependencies; add them there or drop them from 'packages'.`);
    }
    return Object.keys(dependencies).filter(d => (!needed.includes(d) || runtimeProvided(d)) && !d.startsWith("@pulumi/"));
}

function projectDependencies(): Record<string, string> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require("../../package.json").dependencies ?? {};
}

/** The statements every guarded function gets: write its own log group, park failed events in its own queue. */
export function baseStatements(logGroupArn: string, queueArn: string, kmsKeyArn?: string): PolicyStatement[] {
    const statements: PolicyStatement[] = [
        { Sid: "OwnLogGroup", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` },
        { Sid: "OnFailureDestination", Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn },
    ];
    if (kmsKeyArn) {
        // Only through SQS: the key may guard other data (a secret parameter) this role must not read.
        const region = kmsKeyArn.split(":")[3];
        statements.push({
            Sid: "EncryptFailedEvents", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: kmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `sqs.${region}.amazonaws.com` } },
        });
    }
    return statements;
}

export function lambdaTrustPolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
}

/**
 * A Lambda built the one way guardpost allows: explicit runtime, least-privilege role (never
 * CallbackFunction's default full-access role), its own log group, the `guardpost:function` tag, and an
 * encrypted on-failure queue with an alarm, so an event that exhausts its retries is kept and noticed.
 *
 * The code is the archive CallbackFunction would build (serialized factory in `__index.js`, handler
 * `__index.handler`, the named packages), built once per process and shared by every instance of the
 * same factory (see lambdaArchive.ts), instead of once per account × region.
 */
export class GuardedFunction extends pulumi.ComponentResource {
    declare readonly function: aws.lambda.Function;
    declare readonly role: aws.iam.Role;
    declare readonly failureQueue: aws.sqs.Queue;
    declare readonly logGroup: aws.cloudwatch.LogGroup;
    declare readonly alarm: aws.cloudwatch.MetricAlarm;

    constructor(name: string, args: GuardedFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("guardpost:lambda:GuardedFunction", name, {}, opts);
        if (!/^[a-z0-9-]+$/.test(args.functionTag)) {
            throw new Error(`GuardedFunction ${name}: functionTag '${args.functionTag}' must be lower-case words joined by '-'.`);
        }
        const retries = args.maximumRetryAttempts ?? 2;
        if (retries < 0 || retries > 2) {
            throw new Error(`GuardedFunction ${name}: maximumRetryAttempts must be 0–2 (Lambda's limit), got ${retries}.`);
        }
        const reserved = args.reservedConcurrency ?? 0;
        if (!Number.isInteger(reserved) || reserved < 0) {
            throw new Error(`GuardedFunction ${name}: reservedConcurrency must be a whole number ≥ 0, got ${reserved}.`);
        }
        const timeout = args.timeout ?? 30;
        const exclude = excludedPackages(args.packages);
        const tags = { [FUNCTION_TAG]: args.functionTag };
        const parent = { parent: this };
        const region = args.region;

        const role = new aws.iam.Role(`${name}-role`, {
            path: GUARDPOST_ROLE_PATH,
            permissionsBoundary: args.permissionsBoundary,
            description: `guardpost ${args.functionTag} Lambda`,
            assumeRolePolicy: lambdaTrustPolicy(),
            tags,
        }, parent);

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            region,
            retentionInDays: args.logRetentionDays ?? 90,
            kmsKeyId: args.kmsKeyArn,
            tags,
        }, parent);

        const failureQueue = new aws.sqs.Queue(`${name}-failed`, {
            region,
            messageRetentionSeconds: 1209600,
            ...(args.kmsKeyArn ? { kmsMasterKeyId: args.kmsKeyArn } : { sqsManagedSseEnabled: true }),
            tags,
        }, parent);

        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: role.id,
            policy: pulumi
                .all([logGroup.arn, failureQueue.arn, args.kmsKeyArn, args.statements ?? []])
                .apply(([logArn, queueArn, kmsArn, extra]) => JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [...baseStatements(logArn, queueArn, kmsArn), ...(extra as PolicyStatement[])],
                })),
        }, parent);

        const fn = new aws.lambda.Function(`${name}-fn`, {
            region,
            description: args.description,
            code: lambdaArchive(args.callbackFactory, exclude),
            handler: LAMBDA_HANDLER,
            runtime: LAMBDA_RUNTIME,
            role: role.arn,
            timeout,
            memorySize: args.memorySize ?? 256,
            layers: args.layers,
            environment: args.environment ? { variables: args.environment } : undefined,
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            reservedConcurrentExecutions: reserved > 0 ? reserved : undefined,
            tags,
        }, { parent: this, dependsOn: [policy] });

        new aws.lambda.FunctionEventInvokeConfig(`${name}-async`, {
            region,
            functionName: fn.name,
            maximumRetryAttempts: retries,
            maximumEventAgeInSeconds: args.maximumEventAgeInSeconds ?? 21600,
            destinationConfig: { onFailure: { destination: failureQueue.arn } },
        }, parent);

        const alarm = queueDepthAlarm(`${name}-failed-alarm`, {
            region,
            description: `guardpost ${args.functionTag}: events failed every retry and are parked in the failure queue`,
            queueName: failureQueue.name,
            actions: args.alarmTopicArn ? [args.alarmTopicArn] : [],
            tags,
        }, parent);

        this.function = fn;
        this.role = role;
        this.failureQueue = failureQueue;
        this.logGroup = logGroup;
        this.alarm = alarm;
        this.registerOutputs({
            functionName: fn.name,
            roleArn: role.arn,
            failureQueueUrl: failureQueue.url,
        });
    }
}
