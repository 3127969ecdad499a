import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { resourceRules, stackRules, type RuleResource } from "./rules";

function fromPolicyResource(r: PolicyResource): RuleResource {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) {
        propertyDependencies[key] = deps.map(d => d.urn);
    }
    return { urn: r.urn, type: r.type, name: r.name, props: r.props, propertyDependencies };
}

/** The shared rules as CrossGuard policies, all mandatory: a violation blocks preview and up. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    ...resourceRules.map((rule): ResourceValidationPolicy => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (!rule.types.includes(args.type)) return;
            const resource: RuleResource = { urn: args.urn, type: args.type, name: args.name, props: args.props, propertyDependencies: {} };
            for (const message of rule.check(resource)) reportViolation(message);
        },
    })),
    ...stackRules.map((rule): StackValidationPolicy => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            for (const v of rule.check(args.resources.map(fromPolicyResource))) reportViolation(v.message, v.urn);
        },
    })),
];
