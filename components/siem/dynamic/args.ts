import * as pulumi from "@pulumi/pulumi";
import type { RetryOptions } from "./opensearchClient";

/** Inputs every OpenSearch dynamic resource takes: which domain, and which role signs the requests. */
export interface ConnectionArgs {
    /** Domain endpoint host or URL (the domain's `endpoint` output). */
    endpoint: pulumi.Input<string>;
    /** Region of the domain, for SigV4. */
    region: pulumi.Input<string>;
    /** Role assumed to sign requests; it must be FGAC-mapped to all_access + security_manager (the master role). */
    roleArn?: pulumi.Input<string>;
    /** Backoff bounds for a domain that is still processing a change. */
    retry?: RetryOptions;
}
