/**
 * `npm run test:under-load [-- <npm test arguments>]`: the whole suite, as `npm test` runs it, while
 * busy loops keep cores loaded (two by default, BUSY_LOOPS=<n> for another number): a check that no
 * test depends on an idle machine.
 *
 * The loops are child processes that spin in 50 ms slices. They stop when the suite ends, whether it
 * passed or failed, on Ctrl-C or SIGTERM, and by themselves when this process goes away any other way
 * (their IPC channel closes).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { NPM_TEST_ARGV } from "./npm-test-command";

const ROOT = path.resolve(__dirname, "..");

const BUSY_LOOP = `
process.on("disconnect", () => process.exit(0));
const spin = () => {
    const until = Date.now() + 50;
    while (Date.now() < until) { /* keep the core busy */ }
    setImmediate(spin);
};
spin();
`;

function busyLoops(): number {
    const raw = process.env.BUSY_LOOPS ?? "2";
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 64) {
        throw new Error(`BUSY_LOOPS is ${JSON.stringify(raw)}. Accepted: a whole number from 0 to 64 (busy loops beside the suite).`);
    }
    return n;
}

function main(): Promise<number> {
    const loops: ChildProcess[] = Array.from({ length: busyLoops() }, () =>
        spawn(process.execPath, ["-e", BUSY_LOOP], { stdio: ["ignore", "ignore", "inherit", "ipc"] }));
    const stopLoops = () => loops.forEach((loop) => {
        if (loop.exitCode === null && loop.signalCode === null) {
            loop.kill("SIGKILL");
        }
    });
    process.on("exit", stopLoops);
    process.stdout.write(`test:under-load: ${loops.length} busy loop(s) on ${os.cpus().length} core(s) while npm test runs\n`);

    const started = Date.now();
    const suite = spawn(process.execPath, [...NPM_TEST_ARGV, ...process.argv.slice(2)],
        { cwd: ROOT, stdio: "inherit" });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
            stopLoops();
            suite.kill(signal);
        });
    }
    return new Promise((resolve) => {
        suite.once("exit", (code, signal) => {
            stopLoops();
            process.stdout.write(`test:under-load: the suite ${code === 0 ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s beside ${loops.length} busy loop(s)\n`);
            resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
        });
    });
}

main().then((code) => {
    process.exitCode = code;
}, (error) => {
    console.error((error as Error).message);
    process.exitCode = 2;
});
