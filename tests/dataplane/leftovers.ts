import { execFileSync } from "node:child_process";
import { LocalCluster } from "../../recovery/local/cluster";

/** The pids of every node of a running local cluster; call it right after start, before any kill. */
export async function serverPids(cluster: LocalCluster): Promise<number[]> {
    return (await cluster.nodes()).map((n) => n.pid);
}

/** The `pgrep -a redis-server` lines of those pids that still run: empty once the cluster is stopped. */
export function leftoverServers(pids: readonly number[]): string[] {
    const listing = execFileSync("sh", ["-c", "pgrep -a redis-server || true"], { encoding: "utf8" });
    return listing.split("\n").filter((line) => pids.includes(Number(line.split(" ")[0])));
}
