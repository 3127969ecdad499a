import type { ObjectStore } from "../../scripts/replayLib";

/** An S3 bucket in memory, for `npm run replay`'s tests (the bucket name is ignored: one bucket per store). */
export class MemoryStore implements ObjectStore {
    readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();
    async list(_b: string, prefix: string) { return [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([key, o]) => ({ key, lastModified: o.lastModified })); }
    async get(_b: string, key: string) { return this.objects.get(key)!.body; }
    async put(_b: string, key: string, body: Buffer) { this.objects.set(key, { body, lastModified: new Date() }); }
    async delete(_b: string, key: string) { this.objects.delete(key); }
}
