/**
 * What the deployer role must be allowed to do, per Pulumi resource type: the API calls @pulumi/aws (the
 * Terraform AWS provider underneath) makes to create, read, update, tag and delete that type — tags included,
 * because the providers set default tags on every resource and AWS authorizes tag-on-create separately
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-tag-keys).
 * `test/deployerRole.test.ts` fails for a resource type that a stack's plan declares and this table does
 * not map, so a new type is mapped before it is deployed. Every action name is checked against AWS's
 * service authorization reference by the IAM simulator in that test.
 *
 * `iam` entries are scoped to guardpost's role path by the policy builder; `vendedLogs` marks sources that
 * deliver through CloudWatch Logs' vended-log mechanism, whose caller needs the log-delivery actions
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html#AWS-logs-infrastructure-Firehose);
 * `serviceLinkedRoles` are the roles AWS creates on first use of a service
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html), allowed by name only;
 * `passRoleTo` is the service a role of this resource is passed to (iam:PassedToService).
 */
export interface TypeActions {
    actions: string[];
    iam?: string[];
    vendedLogs?: boolean;
    serviceLinkedRoles?: string[];
    passRoleTo?: string;
    /** Only with this exact managed policy ARN suffix (after `arn:<partition>:iam::aws:policy/`). */
    attachPolicies?: string[];
}

const ORGANIZATIONS_DELEGATION = [
    "organizations:EnableAWSServiceAccess", "organizations:RegisterDelegatedAdministrator", "organizations:DeregisterDelegatedAdministrator",
    "organizations:ListDelegatedAdministrators", "organizations:ListAWSServiceAccessForOrganization", "organizations:DescribeOrganization",
    "organizations:DescribeAccount", "organizations:ListAccounts",
    // GuardDuty's EnableOrganizationAdminAccount reads the organization's structure
    // (https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html), as does Security Hub's
    // (AWSSecurityHubOrganizationsAccess).
    "organizations:DescribeOrganizationalUnit", "organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent", "organizations:ListAccountsForParent",
];

export const OPENSEARCH_REST_ACTIONS = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPut", "es:ESHttpPost", "es:ESHttpDelete", "es:ESHttpPatch"];

export const RESOURCE_ACTIONS: Record<string, TypeActions> = {
    "aws:iam/role:Role": {
        actions: [],
        iam: ["iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole"],
    },
    "aws:iam/rolePolicy:RolePolicy": { actions: [], iam: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"] },
    // AWS_ConfigRole for a standalone recorder role, AWSConfigRoleForOrganizations for the organization aggregator's role.
    // AWS_ConfigRole for a standalone recorder role, AWSConfigRoleForOrganizations for the organization aggregator's role,
    // AmazonOpenSearchServiceCognitoAccess for the role OpenSearch uses to configure the SIEM's Cognito pools.
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        actions: [], attachPolicies: ["service-role/AWS_ConfigRole", "service-role/AWSConfigRoleForOrganizations", "AmazonOpenSearchServiceCognitoAccess"],
    },
    // Config's recorder role (https://docs.aws.amazon.com/config/latest/developerguide/using-service-linked-roles.html):
    // created by name only, through the service-linked-role allowance below.
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": { actions: [], serviceLinkedRoles: ["config.amazonaws.com"] },
    "aws:kms/key:Key": {
        actions: ["kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
            "kms:DisableKeyRotation", "kms:UpdateKeyDescription", "kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion",
            "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource"],
    },
    "aws:kms/alias:Alias": { actions: ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "kms:ListAliases"] },
    // sns:ListSubscriptionsByTopic: `npm run check-subscriptions` reads each alert topic's subscriptions as the deployer.
    "aws:sns/topic:Topic": { actions: ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource",
        "sns:ListSubscriptionsByTopic"] },
    "aws:sns/topicPolicy:TopicPolicy": { actions: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"] },
    "aws:sns/topicSubscription:TopicSubscription": { actions: ["sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"] },
    // ReceiveMessage/DeleteMessage: `npm run replay` drains the on-failure queues and DLQs as the deployer.
    "aws:sqs/queue:Queue": { actions: ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
        "sqs:ReceiveMessage", "sqs:DeleteMessage"] },
    "aws:sqs/queuePolicy:QueuePolicy": { actions: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"] },
    "aws:lambda/function:Function": {
        actions: ["lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
            "lambda:DeleteFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionConcurrency", "lambda:GetLayerVersion", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"],
        passRoleTo: "lambda.amazonaws.com",
    },
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {
        actions: ["lambda:PutFunctionEventInvokeConfig", "lambda:GetFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig"],
    },
    "aws:lambda/layerVersion:LayerVersion": {
        actions: ["lambda:PublishLayerVersion", "lambda:GetLayerVersion", "lambda:DeleteLayerVersion", "lambda:ListLayerVersions", "s3:GetObject", "s3:GetObjectVersion"],
    },
    "aws:lambda/permission:Permission": { actions: ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"] },
    "aws:cloudwatch/logGroup:LogGroup": {
        actions: ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"],
    },
    "aws:cloudwatch/logStream:LogStream": { actions: ["logs:CreateLogStream", "logs:DeleteLogStream", "logs:DescribeLogStreams"] },
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": { actions: ["logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter", "logs:DescribeSubscriptionFilters"] },
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": { actions: ["logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "logs:DescribeResourcePolicies"] },
    "aws:cloudwatch/logDestination:LogDestination": {
        actions: ["logs:PutDestination", "logs:DeleteDestination", "logs:DescribeDestinations", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"],
        passRoleTo: "logs.amazonaws.com",
    },
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": { actions: ["logs:PutDestinationPolicy", "logs:DescribeDestinations"] },
    "aws:cloudwatch/metricAlarm:MetricAlarm": { actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"] },
    "aws:cloudwatch/eventRule:EventRule": {
        actions: ["events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:EnableRule", "events:DisableRule", "events:ListTargetsByRule",
            "events:TagResource", "events:UntagResource", "events:ListTagsForResource"],
    },
    "aws:cloudwatch/eventTarget:EventTarget": { actions: ["events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"], passRoleTo: "events.amazonaws.com" },
    // Get/Put/DeleteObject: `npm run replay` reads, rewrites and removes parked records in the dead-letter buckets.
    "aws:s3/bucket:Bucket": {
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketAcl",
            "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment",
            "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration",
            "s3:GetBucketObjectLockConfiguration", "s3:GetBucketPolicy", "s3:GetBucketOwnershipControls", "s3:GetBucketPublicAccessBlock"],
    },
    "aws:s3/bucketPolicy:BucketPolicy": { actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"] },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"] },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": { actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"] },
    "aws:s3/bucketVersioning:BucketVersioning": { actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"] },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": { actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"] },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": { actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"] },
    "aws:s3/bucketMetric:BucketMetric": { actions: ["s3:PutMetricsConfiguration", "s3:GetMetricsConfiguration"] },
    "aws:s3/bucketNotification:BucketNotification": { actions: ["s3:PutBucketNotification", "s3:GetBucketNotification"] },
    "aws:s3/bucketObjectv2:BucketObjectv2": {
        actions: ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:ListBucketVersions"],
    },
    "aws:ssm/parameter:Parameter": {
        actions: ["ssm:PutParameter", "ssm:GetParameter", "ssm:GetParameters", "ssm:DescribeParameters", "ssm:DeleteParameter",
            "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource"],
    },
    "aws:dynamodb/table:Table": {
        actions: ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:DescribeTimeToLive",
            "dynamodb:UpdateTimeToLive", "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UntagResource"],
    },
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
        actions: ["firehose:CreateDeliveryStream", "firehose:DescribeDeliveryStream", "firehose:DeleteDeliveryStream", "firehose:UpdateDestination",
            "firehose:StartDeliveryStreamEncryption", "firehose:StopDeliveryStreamEncryption", "firehose:TagDeliveryStream", "firehose:UntagDeliveryStream",
            "firehose:ListTagsForDeliveryStream", "es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"],
        passRoleTo: "firehose.amazonaws.com",
    },
    "aws:ec2/flowLog:FlowLog": {
        actions: ["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:DescribeFlowLogs", "ec2:CreateTags", "ec2:DeleteTags"],
        vendedLogs: true,
        passRoleTo: "vpc-flow-logs.amazonaws.com",
    },
    // Logging to Firehose lists the streams and creates WAF's service-linked role on first use
    // (https://docs.aws.amazon.com/waf/latest/developerguide/logging-kinesis.html,
    // https://docs.aws.amazon.com/waf/latest/developerguide/using-service-linked-roles.html).
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {
        actions: ["wafv2:PutLoggingConfiguration", "wafv2:GetLoggingConfiguration", "wafv2:DeleteLoggingConfiguration", "firehose:ListDeliveryStreams"],
        vendedLogs: true,
        serviceLinkedRoles: ["wafv2.amazonaws.com"],
    },
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": {
        actions: ["route53resolver:CreateResolverQueryLogConfig", "route53resolver:GetResolverQueryLogConfig", "route53resolver:DeleteResolverQueryLogConfig",
            "route53resolver:ListResolverQueryLogConfigs", "route53resolver:TagResource", "route53resolver:UntagResource", "route53resolver:ListTagsForResource"],
        vendedLogs: true,
    },
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": {
        actions: ["route53resolver:AssociateResolverQueryLogConfig", "route53resolver:DisassociateResolverQueryLogConfig",
            "route53resolver:GetResolverQueryLogConfigAssociation", "route53resolver:ListResolverQueryLogConfigAssociations", "ec2:DescribeVpcs"],
    },
    "aws:cloudtrail/trail:Trail": {
        actions: ["cloudtrail:CreateTrail", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus",
            "cloudtrail:DescribeTrails", "cloudtrail:StartLogging", "cloudtrail:StopLogging", "cloudtrail:GetEventSelectors", "cloudtrail:PutEventSelectors",
            "cloudtrail:GetInsightSelectors", "cloudtrail:AddTags", "cloudtrail:RemoveTags", "cloudtrail:ListTags",
            "organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization"],
        // An organization trail creates CloudTrail's service-linked role in the management account
        // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-an-organizational-trail-prepare.html).
        serviceLinkedRoles: ["cloudtrail.amazonaws.com"],
        passRoleTo: "cloudtrail.amazonaws.com",
    },
    "aws:cfg/recorder:Recorder": { actions: ["config:PutConfigurationRecorder", "config:DescribeConfigurationRecorders", "config:DeleteConfigurationRecorder"], passRoleTo: "config.amazonaws.com" },
    "aws:cfg/deliveryChannel:DeliveryChannel": { actions: ["config:PutDeliveryChannel", "config:DescribeDeliveryChannels", "config:DeleteDeliveryChannel"] },
    "aws:cfg/configurationAggregator:ConfigurationAggregator": {
        actions: ["config:PutConfigurationAggregator", "config:DescribeConfigurationAggregators", "config:DeleteConfigurationAggregator",
            "config:TagResource", "config:UntagResource", "config:ListTagsForResource",
            // An organization aggregator reads the organization (https://docs.aws.amazon.com/config/latest/developerguide/set-up-aggregator-cli.html).
            "organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization", "organizations:ListDelegatedAdministrators"],
        passRoleTo: "config.amazonaws.com",
    },
    "aws:cfg/aggregateAuthorization:AggregateAuthorization": {
        actions: ["config:PutAggregationAuthorization", "config:DescribeAggregationAuthorizations", "config:DeleteAggregationAuthorization",
            "config:TagResource", "config:UntagResource", "config:ListTagsForResource"],
    },
    "aws:cfg/recorderStatus:RecorderStatus": { actions: ["config:StartConfigurationRecorder", "config:StopConfigurationRecorder", "config:DescribeConfigurationRecorderStatus"] },
    "aws:guardduty/detector:Detector": {
        actions: ["guardduty:CreateDetector", "guardduty:GetDetector", "guardduty:UpdateDetector", "guardduty:DeleteDetector", "guardduty:ListDetectors",
            "guardduty:TagResource", "guardduty:UntagResource", "guardduty:ListTagsForResource"],
        serviceLinkedRoles: ["guardduty.amazonaws.com", "malware-protection.guardduty.amazonaws.com"],
    },
    "aws:guardduty/detectorFeature:DetectorFeature": { actions: ["guardduty:UpdateDetector", "guardduty:GetDetector"] },
    // GuardDuty updates its service-linked role's inline policy to read the list from S3
    // (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html#guardduty-permissions-lists).
    "aws:guardduty/iPSet:IPSet": { actions: ["guardduty:CreateIPSet", "guardduty:GetIPSet", "guardduty:UpdateIPSet", "guardduty:DeleteIPSet", "guardduty:ListIPSets", "guardduty:TagResource"] },
    "aws:guardduty/threatIntelSet:ThreatIntelSet": { actions: ["guardduty:CreateThreatIntelSet", "guardduty:GetThreatIntelSet", "guardduty:UpdateThreatIntelSet", "guardduty:DeleteThreatIntelSet", "guardduty:ListThreatIntelSets", "guardduty:TagResource"] },
    "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount": {
        actions: ["guardduty:EnableOrganizationAdminAccount", "guardduty:DisableOrganizationAdminAccount", "guardduty:ListOrganizationAdminAccounts", ...ORGANIZATIONS_DELEGATION],
        serviceLinkedRoles: ["guardduty.amazonaws.com"],
    },
    "aws:guardduty/organizationConfiguration:OrganizationConfiguration": { actions: ["guardduty:UpdateOrganizationConfiguration", "guardduty:DescribeOrganizationConfiguration"] },
    "aws:guardduty/organizationConfigurationFeature:OrganizationConfigurationFeature": { actions: ["guardduty:UpdateOrganizationConfiguration", "guardduty:DescribeOrganizationConfiguration"] },
    // Findings export to the archive bucket (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html).
    "aws:guardduty/publishingDestination:PublishingDestination": {
        actions: ["guardduty:CreatePublishingDestination", "guardduty:DescribePublishingDestination", "guardduty:UpdatePublishingDestination",
            "guardduty:DeletePublishingDestination", "guardduty:ListPublishingDestinations"],
    },
    "aws:guardduty/member:Member": {
        actions: ["guardduty:CreateMembers", "guardduty:GetMembers", "guardduty:DeleteMembers", "guardduty:DisassociateMembers", "guardduty:InviteMembers", "guardduty:ListMembers"],
    },
    "aws:guardduty/memberDetectorFeature:MemberDetectorFeature": { actions: ["guardduty:UpdateMemberDetectors", "guardduty:GetMemberDetectors"] },
    "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": {
        actions: ["guardduty:CreateMalwareProtectionPlan", "guardduty:GetMalwareProtectionPlan", "guardduty:UpdateMalwareProtectionPlan",
            "guardduty:DeleteMalwareProtectionPlan", "guardduty:TagResource", "guardduty:UntagResource"],
        passRoleTo: "malware-protection-plan.guardduty.amazonaws.com",
    },
    "aws:detective/member:Member": {
        actions: ["detective:CreateMembers", "detective:GetMembers", "detective:DeleteMembers", "detective:ListMembers"],
    },
    "aws:securityhub/member:Member": {
        actions: ["securityhub:CreateMembers", "securityhub:GetMembers", "securityhub:DeleteMembers", "securityhub:DisassociateMembers", "securityhub:ListMembers"],
    },
    // Central configuration (https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-intro.html).
    "aws:securityhub/configurationPolicy:ConfigurationPolicy": {
        actions: ["securityhub:CreateConfigurationPolicy", "securityhub:GetConfigurationPolicy", "securityhub:UpdateConfigurationPolicy",
            "securityhub:DeleteConfigurationPolicy", "securityhub:ListConfigurationPolicies", "securityhub:DescribeStandards",
            "securityhub:ListSecurityControlDefinitions"],
    },
    "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation": {
        actions: ["securityhub:StartConfigurationPolicyAssociation", "securityhub:StartConfigurationPolicyDisassociation",
            "securityhub:GetConfigurationPolicyAssociation", "securityhub:ListConfigurationPolicyAssociations",
            "organizations:DescribeOrganizationalUnit", "organizations:ListRoots", "organizations:DescribeAccount"],
    },
    // Trusted access and delegated administrators, one principal at a time (management account only).
    "aws:organizations/awsServiceAccess:AwsServiceAccess": {
        actions: ["organizations:EnableAWSServiceAccess", "organizations:DisableAWSServiceAccess", "organizations:ListAWSServiceAccessForOrganization", "organizations:DescribeOrganization"],
    },
    "aws:organizations/delegatedAdministrator:DelegatedAdministrator": {
        actions: ["organizations:RegisterDelegatedAdministrator", "organizations:DeregisterDelegatedAdministrator", "organizations:ListDelegatedAdministrators",
            "organizations:ListDelegatedServicesForAccount", "organizations:DescribeOrganization", "organizations:DescribeAccount"],
    },
    "aws:detective/graph:Graph": { actions: ["detective:CreateGraph", "detective:DeleteGraph", "detective:ListGraphs", "detective:TagResource", "detective:UntagResource", "detective:ListTagsForResource"] },
    "aws:detective/organizationAdminAccount:OrganizationAdminAccount": {
        actions: ["detective:EnableOrganizationAdminAccount", "detective:DisableOrganizationAdminAccount", "detective:ListOrganizationAdminAccount", ...ORGANIZATIONS_DELEGATION],
        // As AmazonDetectiveOrganizationsAccess grants (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonDetectiveOrganizationsAccess.html).
        serviceLinkedRoles: ["detective.amazonaws.com"],
    },
    "aws:detective/organizationConfiguration:OrganizationConfiguration": { actions: ["detective:UpdateOrganizationConfiguration", "detective:DescribeOrganizationConfiguration"] },
    "aws:securityhub/account:Account": {
        actions: ["securityhub:EnableSecurityHub", "securityhub:DisableSecurityHub", "securityhub:DescribeHub", "securityhub:UpdateSecurityHubConfiguration", "securityhub:GetEnabledStandards", "securityhub:TagResource"],
        serviceLinkedRoles: ["securityhub.amazonaws.com"],
    },
    "aws:securityhub/standardsSubscription:StandardsSubscription": { actions: ["securityhub:BatchEnableStandards", "securityhub:BatchDisableStandards", "securityhub:GetEnabledStandards", "securityhub:DescribeStandards"] },
    "aws:securityhub/findingAggregator:FindingAggregator": {
        actions: ["securityhub:CreateFindingAggregator", "securityhub:GetFindingAggregator", "securityhub:UpdateFindingAggregator", "securityhub:DeleteFindingAggregator", "securityhub:ListFindingAggregators"],
    },
    "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount": {
        actions: ["securityhub:EnableOrganizationAdminAccount", "securityhub:DisableOrganizationAdminAccount", "securityhub:ListOrganizationAdminAccounts", ...ORGANIZATIONS_DELEGATION],
        serviceLinkedRoles: ["securityhub.amazonaws.com"],
    },
    "aws:securityhub/organizationConfiguration:OrganizationConfiguration": { actions: ["securityhub:UpdateOrganizationConfiguration", "securityhub:DescribeOrganizationConfiguration"] },
    "aws:opensearch/domain:Domain": {
        actions: ["es:CreateDomain", "es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig", "es:UpdateDomainConfig", "es:DeleteDomain",
            "es:AddTags", "es:RemoveTags", "es:ListTags", "es:UpgradeDomain", "es:GetCompatibleVersions"],
        serviceLinkedRoles: ["opensearchservice.amazonaws.com"],
        // The Cognito access role (cognitoOptions) and the notification channel's SNS role are passed to OpenSearch.
        passRoleTo: "es.amazonaws.com",
    },
    // Sign-in for people (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cognito-auth.html).
    "aws:cognito/userPool:UserPool": {
        actions: ["cognito-idp:CreateUserPool", "cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool", "cognito-idp:DeleteUserPool",
            "cognito-idp:SetUserPoolMfaConfig", "cognito-idp:GetUserPoolMfaConfig", "cognito-idp:TagResource", "cognito-idp:UntagResource", "cognito-idp:ListTagsForResource"],
    },
    "aws:cognito/userPoolDomain:UserPoolDomain": {
        actions: ["cognito-idp:CreateUserPoolDomain", "cognito-idp:DescribeUserPoolDomain", "cognito-idp:UpdateUserPoolDomain", "cognito-idp:DeleteUserPoolDomain"],
    },
    "aws:cognito/userGroup:UserGroup": {
        actions: ["cognito-idp:CreateGroup", "cognito-idp:GetGroup", "cognito-idp:UpdateGroup", "cognito-idp:DeleteGroup"],
        passRoleTo: "cognito-idp.amazonaws.com",
    },
    "aws:cognito/identityPool:IdentityPool": {
        actions: ["cognito-identity:CreateIdentityPool", "cognito-identity:DescribeIdentityPool", "cognito-identity:UpdateIdentityPool",
            "cognito-identity:DeleteIdentityPool", "cognito-identity:TagResource", "cognito-identity:UntagResource", "cognito-identity:ListTagsForResource"],
    },
    // The attachment's role mappings name the app clients of the user pool, which the program reads just before
    // (aws.cognito.getUserPoolClients → ListUserPoolClients; components/siem/siemRoleMapping.ts). Invokes declare no
    // type of their own, so the read is listed with the one resource that needs it.
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment": {
        actions: ["cognito-identity:SetIdentityPoolRoles", "cognito-identity:GetIdentityPoolRoles", "cognito-idp:ListUserPoolClients"],
        passRoleTo: "cognito-identity.amazonaws.com",
    },
    "aws:opensearch/domainPolicy:DomainPolicy": { actions: ["es:UpdateDomainConfig", "es:DescribeDomain", "es:DescribeDomainConfig"] },
};

/**
 * The role changes that could widen what a role may do: allowed only when the role carries guardpost's boundary
 * (condition key `iam:PermissionsBoundary`, which IAM's service authorization reference lists for each of these
 * actions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html),
 * as in AWS's "delegating responsibility to others using permissions boundaries" example
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). Reading, tagging, describing
 * and deleting roles stay unconditioned.
 */
export const BOUNDARY_CONDITIONED_IAM_ACTIONS = [
    "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:UpdateAssumeRolePolicy",
];

/** OpenSearch dynamic providers: REST calls signed as the security account's deployer role (the domain's master role). */
export const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic/opensearch:";

/**
 * Log-delivery actions a caller needs to point a vended-log source at Firehose (see the link above), and — for the
 * log relay outside the home region, where WAF and Resolver deliver to CloudWatch Logs — to let AWS create the log
 * group's resource policy on first use: "logs:CreateLogDelivery, logs:PutResourcePolicy,
 * logs:DescribeResourcePolicies, logs:DescribeLogGroups" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html).
 * Such a policy can admit only AWS service principals (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html).
 */
export const VENDED_LOG_ACTIONS = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "firehose:TagDeliveryStream",
    "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"];
export const VENDED_LOG_SERVICE_LINKED_ROLE = "delivery.logs.amazonaws.com";
