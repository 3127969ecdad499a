import { evaluate, type RuleResource, type Violation } from "../policy/rules";
import type { MockedResource } from "./engine";

/** The policy pack's rules over the mocked resource graph: what `pulumi preview --policy-pack` would say. */
export function checkPolicies(resources: MockedResource[]): Violation[] {
    return evaluate(resources.filter(r => r.custom).map(toRuleResource));
}

export function toRuleResource(r: MockedResource): RuleResource {
    return { urn: r.urn, type: r.type, name: r.name, props: r.inputs, propertyDependencies: r.propertyDependencies };
}

export function renderViolations(violations: Violation[]): string {
    if (violations.length === 0) return "policy: all mandatory rules pass (guardpost-security-posture)";
    return [`policy: ${violations.length} mandatory violation${violations.length === 1 ? "" : "s"} (guardpost-security-posture)`,
        ...violations.map(v => `  [${v.policy}] ${v.urn.split("::").pop()}: ${v.message}`)].join("\n");
}
