/**
 * The leftover check the drill and data-plane tests rely on must see a running redis-server by its pid
 * on a machine without procps (no pgrep), and must stop seeing it once it has exited.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isRunning, leftoverServers } from "../dataplane/leftovers";
import { requireRedisServer } from "../helpers/redis-server";

describe("leftover redis-server check", function () {
    this.timeout(20_000);
    let binDir: string | undefined;
    const savedPath = process.env.PATH;
    before(async function () {
        await requireRedisServer(this);
    });
    afterEach(() => {
        process.env.PATH = savedPath;
        if (binDir) {
            fs.rmSync(binDir, { recursive: true, force: true });
        }
    });

    it("finds a running redis-server by its pid where pgrep is missing, and not once it has exited", async () => {
        // No TCP port: the server only has to run. Without any listener redis-server exits at once
        // ("Configured to not listen anywhere"), so it listens on a Unix socket in a directory of its own.
        binDir = fs.mkdtempSync(path.join(os.tmpdir(), "no-procps-"));
        const socket = path.join(binDir, "redis.sock");
        const server = spawn("redis-server", ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
        const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
        try {
            await new Promise<void>((resolve, reject) => {
                server.once("spawn", () => resolve());
                server.once("error", reject);
            });
            const pid = server.pid!;
            // Up once its socket exists: from then on it runs until it is killed.
            for (const deadline = Date.now() + 15_000; !fs.existsSync(socket);) {
                assert.ok(server.exitCode === null && Date.now() < deadline, `redis-server ${pid} did not open ${socket} (exit code ${server.exitCode})`);
                await new Promise((resolve) => setTimeout(resolve, 20));
            }
            // A PATH with a shell but without procps, as on a minimal image.
            const sh = (savedPath ?? "").split(path.delimiter).map((dir) => path.join(dir, "sh")).find((file) => fs.existsSync(file));
            assert.ok(sh, "a shell on PATH");
            fs.symlinkSync(sh, path.join(binDir, "sh"));
            process.env.PATH = binDir;
            assert.deepEqual(leftoverServers([pid]), [`redis-server pid ${pid} still runs`]);
            assert.equal(isRunning(pid), true);
        } finally {
            server.kill("SIGKILL");
            await exited;
        }
        assert.deepEqual(leftoverServers([server.pid!]), [], "gone once it has exited");
    });

    it("rejects a pid that was never recorded, naming it", () => {
        assert.throws(() => isRunning(0), /isRunning: pid is 0\. Accepted: a positive whole number/);
    });
});
