/** `npm run drill:local`'s command line, where no cluster is needed: its help, and a machine without redis-server. */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REDIS_SERVER_ENV, main } from "../../recovery/drill/local-cli";

function collector(): { write: (text: string) => void; text: () => string } {
    const chunks: string[] = [];
    return { write: (text) => chunks.push(text), text: () => chunks.join("") };
}

describe("npm run drill:local: command line", () => {
    it("help gives the default as \"1 run\", and lists the kind that cuts replication before the kill", async () => {
        const help = collector();
        assert.equal(await main(["--help"], { stdout: help, stderr: collector() }), 0);
        assert.match(help.text(), /\(default: 1 run\)/);
        assert.doesNotMatch(help.text(), /1 runs/);
        assert.match(help.text(), /\(default: 50 writes per second per shard\)/);
        assert.match(help.text(), /--kinds <kinds> .*primary whose replication was cut 500 ms before.*\(default: cluster-failover,kill,kill-unreplicated\)/);
        assert.match(help.text(), /--redis-server <redis-server> .*Default: the environment variable REDIS_SERVER, else redis-server on PATH/);
    });

    describe("without redis-server", () => {
        let dir: string;
        let reportDir: string;
        before(async () => {
            dir = await fs.mkdtemp(path.join(os.tmpdir(), "drill-local-cli-"));
            reportDir = path.join(dir, "reports");
        });
        after(() => fs.rm(dir, { recursive: true, force: true }));

        it("names the flag and the environment variable that exist, and starts nothing", async () => {
            const missing = path.join(dir, "no-such-redis-server");
            for (const [argv, env, from] of [
                [["--redis-server", missing], {}, /\(from --redis-server\)/],
                [[], { [REDIS_SERVER_ENV]: missing }, /\(from REDIS_SERVER\)/],
            ] as const) {
                const stderr = collector();
                assert.equal(await main([...argv, "--report-dir", reportDir], { stdout: collector(), stderr, env }), 1);
                assert.match(stderr.text(), new RegExp(`no executable "${missing}" found`));
                assert.match(stderr.text(), from);
                assert.match(stderr.text(), /npm run drill:local -- --redis-server <path>, or the environment variable REDIS_SERVER=<path>\. Nothing was started\./);
                assert.doesNotMatch(stderr.text(), /pass redisServer/, "redisServer is the library's option, not something the CLI takes");
            }
            await assert.rejects(fs.access(reportDir), "no report for a drill that never started");
        });
    });
});
