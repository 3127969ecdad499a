import { assumeRoleRefused, isCredentialRefusal } from "../model/sessionName";

/**
 * Credentials for an account's deployer role, as the npm commands (replay, check-subscriptions) use it: STS
 * AssumeRole with a `guardpost-` session name, refreshed by the SDK. A refusal fails the command at once with
 * the role, the session name and the fix (model/sessionName.ts assumeRoleRefused), as the OpenSearch providers
 * and sample-findings do, instead of the SDK's bare AccessDenied.
 */
export function deployerCredentials(roleArn: string, session: string, region: string, clientConfig: Record<string, unknown> = {}): () => Promise<any> {
    const { fromTemporaryCredentials } = require("@aws-sdk/credential-providers");
    const inner = fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: session }, clientConfig: { region, ...clientConfig } });
    return async () => {
        try {
            return await inner();
        } catch (e: any) {
            throw isCredentialRefusal(e) ? assumeRoleRefused(roleArn, session, `${e?.name ?? "Error"}: ${e?.message ?? e}`) : e;
        }
    };
}
