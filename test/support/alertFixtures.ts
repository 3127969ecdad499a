import * as fs from "fs";
import * as path from "path";

/** The GuardDuty fixtures (see test/fixtures/guardduty/PROVENANCE.md). */
export const GUARDDUTY_FIXTURES = path.join(__dirname, "..", "fixtures", "guardduty");

export function readNdjson(file: string): any[] {
    return fs.readFileSync(path.join(GUARDDUTY_FIXTURES, file), "utf8")
        .split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/** The 12 derived `GuardDuty Finding` EventBridge events. */
export const findingEvents = (): any[] => readNdjson("eventbridge_guardduty_finding_events.ndjson");
/** Real `aws.guardduty` events that are not findings. */
export const otherGuardDutyEvents = (): any[] => readNdjson("eventbridge_other_guardduty_events.ndjson");

/** A copy of a fixture event with `detail` fields replaced (deep-cloned, the fixture stays intact). */
export function withDetail(event: any, patch: (detail: any) => void): any {
    const copy = JSON.parse(JSON.stringify(event));
    patch(copy.detail);
    return copy;
}

/** Every character Telegram's MarkdownV2 reserves, plus an ARN, IPv6 addresses and emoji. */
export const HOSTILE_DESCRIPTION =
    "Reserved: _ * [ ] ( ) ~ ` > # + - = | { } . ! and \\ backslash, <b>html</b> & amp; " +
    "arn:aws:iam::123456789012:role/a_b*c[d](e)~f`g>h#i+j-k=l|m{n}o.p! " +
    "from 2001:db8::ff00:42:8329 and [fe80::1%eth0]:443 — emoji 🔥🛡️👩‍💻 *bold?* _it?_ [x](http://e.x)";

/** The rejection reason of a promise that must reject. */
export async function rejectionOf(p: Promise<unknown>): Promise<any> {
    try {
        await p;
    } catch (err) {
        return err;
    }
    throw new Error("expected the promise to reject");
}
