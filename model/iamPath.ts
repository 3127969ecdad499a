/**
 * Every IAM role guardpost creates lives under this path, so the deployer role's IAM permissions can be
 * scoped to `arn:<partition>:iam::<account>:role/guardpost/*` and cannot touch any other role
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names:
 * a path is part of the role's ARN).
 */
export const GUARDPOST_ROLE_PATH = "/guardpost/";
