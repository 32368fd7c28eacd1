/**
 * The test helper that shares program runs between the mocha workers of one `npm test` run
 * (tests/helpers/program.ts): what a second process reads back must be what the program declared,
 * unknowns, secrets and undefined fields included, or every test after it would test something else.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isSecret, loadStackFile } from "../../offline/run";
import { UNKNOWN } from "../../offline/policy/wire";
import { T } from "../helpers/program";
import { PROGRAM_RUN_CACHE_ENV } from "../helpers/program-runs-env";

const HELPER = require.resolve("../helpers/program");

/** A fresh copy of the helper module: its in-process map empty, as in another worker. */
function freshHelper(): typeof import("../helpers/program") {
    delete require.cache[HELPER];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(HELPER) as typeof import("../helpers/program");
}

function contains(value: unknown, found: (v: unknown) => boolean): boolean {
    if (found(value)) {
        return true;
    }
    return typeof value === "object" && value !== null && Object.values(value).some((v) => contains(v, found));
}

describe("program runs shared between the test processes of one npm test run (tests/helpers/program.ts)", function () {
    this.timeout(60_000);
    const before = process.env[PROGRAM_RUN_CACHE_ENV];
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "program-runs-test-"));
    });

    afterEach(() => {
        if (before === undefined) {
            delete process.env[PROGRAM_RUN_CACHE_ENV];
        } else {
            process.env[PROGRAM_RUN_CACHE_ENV] = before;
        }
        fs.rmSync(dir, { recursive: true, force: true });
        delete require.cache[HELPER];
    });

    it("a second process reads the run from the directory, unknowns, secrets and undefined fields intact", async () => {
        process.env[PROGRAM_RUN_CACHE_ENV] = dir;
        const staging = loadStackFile("staging");
        const first = await freshHelper().runProgramShared("staging", staging.config, staging.secretKeys, { firstPreview: true });
        assert.ok(contains(first.resources, (v) => v === UNKNOWN), "a first preview has unknown values");
        assert.ok(contains(first.resources, isSecret), "the staging stack has secret inputs");
        assert.ok(first.resources.some((r) => "id" in r && r.id === undefined), "a first preview has resources without an id");
        const files = fs.readdirSync(dir);
        assert.equal(files.length, 1, `one file per run: ${files.join(", ")}`);

        // Mark the file so that what the next process returns shows where it came from.
        const file = path.join(dir, files[0]);
        const group = first.resources.findIndex((r) => r.type === T.replicationGroup);
        const name = first.resources[group].name;
        const marked = `X${name.slice(1)}`;
        fs.writeFileSync(file, Buffer.from(fs.readFileSync(file).toString("latin1").split(name).join(marked), "latin1"));

        const second = await freshHelper().runProgramShared("staging", staging.config, staging.secretKeys, { firstPreview: true });
        assert.equal(second.resources[group].name, marked, "read from the directory, not run again");
        const restored = JSON.parse(JSON.stringify(second, (_k, v: unknown) => (v === UNKNOWN ? "UNKNOWN" : v === undefined ? "UNDEFINED" : v)).split(marked).join(name));
        const expected = JSON.parse(JSON.stringify(first, (_k, v: unknown) => (v === UNKNOWN ? "UNKNOWN" : v === undefined ? "UNDEFINED" : v)));
        assert.deepEqual(restored, expected);
        assert.ok(contains(second.resources, (v) => v === UNKNOWN), "unknowns come back as UNKNOWN");
        assert.ok(contains(second.resources, isSecret), "secrets come back wrapped");
    });

    it("without the directory, a process keeps its runs to itself", async () => {
        delete process.env[PROGRAM_RUN_CACHE_ENV];
        const staging = loadStackFile("staging");
        await freshHelper().runProgramShared("staging", staging.config, staging.secretKeys);
        assert.deepEqual(fs.readdirSync(dir), []);
    });
});

describe("runProgramShared hands each caller its own copy (tests/helpers/program.ts)", function () {
    this.timeout(60_000);

    it("a caller's changes, deep ones included, reach no other caller; unknowns and secrets come through as they are", async () => {
        const { runProgramShared } = await import("../helpers/program");
        const staging = loadStackFile("staging");
        const first = await runProgramShared("staging", staging.config, staging.secretKeys, { firstPreview: true });
        const pristine = await runProgramShared("staging", staging.config, staging.secretKeys, { firstPreview: true });
        const group = first.resources.find((r) => r.type === T.replicationGroup)!;
        assert.ok(contains(first, (v) => v === UNKNOWN), "a first preview has unknowns");
        assert.ok(contains(first, isSecret), "and secrets");
        group.state.tags = { changed: "yes" };
        (group.inputs as Record<string, unknown>).replicasPerNodeGroup = -1;
        first.resources.pop();
        first.outputs.extra = 1;
        const again = await runProgramShared("staging", staging.config, staging.secretKeys, { firstPreview: true });
        assert.deepEqual(again, pristine);
        assert.notEqual(again.resources, pristine.resources, "not the same array either");
        assert.ok(contains(again, (v) => v === UNKNOWN) && contains(again, isSecret));
        assert.equal(again.resources.find((r) => r.type === T.replicationGroup)!.state.tags === group.state.tags, false);
    });

    it("copies an own property named __proto__ as a property, never as the copy's prototype", async () => {
        const { deepCopy } = await import("../helpers/program");
        const original = JSON.parse('{"tags": {"__proto__": {"polluted": true}, "team": "cache"}}') as { tags: Record<string, unknown> };
        const copy = deepCopy(original);
        assert.equal(Object.getPrototypeOf(copy.tags), Object.prototype);
        assert.deepEqual(Object.keys(copy.tags), ["__proto__", "team"]);
        assert.deepEqual(Object.getOwnPropertyDescriptor(copy.tags, "__proto__")?.value, { polluted: true });
        assert.notEqual(Object.getOwnPropertyDescriptor(copy.tags, "__proto__")?.value, Object.getOwnPropertyDescriptor(original.tags, "__proto__")?.value);
        assert.equal((copy.tags as { polluted?: boolean }).polluted, undefined);
    });
});
