/** Choosing the snapshot to restore: the newest taken entirely before --before, or a named one, with every rejection explained. */
import * as assert from "node:assert/strict";
import { Snapshot } from "@aws-sdk/client-elasticache";
import { NoUsableSnapshotError, chooseSnapshot, rejectionReasons } from "../../recovery/lib/snapshots/choose";

const GROUP = "prod-us-east-1";
const HOUR = 3_600_000;
const BEFORE = Date.UTC(2025, 0, 15, 14, 5, 0);

interface Spec {
    name: string;
    /** Each node group's capture time; undefined for one not captured yet. */
    times: (number | undefined)[];
    status?: string;
    group?: string;
    source?: "automated" | "manual";
}

function snap(spec: Spec): Snapshot {
    return {
        SnapshotName: spec.name, ReplicationGroupId: spec.group ?? GROUP, SnapshotStatus: spec.status ?? "available", SnapshotSource: spec.source ?? "automated",
        NumNodeGroups: spec.times.length,
        NodeSnapshots: spec.times.map((t, i) => ({ NodeGroupId: String(i + 1).padStart(4, "0"), ...(t !== undefined ? { SnapshotCreateTime: new Date(t) } : {}) })),
    };
}

/** A 3-shard snapshot whose node groups were captured `first`, +5 s, +10 s. */
const at = (name: string, first: number, extra: Partial<Spec> = {}) => snap({ name, times: [first, first + 5000, first + 10_000], ...extra });

/** Hourly automated snapshots for two days, ending 12 minutes before BEFORE. */
const hourly = () => Array.from({ length: 48 }, (_, i) => at(`automatic.${GROUP}-${i}`, BEFORE - 12 * 60_000 - i * HOUR));

/** A deterministic shuffle: AWS's listing order must not matter. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let state = seed;
    for (let i = out.length - 1; i > 0; i--) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        const j = state % (i + 1);
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

describe("chooseSnapshot", () => {
    it("takes the newest available snapshot whose every node group was captured before --before, whatever the listing order", () => {
        const late = at("manual-after-corruption", BEFORE + 2 * 60_000, { source: "manual" });
        const all = [...hourly(), late];
        for (const seed of [1, 7, 42]) {
            const choice = chooseSnapshot({ snapshots: shuffled(all, seed), replicationGroupId: GROUP, beforeMs: BEFORE });
            assert.equal(choice.chosen.SnapshotName, `automatic.${GROUP}-0`);
            assert.equal(choice.recoveryPoint, BEFORE - 12 * 60_000 + 10_000, "the latest node group's time");
            assert.deepEqual(choice.rejected.map((r) => r.name), ["manual-after-corruption"], "older usable ones are not rejections");
        }
    });

    it("rejects a snapshot whose first node groups are before --before but one is not, naming that node group and both times", () => {
        const straddling = snap({ name: "straddling", times: [BEFORE - 20_000, BEFORE - 5_000, BEFORE + 123_000] });
        const choice = chooseSnapshot({ snapshots: [straddling, at("older", BEFORE - HOUR)], replicationGroupId: GROUP, beforeMs: BEFORE });
        assert.equal(choice.chosen.SnapshotName, "older");
        assert.deepEqual(choice.rejected, [{ name: "straddling", reason: "node group 0003 snapshot taken 2025-01-15T14:07:03Z, after --before 2025-01-15T14:05:00Z" }]);
    });

    it("treats a node snapshot taken exactly at --before as not before it, and one a millisecond earlier as before", () => {
        const exact = snap({ name: "exact", times: [BEFORE - 60_000, BEFORE] });
        assert.deepEqual(rejectionReasons(exact, { replicationGroupId: GROUP, beforeMs: BEFORE }),
            ["node group 0002 snapshot taken 2025-01-15T14:05:00Z, not before --before 2025-01-15T14:05:00Z"]);
        const justBefore = snap({ name: "just-before", times: [BEFORE - 60_000, BEFORE - 1] });
        const choice = chooseSnapshot({ snapshots: [exact, justBefore], replicationGroupId: GROUP, beforeMs: BEFORE });
        assert.equal(choice.chosen.SnapshotName, "just-before");
        assert.equal(choice.recoveryPoint, BEFORE - 1);
    });

    it("gives every other reason in words: status, another group, no node snapshots, a node group without a time, several late node groups", () => {
        const reasons = (s: Snapshot) => rejectionReasons(s, { replicationGroupId: GROUP, beforeMs: BEFORE });
        assert.deepEqual(reasons(at("c", BEFORE - HOUR, { status: "creating" })), ["status creating"]);
        assert.deepEqual(reasons(at("f", BEFORE - HOUR, { status: "failed" })), ["status failed"]);
        assert.deepEqual(reasons(at("o", BEFORE - HOUR, { group: "prod-us-west-2" })), ["of replication group prod-us-west-2, not prod-us-east-1"]);
        assert.deepEqual(reasons(snap({ name: "empty", times: [] })), ["lists no node snapshots, so when its data was captured is unknown"]);
        assert.deepEqual(reasons(snap({ name: "gap", times: [BEFORE - HOUR, undefined] })), ["node group 0002 reports no snapshot time"]);
        assert.deepEqual(reasons(snap({ name: "creating", status: "creating", times: [BEFORE - HOUR, undefined] })), ["status creating"],
            "a snapshot still creating has node groups without times; its status says it");
        assert.deepEqual(reasons(at("late", BEFORE + 1000)), ["node groups 0001, 0002, 0003 snapshots taken 2025-01-15T14:05:01Z to 2025-01-15T14:05:11Z, after --before 2025-01-15T14:05:00Z"]);
        assert.deepEqual(reasons(at("many", BEFORE + 1000, { group: "x", status: "creating" })).length, 3, "all reasons, not only the first");
        assert.deepEqual(reasons(at("fine", BEFORE - HOUR)), []);
    });

    it("without --before takes the newest available snapshot; ties on time go by name, never by listing order", () => {
        const a = at("b-second", BEFORE);
        const b = at("a-first", BEFORE);
        for (const order of [[a, b], [b, a]]) {
            const choice = chooseSnapshot({ snapshots: [...order, at("creating", BEFORE + HOUR, { status: "creating" })], replicationGroupId: GROUP });
            assert.equal(choice.chosen.SnapshotName, "a-first");
        }
    });

    it("takes a named snapshot (compared without case) when it passes the checks, even if newer ones exist", () => {
        const choice = chooseSnapshot({ snapshots: hourly(), replicationGroupId: GROUP, beforeMs: BEFORE, name: `AUTOMATIC.${GROUP}-5` });
        assert.equal(choice.chosen.SnapshotName, `automatic.${GROUP}-5`);
        assert.equal(choice.recoveryPoint, BEFORE - 12 * 60_000 - 5 * HOUR + 10_000);
    });

    it("refuses a named snapshot that fails a check, saying why and listing the newest, and an unknown name", () => {
        const snapshots = [...hourly(), at("after", BEFORE + 60_000, { source: "manual" })];
        assert.throws(() => chooseSnapshot({ snapshots, replicationGroupId: GROUP, beforeMs: BEFORE, name: "after" }), (e: Error) => {
            assert.ok(e instanceof NoUsableSnapshotError);
            assert.match(e.message, /^--snapshot after cannot be restored: node groups 0001, 0002, 0003 snapshots taken .*, after --before 2025-01-15T14:05:00Z\./);
            assert.match(e.message, /leave out --snapshot to take the newest such one/);
            assert.match(e.message, /- after \(manual, available, taken 2025-01-15T14:06:00Z to 2025-01-15T14:06:10Z\): node groups/);
            return true;
        });
        assert.throws(() => chooseSnapshot({ snapshots, replicationGroupId: GROUP, name: "typo" }),
            /^NoUsableSnapshotError: --snapshot "typo" is not a snapshot of replication group prod-us-east-1\. Accepted: one of its 49 snapshots; the newest:\n  - after /);
    });

    it("with no usable snapshot, lists the five newest with their times and reasons, how many older, and what to do", () => {
        const snapshots = [
            at("creating-now", BEFORE - 60_000, { status: "creating", source: "manual" }),
            ...Array.from({ length: 7 }, (_, i) => at(`after-${i}`, BEFORE + i * HOUR)),
        ];
        assert.throws(() => chooseSnapshot({ snapshots, replicationGroupId: GROUP, beforeMs: BEFORE }), (e: Error) => {
            assert.ok(e instanceof NoUsableSnapshotError);
            const lines = e.message.split("\n");
            assert.equal(lines[0], "no snapshot of replication group prod-us-east-1 with every node group taken before --before 2025-01-15T14:05:00Z is available " +
                "(8 considered). The newest, and why each cannot be used:");
            assert.deepEqual(lines.slice(1, 6).map((l) => /^ {2}- (\S+) /.exec(l)?.[1]), ["after-6", "after-5", "after-4", "after-3", "after-2"]);
            assert.match(lines[1], /after-6 \(automated, available, taken 2025-01-15T20:05:00Z to 2025-01-15T20:05:10Z\): node groups 0001, 0002, 0003 snapshots taken/);
            assert.equal(lines[6], "  ... and 3 older");
            assert.match(e.message, /What to do: .*give that later time; .*name it with --snapshot .*a snapshot still creating can be used once it is available/);
            assert.equal(e.rejected.length, 8);
            assert.deepEqual(e.rejected.find((r) => r.name === "creating-now"), { name: "creating-now", reason: "status creating" });
            return true;
        });
    });

    it("says so when AWS lists no snapshot at all", () => {
        assert.throws(() => chooseSnapshot({ snapshots: [], replicationGroupId: GROUP, beforeMs: BEFORE }),
            /AWS lists no snapshot of prod-us-east-1 at all\. Check the replication group and its region; automatic backups exist only while the stack keeps them/);
    });
});
