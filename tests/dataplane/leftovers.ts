import * as fs from "node:fs";
import { LocalCluster } from "../../recovery/local/cluster";

/** The pids of every node of a running local cluster; call it right after start, before any kill. */
export async function serverPids(cluster: LocalCluster): Promise<number[]> {
    return (await cluster.nodes()).map((n) => n.pid);
}

/**
 * Whether process `pid` still runs. Signal 0 checks without signalling: ESRCH means it is gone, EPERM
 * that it exists (another user's). A zombie (exited, not yet reaped by its parent) no longer runs and
 * holds no port; /proc tells it apart where there is one. Works without procps (no pgrep needed).
 */
export function isRunning(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) {
        throw new Error(`isRunning: pid is ${JSON.stringify(pid)}. Accepted: a positive whole number recorded from a started process.`);
    }
    try {
        process.kill(pid, 0);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ESRCH") {
            return false;
        }
        if (code !== "EPERM") {
            throw error;
        }
    }
    let stat: string;
    try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch (error) {
        // Gone in between, where /proc exists; without /proc, signal 0 is all there is to go by.
        return !((error as NodeJS.ErrnoException).code === "ENOENT" && fs.existsSync("/proc/self/stat"));
    }
    // The state is the field after the parenthesised command name: "1234 (redis-server) Z ...".
    return !/^\S+ \(.*\) Z /.test(stat);
}

/** "redis-server pid 1234 still runs" for each of those pids that still runs: empty once the cluster is stopped. */
export function leftoverServers(pids: readonly number[]): string[] {
    return pids.filter(isRunning).map((pid) => `redis-server pid ${pid} still runs`);
}
