import * as assert from "node:assert/strict";
import { CpuCost, CpuMeter, addCosts, processCpuMs } from "../../recovery/drill/cpu";

/** A /proc/<pid>/stat line with the given utime and stime (fields 14 and 15), and a command name with spaces and a ")". */
function stat(pid: number, utime: number, stime: number): string {
    // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const afterName = ["S", "1", "1", "1", "0", "-1", "4194560", "100", "0", "0", "0", String(utime), String(stime), "0", "0", "20", "0", "4"];
    return `${pid} (redis-server 127.0.0.1:7001) [x]) ${afterName.join(" ")}\n`;
}

describe("drill CPU accounting", () => {
    it("reads user plus system time from /proc/<pid>/stat in ms, counting fields after the last parenthesis", () => {
        assert.equal(processCpuMs(42, () => stat(42, 150, 50), 100), 2000);
        assert.equal(processCpuMs(42, () => { throw new Error("ENOENT"); }, 100), undefined, "a process that is gone");
        assert.equal(processCpuMs(42, () => "42 (x) S", 100), undefined, "a line without the time fields");
    });

    it("charges each server its last reading minus its first, keeping the last reading of one that died", () => {
        const ticks = new Map<number, number>([[1, 100], [2, 500]]);
        const meter = new CpuMeter((file) => {
            const pid = Number(file.split("/")[2]);
            if (!ticks.has(pid)) {
                throw new Error("ENOENT");
            }
            return stat(pid, ticks.get(pid)!, 0);
        }, 100);
        meter.sample([1, 2]);
        ticks.set(1, 130);
        ticks.set(2, 520);
        meter.sample([1, 2]);
        ticks.delete(2);
        ticks.set(1, 160);
        meter.sample([1, 2]);
        const cost = meter.finish();
        assert.equal(cost.serversCpuMs, 600 + 200, "pid 1: 60 ticks, pid 2: 20 ticks before it died");
        assert.ok(cost.wallMs >= 1 && cost.processCpuMs >= 0);
    });

    it("leaves the server figures out where /proc cannot be read", () => {
        const meter = new CpuMeter(() => { throw new Error("ENOENT"); }, 100);
        meter.sample([1]);
        assert.equal(meter.finish().serversCpuMs, undefined);
    });

    it("adds costs of separate runs, as a share of their total wall time", () => {
        const a: CpuCost = { wallMs: 1000, processCpuMs: 100, processPercent: 10, serversCpuMs: 50, serversPercent: 5 };
        const b: CpuCost = { wallMs: 3000, processCpuMs: 500, processPercent: 16.7, serversCpuMs: 150, serversPercent: 5 };
        assert.deepEqual(addCosts([a, b]), { wallMs: 4000, processCpuMs: 600, processPercent: 15, serversCpuMs: 200, serversPercent: 5 });
        assert.deepEqual(addCosts([a, { wallMs: 1000, processCpuMs: 100, processPercent: 10 }]), { wallMs: 2000, processCpuMs: 200, processPercent: 10 });
        assert.equal(addCosts([]), undefined);
    });
});
