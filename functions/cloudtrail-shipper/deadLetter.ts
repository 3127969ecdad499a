import * as crypto from "crypto";

/**
 * Whatever cannot be indexed for good is written to the dead-letter bucket, one JSON object per
 * document, so an operator can read the error, fix the mapping and replay it. Keys are deterministic
 * (kind + index + id): a redelivered batch overwrites its earlier dead letters instead of adding copies.
 */

export type DeadLetterKind = "rejected" | "malformed" | "corrupt-payload";

export interface DeadLetter {
    kind: DeadLetterKind;
    /** Index the document was meant for (absent for a payload that could not even be decoded). */
    index?: string;
    id: string;
    error: { status?: number; type?: string; reason: string };
    /** The enriched document, the raw message, or the raw payload. */
    document: unknown;
    source?: Record<string, unknown>;
}

export interface DeadLetterSink {
    put(letters: DeadLetter[]): Promise<void>;
}

function safeSegment(s: string): string {
    const cleaned = s.replace(/[^A-Za-z0-9._=-]/g, "_");
    if (cleaned.length <= 200) return cleaned;
    return `${cleaned.slice(0, 120)}-${crypto.createHash("sha256").update(s).digest("hex").slice(0, 32)}`;
}

export function deadLetterKey(prefix: string, letter: DeadLetter): string {
    const where = letter.index ? safeSegment(letter.index) : "no-index";
    return `${prefix}/${letter.kind}/${where}/${safeSegment(letter.id)}.json`;
}

export function deadLetterBody(letter: DeadLetter, at: Date): string {
    return JSON.stringify({
        kind: letter.kind,
        index: letter.index,
        id: letter.id,
        error: letter.error,
        source: letter.source,
        deadLetteredAt: at.toISOString(),
        document: letter.document,
    });
}

export function sha256Hex(s: string): string {
    return crypto.createHash("sha256").update(s).digest("hex");
}

/**
 * S3 sink over an injected client (`S3Client` + `PutObjectCommand`), a few puts at a time. Every put is
 * attempted; if any fails, the error is thrown after the rest finish, so the handler fails and Lambda
 * keeps the event rather than losing the letters that did not land.
 */
export function s3DeadLetterSink(
    client: { send: (cmd: any) => Promise<unknown> },
    PutObjectCommand: new (input: any) => any,
    bucket: string,
    opts: { prefix: string; concurrency?: number; now?: () => number },
): DeadLetterSink {
    const concurrency = Math.max(1, opts.concurrency ?? 8);
    const now = opts.now ?? Date.now;
    return {
        async put(letters) {
            const errors: unknown[] = [];
            let next = 0;
            async function worker() {
                while (next < letters.length) {
                    const letter = letters[next++];
                    try {
                        await client.send(new PutObjectCommand({
                            Bucket: bucket,
                            Key: deadLetterKey(opts.prefix, letter),
                            Body: deadLetterBody(letter, new Date(now())),
                            ContentType: "application/json",
                        }));
                    } catch (err) {
                        errors.push(err);
                    }
                }
            }
            await Promise.all(Array.from({ length: Math.min(concurrency, letters.length) }, worker));
            if (errors.length > 0) {
                const first: any = errors[0];
                throw new Error(`dead-letter bucket ${bucket}: ${errors.length} of ${letters.length} puts failed (${first?.name ?? "Error"}: ${first?.message ?? first})`);
            }
        },
    };
}
