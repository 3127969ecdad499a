import { expect } from "chai";
import { ConfigError, parseConfig, type RawConfig } from "../config";
import { readStackFile } from "../stackFile";
import { heapGiB, indicesPerKind, instanceMemoryGiB, sizingIssues, steadyStateShards } from "../model/siemSizing";

function withSiem(stack: string, siem: Record<string, unknown>): RawConfig {
    const raw = { ...readStackFile(stack).config };
    raw["guardpost:siem"] = JSON.stringify({ ...JSON.parse(raw["guardpost:siem"]!), ...siem });
    return raw;
}

function problems(raw: RawConfig): string {
    try { parseConfig(raw); } catch (e) { expect(e).to.be.instanceOf(ConfigError); return (e as Error).message; }
    throw new Error("expected the config to be refused");
}

describe("SIEM sizing: shards held at steady state", () => {
    it("knows the heap of the instance types guardpost uses (half the RAM, at most 32 GiB)", () => {
        expect(instanceMemoryGiB("t3.medium.search")).to.equal(4);
        expect(heapGiB("t3.medium.search")).to.equal(2);
        expect(heapGiB("m6g.large.search")).to.equal(4);
        expect(heapGiB("r6g.large.search")).to.equal(8);
        expect(heapGiB("r6g.4xlarge.search")).to.equal(32);
        expect(heapGiB("r6g.12xlarge.search")).to.equal(32);
        expect(instanceMemoryGiB("r6g.medium.search")).to.equal(undefined);
        expect(instanceMemoryGiB("x9.large.search")).to.equal(undefined);
    });

    it("counts one index per period started within retention + one period, plus the current one and ISM's delay", () => {
        expect(indicesPerKind(365, "month")).to.equal(16);
        expect(indicesPerKind(30, "month")).to.equal(4);
        expect(indicesPerKind(365, "day")).to.equal(368);
    });

    it("prod as configured: 160 log shards and 150 plugin shards on three r6g.large nodes, under 200 per node", () => {
        const cfg = parseConfig(readStackFile("prod").config).siem;
        const b = steadyStateShards({ retentionDays: cfg.retentionDays, indexPeriod: cfg.indexPeriod, primaryShards: cfg.primaryShards,
            replicas: cfg.replicas, dataNodes: cfg.instanceCount, instanceType: cfg.instanceType });
        expect(b).to.deep.include({ indicesPerKind: 16, logShards: 160, systemShards: 150, total: 310, perNode: 104, heapGiB: 8, limitPerNode: 200 });
    });

    it("the daily design the issue found (365 days, 5 types, 1 replica, 3 nodes) is refused, naming indexPeriod and what monthly gives", () => {
        const msg = problems(withSiem("prod", { indexPeriod: "day" }));
        expect(msg).to.contain("guardpost:siem.indexPeriod");
        expect(msg).to.match(/holds 3830 shards \(3680 log shards in 368 indices per log type, 150 plugin shards\), 1277 per data node — more than 200/);
        expect(msg).to.contain("guardpost:siem.indexPeriod: month (160 log shards instead of 3680)");
    });

    it("beyond the heap guidance the key named is the instance type, and the 1,000-per-node cap applies to big heaps", () => {
        const small = problems(withSiem("dev", { instanceType: "t3.medium.search" }));
        expect(small).to.contain("guardpost:siem.instanceType");
        expect(small).to.match(/more than 50 \(25 shards per GiB of heap \(2 GiB on t3.medium.search\)\)/);
        const big = sizingIssues({ retentionDays: 3650, indexPeriod: "day", primaryShards: 1, replicas: 1, dataNodes: 2, instanceType: "r6g.4xlarge.search" });
        expect(big[0].problem).to.contain("more than 800");
        expect(steadyStateShards({ retentionDays: 30, indexPeriod: "month", primaryShards: 1, replicas: 0, dataNodes: 1, instanceType: "r6g.12xlarge.search" }).limitPerNode).to.equal(800);
    });

    it("refuses replicas that can never be assigned (a one-node domain would be yellow forever)", () => {
        const msg = problems(withSiem("dev", { replicas: 1 }));
        expect(msg).to.contain("guardpost:siem.replicas: 1 replica(s) on 1 data node(s) can never be assigned");
        expect(parseConfig(readStackFile("dev").config).siem.replicas).to.equal(0);
        expect(parseConfig(readStackFile("prod").config).siem.replicas).to.equal(1);
    });

    it("refuses an instance type it cannot size rather than guessing its heap", () => {
        expect(problems(withSiem("dev", { instanceType: "x9.large.search" }))).to.contain("guardpost:siem.instanceType: 'x9.large.search' is an instance type guardpost cannot size");
    });

    it("both stack files fit", () => {
        for (const stack of ["dev", "prod"]) expect(() => parseConfig(readStackFile(stack).config), stack).to.not.throw();
    });
});
