/**
 * `npm run sample-findings -- --stack dev [--account NAME] [--region R] [--types T1,T2]`
 * Thin wrapper: read the stack file, validate it with the program's own config rules, and hand the
 * account × region targets to the library.
 */
import { parseConfig } from "../config";
import { readStackFile } from "../stackFile";
import { runSampleFindings, SampleTarget, targetsFromAccounts } from "./sampleFindingsLib";

function loadTargets(stack: string): SampleTarget[] {
    // Every account has a detector to sample in: standalone and admin accounts declare theirs, the
    // management account declares one, and AWS creates the members' under auto-enable ALL.
    return targetsFromAccounts(parseConfig(readStackFile(stack).config).accounts);
}

runSampleFindings(process.argv.slice(2), {
    loadTargets,
    log: line => console.log(line),
    error: line => console.error(line),
}).then(code => { process.exitCode = code; }, e => {
    console.error(`sample-findings: ${(e as Error).message}`);
    process.exitCode = 1;
});
