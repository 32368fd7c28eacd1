/**
 * The policy pack's process must not outlive the process that started it: a plan stopped with Ctrl-C,
 * ended by a CI runner's SIGTERM or killed outright (SIGKILL, an out-of-memory kill) used to leave the
 * pack running, holding its port and memory until someone noticed.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pollUntil } from "../../recovery/local/form";
import { isRunning } from "../dataplane/leftovers";
import { writeThrowawayPack } from "./throwaway-pack";

const HOLDER = path.join(__dirname, "hold-pack.ts");

/** Starts hold-pack.ts on `packDir` and resolves with the pack's pid once it listens. */
function startParent(packDir: string): { parent: ChildProcess; packPid: Promise<number>; exited: Promise<void> } {
    const parent = spawn(process.execPath, ["-r", path.join(__dirname, "../../scripts/transpile.js"), HOLDER, packDir],
        { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    parent.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
    });
    const exited = new Promise<void>((resolve) => parent.once("exit", () => resolve()));
    const packPid = new Promise<number>((resolve, reject) => {
        let out = "";
        parent.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            const match = /^pack (\d+)\n/.exec(out);
            if (match) {
                resolve(Number(match[1]));
            }
        });
        void exited.then(() => reject(new Error(`hold-pack exited before the pack listened: ${stderr.trim()}`)));
    });
    return { parent, packPid, exited };
}

describe("the policy pack's process ends with the process that started it (offline/policy/host)", function () {
    this.timeout(120_000);
    let packDir: string;

    before(() => {
        packDir = writeThrowawayPack();
    });

    after(() => {
        fs.rmSync(packDir, { recursive: true, force: true });
    });

    for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
        it(`is gone after its parent gets ${signal}`, async () => {
            const { parent, packPid, exited } = startParent(packDir);
            let pid: number | undefined;
            try {
                pid = await packPid;
                assert.notEqual(pid, parent.pid, "the pack runs in a process of its own");
                assert.equal(isRunning(pid), true, `pack process ${pid} runs while its parent does`);
                parent.kill(signal);
                await exited;
                assert.equal(parent.signalCode, signal, `the parent died of ${signal}`);
                const packPidNow = pid;
                // Bounded wait: the pack is stopped asynchronously once the parent is gone.
                await pollUntil(`pack process ${packPidNow} to end after its parent got ${signal}`,
                    async () => !isRunning(packPidNow), () => `pack process ${packPidNow} still runs`, Date.now() + 20_000, 50);
            } finally {
                if (parent.exitCode === null && parent.signalCode === null) {
                    parent.kill("SIGKILL");
                }
                // Whatever the outcome, leave no pack behind for the rest of the suite.
                if (pid !== undefined && isRunning(pid)) {
                    process.kill(pid, "SIGKILL");
                }
            }
        });
    }
});
