/**
 * Facts about AWS regions that decide whether a configuration can work, kept apart from config/ so the
 * components and the plan use the same list.
 */

/**
 * Regions where AWS Config cannot record the global IAM resource types (users, groups, roles, customer
 * managed policies): every region AWS Config has supported since February 2022. AWS lists Hyderabad,
 * Melbourne, Calgary, Spain, Zurich, Tel Aviv and UAE
 * (https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingGroup.html, `includeGlobalResourceTypes`;
 * https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html "Regional and global
 * resources"); Malaysia, Thailand, Mexico (Central) and Taipei opened after that list was written and fall
 * under the same rule ("Regions supported by AWS Config after February 2022").
 */
export const NO_IAM_GLOBAL_RECORDING: Readonly<Record<string, string>> = {
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-south-2": "Europe (Spain)",
    "eu-central-2": "Europe (Zurich)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-central-1": "Middle East (UAE)",
    "ap-southeast-5": "Asia Pacific (Malaysia), opened 2024",
    "ap-southeast-7": "Asia Pacific (Thailand), opened 2025",
    "mx-central-1": "Mexico (Central), opened 2025",
    "ap-east-2": "Asia Pacific (Taipei), opened 2025",
};

/** True where AWS Config can record IAM users, groups, roles and policies. */
export function canRecordIamGlobalTypes(region: string): boolean {
    return !(region in NO_IAM_GLOBAL_RECORDING);
}
