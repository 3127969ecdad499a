/**
 * `npm run check-subscriptions -- --stack S [--outputs outputs.json] [--state state.json] [--pending-hours 24]`
 * Wiring only (the logic is in checkSubscriptionsLib.ts): the stack file names the recipients
 * (`guardpost:alerts.emails`), the stack's `alertTopics` output the topics (`pulumi stack output --json`, or
 * --outputs), its state when each subscription was created (`pulumi stack export`, or --state; without it a
 * pending subscription's age is unknown and it is reported). Each account is read through its deployer role as
 * session `guardpost-check-subscriptions`. Exit 0: every recipient confirmed; 2: a problem found; 1: the check
 * itself failed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseConfig } from "../config";
import { CHECK_SUBSCRIPTIONS_SESSION } from "../model/sessionName";
import { deployerCredentials } from "./deployerCredentials";
import { readStackFile } from "../stackFile";
import {
    checkSubscriptions, createdTimesFromState, EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND, formatCheck, parseCheckArgs, SnsReader, TopicTarget, targetsFromOutputs,
} from "./checkSubscriptionsLib";

/** SNS through the account's deployer role (the SDK's ListSubscriptionsByTopic paginator follows NextToken). */
export function snsReader(target: TopicTarget): SnsReader {
    const { SNSClient, GetSubscriptionAttributesCommand, paginateListSubscriptionsByTopic } = require("@aws-sdk/client-sns");
    const client = new SNSClient({
        region: target.region,
        credentials: deployerCredentials(target.roleArn, CHECK_SUBSCRIPTIONS_SESSION, target.region),
    });
    return {
        async list(topicArn) {
            const out = [];
            for await (const page of paginateListSubscriptionsByTopic({ client }, { TopicArn: topicArn })) {
                for (const s of page.Subscriptions ?? []) out.push({ subscriptionArn: s.SubscriptionArn ?? "", protocol: s.Protocol ?? "", endpoint: s.Endpoint ?? "" });
            }
            return out;
        },
        async pending(subscriptionArn) {
            const res = await client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
            return res.Attributes?.PendingConfirmation === "true";
        },
    };
}

async function main(argv: string[]): Promise<number> {
    const args = parseCheckArgs(argv);
    if ("error" in args) { console.error(`check-subscriptions: ${args.error}`); return EXIT_ERROR; }
    const cfg = parseConfig(readStackFile(args.stack).config);
    const pulumi = (...a: string[]) => execFileSync("pulumi", [...a, "--stack", args.stack], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
    const outputs = JSON.parse(args.outputsFile ? fs.readFileSync(args.outputsFile, "utf8") : pulumi("stack", "output", "--json"));
    let state: unknown;
    try { state = JSON.parse(args.stateFile ? fs.readFileSync(args.stateFile, "utf8") : pulumi("stack", "export")); } catch (e) {
        console.error(`check-subscriptions: no stack state (${(e as Error).message.split("\n")[0]}); pending subscriptions are reported whatever their age`);
    }
    const targets = targetsFromOutputs(cfg.accounts, outputs.alertTopics, outputs.siemDetectionsTopic);
    if (targets.length === 0) { console.error("check-subscriptions: the stack's outputs name no alert topic (alertTopics); has it been deployed?"); return EXIT_ERROR; }
    const result = await checkSubscriptions(targets, cfg.alerts.emails, { sns: snsReader, createdAt: state ? createdTimesFromState(state) : undefined, pendingHours: args.pendingHours });
    for (const line of formatCheck(result, args.stack, targets.length)) console.log(line);
    return result.findings.length > 0 ? EXIT_FOUND : EXIT_CLEAN;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
        console.error(`check-subscriptions: ${(e as Error).message}`);
        process.exitCode = EXIT_ERROR;
    });
}
