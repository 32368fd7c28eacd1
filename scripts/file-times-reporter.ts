/**
 * A mocha reporter for npm test (scripts/test.ts orders the next run's files by these times) and
 * bench/test-suite.ts: prints what the dot reporter prints and writes, to the file given as
 * `--reporter-option output=<file>`, the counts, what failed and each test file's time.
 *
 * A file's time is the sum of the durations mocha measured for its tests and hooks (before/after a
 * cluster starts, a pack starts, ...). Loading the file's modules is not in it. In parallel mode this
 * still works: the workers send every test and hook with its duration and file to this process.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

const { EVENT_HOOK_END, EVENT_RUN_END, EVENT_TEST_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class FileTimes extends Mocha.reporters.Dot {
    constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
        super(runner, options);
        const output = (options.reporterOptions as Record<string, string> | undefined)?.output;
        const files = new Map<string, { ms: number; tests: number }>();
        const add = (runnable: Mocha.Runnable, test: boolean) => {
            const file = runnable.file ? path.relative(process.cwd(), runnable.file) : "(no file)";
            const entry = files.get(file) ?? { ms: 0, tests: 0 };
            entry.ms += runnable.duration ?? 0;
            entry.tests += test ? 1 : 0;
            files.set(file, entry);
        };
        const failed: FileTimes.Failure[] = [];
        // A failing hook comes here too, as the hook ("before all" hook ...), and not to EVENT_HOOK_END:
        // its time counts here. The tests it skips come nowhere.
        runner.on(EVENT_TEST_FAIL, (runnable: Mocha.Runnable, error: Error) => {
            failed.push({
                file: runnable.file ? path.relative(process.cwd(), runnable.file) : "(no file)",
                title: runnable.fullTitle(),
                error: String(error?.message ?? error).split("\n")[0],
            });
            // Set by mocha (lib/hook.js: type "hook"; lib/test.js: "test") and kept by their serialize() for parallel mode; not in its types.
            if ((runnable as Mocha.Runnable & { type?: string }).type === "hook") {
                add(runnable, false);
            }
        });
        runner.on(EVENT_TEST_END, (test) => add(test, true));
        runner.on(EVENT_HOOK_END, (hook) => add(hook, false));
        runner.once(EVENT_RUN_END, () => {
            if (!output) {
                return;
            }
            const report: FileTimes.Report = {
                passes: this.stats.passes,
                failures: this.stats.failures,
                pending: this.stats.pending,
                failed,
                files: [...files].map(([file, t]) => ({ file, ...t })).sort((a, b) => b.ms - a.ms),
            };
            fs.writeFileSync(output, JSON.stringify(report, null, 2));
        });
    }
}

// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace FileTimes {
    /** What the reporter writes to its output file. */
    interface Report {
        passes: number;
        failures: number;
        pending: number;
        /** Every failed test or hook, in the order they failed. */
        failed: Failure[];
        /** Project-relative test file, its milliseconds (tests plus hooks) and its number of tests; slowest first. */
        files: { file: string; ms: number; tests: number }[];
    }
    interface Failure {
        /** Project-relative test file. */
        file: string;
        /** Mocha's full title: the describe titles and the test's, or the hook's ("before all" hook ...). */
        title: string;
        /** The first line of the error's message. */
        error: string;
    }
}

export = FileTimes;
