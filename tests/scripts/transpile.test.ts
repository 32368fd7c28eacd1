/**
 * scripts/transpile.js keeps what it transpiles on disk: a second process loads the same file from
 * there without loading Sucrase, an edited file is transpiled again, and a cache it cannot write only
 * costs the time.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const HOOK = path.resolve(__dirname, "..", "..", "scripts", "transpile.js");

/** Runs `file` through the hook with the cache in `cacheDir`; its JSON line: what it printed and whether Sucrase was loaded. */
function run(file: string, cacheDir: string): { value: string; sucraseLoaded: boolean } {
    const out = execFileSync(process.execPath, ["-r", HOOK, file], { env: { ...process.env, TRANSPILE_CACHE_DIR: cacheDir }, encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").at(-1)!);
}

function program(value: string): string {
    return [
        `const value: string = ${JSON.stringify(value)};`,
        "interface Unused { a: number }",
        // Sucrase's code, not its package.json (whose version is part of the cache key).
        "const sucraseLoaded = Object.keys(require.cache).some((k) => k.split(require(\"path\").sep).join(\"/\").includes(\"/sucrase/dist/\"));",
        "console.log(JSON.stringify({ value, sucraseLoaded }));",
    ].join("\n");
}

describe("scripts/transpile.js: the transpile cache", function () {
    this.timeout(30000);
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "transpile-cache-"));
    });

    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("transpiles a file once: the next process reads it from the cache and never loads Sucrase", () => {
        const file = path.join(dir, "hello.ts");
        const cache = path.join(dir, "cache");
        fs.writeFileSync(file, program("first"));
        assert.deepEqual(run(file, cache), { value: "first", sucraseLoaded: true });
        const entries = fs.readdirSync(cache);
        assert.equal(entries.length, 1, `one entry: ${entries.join(", ")}`);
        assert.match(fs.readFileSync(path.join(cache, entries[0]), "utf8"), /sourceMappingURL=data:application\/json/);
        assert.deepEqual(run(file, cache), { value: "first", sucraseLoaded: false });
        assert.deepEqual(fs.readdirSync(cache), entries);
    });

    it("transpiles an edited file again, and a file at another path on its own", () => {
        const file = path.join(dir, "hello.ts");
        const cache = path.join(dir, "cache");
        fs.writeFileSync(file, program("first"));
        run(file, cache);
        fs.writeFileSync(file, program("second"));
        assert.deepEqual(run(file, cache), { value: "second", sucraseLoaded: true });
        const copy = path.join(dir, "copy.ts");
        fs.copyFileSync(file, copy);
        assert.deepEqual(run(copy, cache), { value: "second", sucraseLoaded: true });
        assert.equal(fs.readdirSync(cache).length, 3);
    });

    it("prunes entries written more than two weeks ago, and only those", () => {
        const cache = path.join(dir, "cache");
        fs.mkdirSync(cache);
        const day = 24 * 60 * 60;
        const now = Date.now() / 1000;
        const ages: Record<string, number> = { "old.js": 15 * day, "old.js.123.partial": 20 * day, "recent.js": 13 * day, "new.js": 0 };
        for (const [name, age] of Object.entries(ages)) {
            fs.writeFileSync(path.join(cache, name), "");
            fs.utimesSync(path.join(cache, name), now - age, now - age);
        }
        execFileSync(process.execPath, ["-e", `require(${JSON.stringify(HOOK)}).pruneTranspileCache()`], { env: { ...process.env, TRANSPILE_CACHE_DIR: cache } });
        assert.deepEqual(fs.readdirSync(cache).sort(), ["new.js", "recent.js"]);
    });

    it("still runs the file when the cache cannot be written", () => {
        const file = path.join(dir, "hello.ts");
        const notADirectory = path.join(dir, "plain-file");
        fs.writeFileSync(notADirectory, "");
        fs.writeFileSync(file, program("anyway"));
        assert.deepEqual(run(file, path.join(notADirectory, "cache")), { value: "anyway", sucraseLoaded: true });
        assert.deepEqual(run(file, path.join(notADirectory, "cache")), { value: "anyway", sucraseLoaded: true });
    });
});
