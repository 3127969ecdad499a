// `pulumi preview --policy-pack policy` loads this file; constructing the pack starts its policy server.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("guardpost-security-posture", { enforcementLevel: "mandatory", policies });
