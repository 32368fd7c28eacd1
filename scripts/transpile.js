// Loads .ts files without type-checking, for the tests, `npm test`, the benches and the offline policy pack
// process (offline/policy/launch-pack.ts): mocha's --require (.mocharc.json) and `node -r`.
// Sucrase strips the types and turns imports into CommonJS, file by file, without type-checking (that is
// `tsc --noEmit`'s job): about seven times less CPU than TypeScript's own transpiler, and plain
// JavaScript, nothing native. It keeps every line where it was, so stack traces point at the .ts lines
// without source maps. disableESTransforms leaves class fields, optional chaining and the like as they
// are: Node runs them, and class fields then behave as tsc emits them for target es2022.
//
// Each output is kept in node_modules/.cache/transpile, named by a hash of what determines it (the
// source, its path, Sucrase's version and the options), so a file is transpiled once and not again in
// every process that loads it. One `npm test` starts dozens (mocha workers, policy packs, CLIs) that
// load the same files; loading the plan, the recovery CLI and the rules took 1.4 s of CPU without the
// cache and 0.84 s with it, and a hit does not even load Sucrase. Entries are written under a
// temporary name and renamed, so a process never reads half of one; where the directory cannot be
// read or written, files are transpiled as before.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const OPTIONS = { transforms: ["typescript", "imports"], disableESTransforms: true };
// TRANSPILE_CACHE_DIR moves it (tests/scripts/transpile.test.ts).
const CACHE_DIR = process.env.TRANSPILE_CACHE_DIR || path.join(__dirname, "..", "node_modules", ".cache", "transpile");
// Bump when the shape of an entry changes.
const FORMAT = "1";

let sucrase;
let salt;

function sucraseVersion() {
    return require("sucrase/package.json").version;
}

/** What sucrase/dist/register does: the code, then its source map inline (for debuggers; Node ignores it by default). */
function transpile(code, filePath) {
    sucrase ??= require("sucrase");
    const { code: out, sourceMap } = sucrase.transform(code, { ...OPTIONS, sourceMapOptions: { compiledFilename: filePath }, filePath });
    return `${out}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(sourceMap)).toString("base64")}`;
}

function cached(code, filePath) {
    salt ??= JSON.stringify([FORMAT, sucraseVersion(), OPTIONS]);
    const key = crypto.createHash("sha256").update(salt).update("\0").update(filePath).update("\0").update(code).digest("hex");
    const entry = path.join(CACHE_DIR, `${key}.js`);
    try {
        return fs.readFileSync(entry, "utf8");
    } catch {
        // Not there, or no cache to read (ENOENT, ENOTDIR, EACCES): transpile it.
    }
    const out = transpile(code, filePath);
    try {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        const partial = `${entry}.${process.pid}.partial`;
        fs.writeFileSync(partial, out);
        fs.renameSync(partial, entry);
    } catch {
        // Not kept (a read-only install, a full disk): the next process transpiles it again.
    }
    return out;
}

require("pirates").addHook(cached, { exts: [".ts"] });

/**
 * Removes the entries written more than `maxAgeDays` ago, partial ones a killed process left included:
 * every edit of a file adds an entry, so `npm test` prunes at its start. An entry still in use is written
 * again by the next process that needs it.
 */
function pruneTranspileCache(maxAgeDays = 14) {
    const before = Date.now() - maxAgeDays * 24 * 60 * 60 * 1000;
    let names;
    try {
        names = fs.readdirSync(CACHE_DIR);
    } catch {
        return;
    }
    for (const name of names) {
        const entry = path.join(CACHE_DIR, name);
        try {
            if (fs.statSync(entry).mtimeMs < before) {
                fs.rmSync(entry, { force: true });
            }
        } catch {
            // Removed by a concurrent prune, or not ours to remove: leave it.
        }
    }
}

module.exports = { pruneTranspileCache };
