/**
 * Every IAM role guardpost creates lives under this path, so the deployer role's IAM permissions can be
 * scoped to `arn:<partition>:iam::<account>:role/guardpost/*` and cannot touch any other role
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names:
 * a path is part of the role's ARN).
 */
export const GUARDPOST_ROLE_PATH = "/guardpost/";

/**
 * The permissions boundary every role guardpost creates carries: a customer managed policy the bootstrap
 * (`npm run deployer-role`, its StackSet template) creates in each account under the same path. The deployer
 * may create and change roles only with exactly this boundary (condition key `iam:PermissionsBoundary`), so a
 * role it creates can never do more than the boundary allows, whatever inline policy it writes
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). Service-linked roles take
 * no boundary: AWS defines and manages their permissions.
 */
export const BOUNDARY_POLICY_NAME = "guardpost-boundary";

/** `arn:<partition>:iam::<account>:policy/guardpost/guardpost-boundary` (a policy's path is part of its ARN). */
export function guardpostBoundaryArn(partition: string, accountId: string): string {
    return `arn:${partition}:iam::${accountId}:policy${GUARDPOST_ROLE_PATH}${BOUNDARY_POLICY_NAME}`;
}
