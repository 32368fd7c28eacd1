/**
 * offline/run.ts runs the program again and again in one process (every plan, every test): a run must
 * not keep an earlier run's program alive, or a process running many of them grows by each.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { loadStackFile, runProgram } from "../../offline/run";

const PROGRAM = path.resolve(__dirname, "..", "..", "index.ts");

/** A full garbage collection, in a process not started with --expose-gc. */
function collectGarbage(): void {
    v8.setFlagsFromString("--expose-gc");
    (vm.runInNewContext("gc") as () => void)();
}

describe("program runs in one process (offline/run)", function () {
    this.timeout(60000);

    it("let an earlier run's program, and the resources its exports hold, be collected", async () => {
        const prod = loadStackFile("prod");
        // The first run's module stays the parent of the modules it loaded first (Node's module.parent), so watch the second's.
        await runProgram("first", prod.config, prod.secretKeys);
        await runProgram("second", prod.config, prod.secretKeys);
        const second = new WeakRef(require.cache[PROGRAM]!.exports as object);
        await runProgram("third", prod.config, prod.secretKeys);
        // A WeakRef's target stays alive until the current job ends: let it end before collecting.
        await new Promise((resolve) => setImmediate(resolve));
        collectGarbage();
        assert.equal(second.deref(), undefined, "the second run's program exports are still reachable after the third run");
    });
});
