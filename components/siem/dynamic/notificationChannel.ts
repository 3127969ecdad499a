import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./args";
import { connectionOf, diffInputs, projectLike, send, withRetry, withRetryUnlessGone, readsGoneDomainAsDeleted } from "./opensearchClient";

export const NOTIFICATION_CHANNEL_PROVIDER_VERSION = "1";

export interface NotificationChannelArgs extends ConnectionArgs {
    /** Fixed channel id (`config_id`), which detectors and monitors name as `destination_id`. */
    channelId: pulumi.Input<string>;
    name: pulumi.Input<string>;
    description?: pulumi.Input<string>;
    /** The SNS topic findings go to. */
    topicArn: pulumi.Input<string>;
    /** The IAM role the domain assumes to publish to the topic (not `roleArn`, the role that signs these requests). */
    publishRoleArn: pulumi.Input<string>;
}

const CONFIGS = "/_plugins/_notifications/configs";

function channelConfig(props: any): object {
    return {
        name: props.name,
        description: props.description ?? "Managed by guardpost",
        config_type: "sns",
        is_enabled: true,
        sns: { topic_arn: props.topicArn, role_arn: props.publishRoleArn },
    };
}

/**
 * Create or replace the SNS channel under its fixed id (https://docs.opensearch.org/latest/observing-your-data/notifications/api/):
 * POST creates, PUT `configs/<id>` replaces.
 */
async function putChannel(props: any): Promise<void> {
    const conn = connectionOf(props);
    await withRetry(conn, `notification channel ${props.channelId}`, async client => {
        const got = await send(client, conn, { method: "GET", path: `${CONFIGS}/${encodeURIComponent(props.channelId)}` }, [404]);
        if (got.statusCode === 404) {
            await send(client, conn, { method: "POST", path: CONFIGS, body: { config_id: props.channelId, config: channelConfig(props) } }, [], true);
        } else {
            await send(client, conn, { method: "PUT", path: `${CONFIGS}/${encodeURIComponent(props.channelId)}`, body: { config: channelConfig(props) } }, [], true);
        }
    });
}

function outputs(props: any): any {
    const { __provider, ...rest } = props;
    return rest;
}

export const notificationChannelProvider: pulumi.dynamic.ResourceProvider = readsGoneDomainAsDeleted({
    async check(_olds: any, news: any) {
        const failures = [];
        if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/.test(news.topicArn ?? "")) failures.push({ property: "topicArn", reason: "an SNS topic ARN is required" });
        if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(news.publishRoleArn ?? "")) failures.push({ property: "publishRoleArn", reason: "an IAM role ARN is required" });
        return { inputs: news, failures };
    },
    async diff(_id: string, olds: any, news: any) {
        return diffInputs(olds, news, ["channelId"]);
    },
    async create(inputs: any) {
        await putChannel(inputs);
        return { id: inputs.channelId, outs: outputs(inputs) };
    },
    async update(_id: string, _olds: any, news: any) {
        await putChannel(news);
        return { outs: outputs(news) };
    },
    async read(id: string, props: any) {
        const conn = connectionOf(props);
        const got = await withRetry(conn, `notification channel ${id}`, client => send(client, conn, { method: "GET", path: `${CONFIGS}/${encodeURIComponent(props.channelId ?? id)}` }, [404]));
        const live = got.statusCode === 404 ? undefined : got.body?.config_list?.[0]?.config;
        if (!live) return {};
        const shaped = projectLike(live, channelConfig(props)) as any;
        return { id, props: { ...props, name: shaped.name, topicArn: shaped.sns?.topic_arn, publishRoleArn: shaped.sns?.role_arn } };
    },
    async delete(_id: string, props: any) {
        const conn = connectionOf(props);
        await withRetryUnlessGone(conn, `notification channel ${props.channelId}`, client =>
            send(client, conn, { method: "DELETE", path: `${CONFIGS}/${encodeURIComponent(props.channelId)}` }, [404], true));
    },
});

/** An OpenSearch Notifications channel of type SNS: where detectors' and monitors' actions send. */
export class NotificationChannel extends pulumi.dynamic.Resource {
    declare readonly channelId: pulumi.Output<string>;

    constructor(name: string, args: NotificationChannelArgs, opts?: pulumi.CustomResourceOptions) {
        super(notificationChannelProvider, name, { ...args, version: NOTIFICATION_CHANNEL_PROVIDER_VERSION }, opts, "opensearch", "NotificationChannel");
    }
}
