/**
 * What the measurement itself costs in CPU: this process (the canary and the drill around it) from
 * process.cpuUsage(), and the local redis-server processes from /proc/<pid>/stat where Linux provides
 * it. Both are divided by wall time, so 100 % is one core busy the whole time.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface CpuCost {
    wallMs: number;
    /** User plus system CPU of this process. */
    processCpuMs: number;
    /** processCpuMs / wallMs, in percent of one core. */
    processPercent: number;
    /** User plus system CPU of the redis-server processes; undefined where /proc is not readable. */
    serversCpuMs?: number;
    serversPercent?: number;
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (the unit of /proc/<pid>/stat times); 100 when getconf is missing. */
function clockTicks(): number {
    if (ticksPerSecond === undefined) {
        try {
            ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 2000 }).trim()) || 100;
        } catch {
            ticksPerSecond = 100;
        }
    }
    return ticksPerSecond;
}

/**
 * User plus system CPU of one process in ms, from /proc/<pid>/stat; undefined when it cannot be read
 * (not Linux, or the process is gone). The command name in field 2 may contain spaces and parentheses,
 * so the fields are counted from the last ")".
 */
export function processCpuMs(pid: number, readStat: (path: string) => string = (p) => readFileSync(p, "utf8"), ticks: number = clockTicks()): number | undefined {
    let text: string;
    try {
        text = readStat(`/proc/${pid}/stat`);
    } catch {
        return undefined;
    }
    // After ") ": state(3) ppid(4) ... utime(14) stime(15), so utime is the 12th field after it.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
        return undefined;
    }
    return ((utime + stime) * 1000) / ticks;
}

/**
 * Accumulates CPU over a measurement. Servers are sampled whenever sample() is called (call it before
 * killing one): a server's cost is its last reading minus its first.
 */
export class CpuMeter {
    private readonly startedAt = Date.now();
    private readonly startUsage = process.cpuUsage();
    private readonly first = new Map<number, number>();
    private readonly last = new Map<number, number>();

    /** `readStat` and `ticks` replace /proc and the kernel's clock rate in tests. */
    constructor(private readonly readStat?: (path: string) => string, private readonly ticks?: number) {}

    /** Reads the current CPU time of each server pid. */
    sample(pids: readonly number[]): void {
        for (const pid of pids) {
            const ms = processCpuMs(pid, this.readStat, this.ticks);
            // A server already gone keeps its last reading; without /proc nothing is recorded at all.
            if (ms === undefined) {
                continue;
            }
            if (!this.first.has(pid)) {
                this.first.set(pid, ms);
            }
            this.last.set(pid, ms);
        }
    }

    finish(): CpuCost {
        const wallMs = Math.max(1, Date.now() - this.startedAt);
        const usage = process.cpuUsage(this.startUsage);
        const processCpuMs = (usage.user + usage.system) / 1000;
        const cost: CpuCost = { wallMs, processCpuMs: round(processCpuMs), processPercent: round((100 * processCpuMs) / wallMs) };
        if (this.first.size === 0) {
            return cost;
        }
        const serversCpuMs = [...this.first].reduce((sum, [pid, start]) => sum + (this.last.get(pid)! - start), 0);
        return { ...cost, serversCpuMs: round(serversCpuMs), serversPercent: round((100 * serversCpuMs) / wallMs) };
    }
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}

/** Sums costs measured over separate spans (the runs of a drill). */
export function addCosts(costs: readonly CpuCost[]): CpuCost | undefined {
    if (costs.length === 0) {
        return undefined;
    }
    const wallMs = costs.reduce((sum, c) => sum + c.wallMs, 0);
    const processCpuMs = costs.reduce((sum, c) => sum + c.processCpuMs, 0);
    const total: CpuCost = { wallMs, processCpuMs: round(processCpuMs), processPercent: round((100 * processCpuMs) / wallMs) };
    if (costs.some((c) => c.serversCpuMs === undefined)) {
        return total;
    }
    const serversCpuMs = costs.reduce((sum, c) => sum + c.serversCpuMs!, 0);
    return { ...total, serversCpuMs: round(serversCpuMs), serversPercent: round((100 * serversCpuMs) / wallMs) };
}
