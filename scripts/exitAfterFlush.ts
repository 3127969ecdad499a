/**
 * `process.exit` right after `process.stdout.write` cuts the output short when stdout is a pipe: on POSIX,
 * writes to pipes are asynchronous (https://nodejs.org/api/process.html#a-note-on-process-io), so a large
 * plan piped into `tail` or a PR comment lost its end. Exit once both streams have flushed what was written.
 */
export function exitAfterFlush(code: number): void {
    let pending = 2;
    const done = () => { if (--pending === 0) process.exit(code); };
    process.stdout.write("", done);
    process.stderr.write("", done);
}
