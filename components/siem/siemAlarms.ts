import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * A domain that tells when it is sick: AWS's recommended CloudWatch alarms for OpenSearch Service
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html), on the
 * domain's `AWS/ES` metrics (dimensions `DomainName` and `ClientId` = account,
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-cloudwatchmetrics.html),
 * each to the security account's alert topic. The runbook line of each is in the README ("SIEM alarms").
 */

export interface DomainAlarmSpec {
    /** Suffix of the resource name and key of the README runbook line. */
    id: string;
    metricName: string;
    statistic: "Maximum" | "Minimum";
    comparisonOperator: "GreaterThanOrEqualToThreshold" | "LessThanOrEqualToThreshold" | "LessThanThreshold";
    threshold: number;
    period: number;
    evaluationPeriods: number;
    /** KMS and snapshot metrics exist only while something is wrong: no data is not an alarm. */
    treatMissingData: "missing" | "notBreaching";
    description: string;
}

export function domainAlarmSpecs(p: { domainName: string; dataNodes: number; volumeSizeGiB: number; dedicatedMasters?: number }): DomainAlarmSpec[] {
    const masters = p.dedicatedMasters ?? 0;
    const freeMiB = Math.floor(p.volumeSizeGiB * 1024 * 0.2);
    const specs: DomainAlarmSpec[] = [
        { id: "red", metricName: "ClusterStatus.red", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, period: 60, evaluationPeriods: 1, treatMissingData: "missing",
            description: "a primary shard and its replicas are not allocated: some logs cannot be searched or written, ISM and snapshots stop" },
        { id: "yellow", metricName: "ClusterStatus.yellow", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, period: 60, evaluationPeriods: 5, treatMissingData: "missing",
            description: "a replica shard is not allocated for 5 minutes: one more node failure loses data" },
        // FreeStorageSpace is MiB per node; Minimum is the fullest node.
        { id: "free-storage", metricName: "FreeStorageSpace", statistic: "Minimum", comparisonOperator: "LessThanOrEqualToThreshold", threshold: freeMiB, period: 60, evaluationPeriods: 1, treatMissingData: "missing",
            description: `a data node has 20 % (${freeMiB} MiB) or less of its ${p.volumeSizeGiB} GiB free: writes are blocked at the flood-stage watermark` },
        { id: "writes-blocked", metricName: "ClusterIndexWritesBlocked", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, period: 300, evaluationPeriods: 1, treatMissingData: "missing",
            description: "the cluster refuses writes: every log shipper and Firehose stream is parking records" },
        { id: "jvm-pressure", metricName: "JVMMemoryPressure", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 95, period: 60, evaluationPeriods: 3, treatMissingData: "missing",
            description: "JVM heap at 95 % for 3 minutes: out-of-memory errors and circuit breakers are next" },
        { id: "snapshot-failure", metricName: "AutomatedSnapshotFailure", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, period: 60, evaluationPeriods: 1, treatMissingData: "notBreaching",
            description: "an automated snapshot failed (often because the cluster is red): no recent restore point" },
        { id: "kms-error", metricName: "KMSKeyError", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, period: 60, evaluationPeriods: 1, treatMissingData: "notBreaching",
            description: "the domain's KMS key is disabled" },
        { id: "kms-inaccessible", metricName: "KMSKeyInaccessible", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, period: 60, evaluationPeriods: 1, treatMissingData: "notBreaching",
            description: "the domain's KMS key is deleted or its grants revoked: the data becomes unreadable" },
        { id: "cpu", metricName: "CPUUtilization", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 80, period: 900, evaluationPeriods: 3, treatMissingData: "missing",
            description: "data node CPU at 80 % or more for 45 minutes: indexing falls behind and shippers start retrying" },
        { id: "nodes", metricName: "Nodes", statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: p.dataNodes + masters, period: 86400, evaluationPeriods: 1, treatMissingData: "missing",
            description: `fewer than the ${p.dataNodes + masters} nodes of the domain for a day: a node has failed and was not replaced` },
    ];
    if (masters > 0) {
        specs.push(
            { id: "master-cpu", metricName: "MasterCPUUtilization", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 50, period: 900, evaluationPeriods: 3, treatMissingData: "missing",
                description: "dedicated master CPU at 50 % or more for 45 minutes: cluster state updates slow down; use a larger master type" },
            { id: "master-jvm", metricName: "MasterJVMMemoryPressure", statistic: "Maximum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 95, period: 60, evaluationPeriods: 3, treatMissingData: "missing",
                description: "dedicated master heap at 95 % for 3 minutes: the cluster may lose its master" },
            { id: "master-reachable", metricName: "MasterReachableFromNode", statistic: "Maximum", comparisonOperator: "LessThanThreshold", threshold: 1, period: 86400, evaluationPeriods: 1, treatMissingData: "missing",
                description: "the master node was unreachable: the cluster cannot change state, create indices or elect a master" },
        );
    }
    // One data node cannot hold replicas: with replicas 0 it is green, and a yellow alarm there would only be noise.
    return p.dataNodes > 1 ? specs : specs.filter(s => s.id !== "yellow");
}

export function domainAlarms(name: string, p: { domainName: pulumi.Input<string>; accountId: string; region: string; dataNodes: number; volumeSizeGiB: number;
    dedicatedMasters?: number; topicArn: pulumi.Input<string>; stage: string }, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm[] {
    return domainAlarmSpecs({ domainName: "", dataNodes: p.dataNodes, volumeSizeGiB: p.volumeSizeGiB, dedicatedMasters: p.dedicatedMasters }).map(s => new aws.cloudwatch.MetricAlarm(`${name}-alarm-${s.id}`, {
        region: p.region,
        alarmDescription: pulumi.interpolate`guardpost ${p.stage} SIEM ${p.domainName}: ${s.description}. Runbook: README "SIEM alarms", ${s.id}.`,
        namespace: "AWS/ES",
        metricName: s.metricName,
        dimensions: { DomainName: p.domainName, ClientId: p.accountId },
        statistic: s.statistic,
        comparisonOperator: s.comparisonOperator,
        threshold: s.threshold,
        period: s.period,
        evaluationPeriods: s.evaluationPeriods,
        treatMissingData: s.treatMissingData,
        alarmActions: [p.topicArn],
        okActions: [p.topicArn],
    }, opts));
}

/**
 * One CloudWatch Logs resource policy for every OpenSearch domain of the account and region
 * (`/aws/opensearch/*`): CloudWatch Logs allows 10 resource policies per region, and AWS advises "create and
 * reuse a broader policy that includes multiple log groups to avoid reaching this limit"
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html).
 * Only the OpenSearch service acting for a domain of this account may write (confused deputy).
 */
export const SHARED_LOG_POLICY_NAME = "guardpost-opensearch-logs";

export function sharedLogResourcePolicy(p: { partition: string; region: string; account: string }): object {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "OpenSearchDomainLogs",
            Effect: "Allow",
            Principal: { Service: "es.amazonaws.com" },
            Action: ["logs:PutLogEvents", "logs:CreateLogStream"],
            Resource: `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:/aws/opensearch/*`,
            Condition: { StringEquals: { "aws:SourceAccount": p.account }, ArnLike: { "aws:SourceArn": `arn:${p.partition}:es:${p.region}:${p.account}:domain/*` } },
        }],
    };
}
