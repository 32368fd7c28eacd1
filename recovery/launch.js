#!/usr/bin/env node
/**
 * Starts a recovery program from its compiled JavaScript in dist/: `npm run recovery` is
 * `node recovery/launch.js recovery/cli.ts <arguments>`. Plain JavaScript, because it runs before
 * anything is compiled.
 *
 * `npm ci` compiles the programs (the `prepare` script runs `npm run build`). This compiles them again
 * first when the compiled entry point is missing or older than a source file or the compiler settings:
 * a checkout that moved on (a fix pulled during an incident) never runs yesterday's code, and an
 * install made with --ignore-scripts works too. Checking costs a few milliseconds; compiling, when it
 * is needed, some seconds, said on stderr.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const ROOT = path.resolve(__dirname, "..");
const BUILD_CONFIG = path.join(ROOT, "tsconfig.build.json");

/** Where tsconfig.build.json puts the output, and the source folders it compiles (its include globs). */
function buildLayout() {
    const config = JSON.parse(fs.readFileSync(BUILD_CONFIG, "utf8"));
    return {
        outDir: path.resolve(ROOT, config.compilerOptions.outDir),
        sourceDirs: config.include.map((glob) => path.resolve(ROOT, glob.split("/*")[0])),
    };
}

/** The newest modification time of the TypeScript sources and the compiler settings, in ms. */
function newestInput(sourceDirs) {
    let newest = Math.max(...[BUILD_CONFIG, path.join(ROOT, "tsconfig.json")].map((f) => fs.statSync(f).mtimeMs));
    const visit = (dir) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                visit(full);
            } else if (entry.name.endsWith(".ts")) {
                newest = Math.max(newest, fs.statSync(full).mtimeMs);
            }
        }
    };
    sourceDirs.forEach(visit);
    return newest;
}

function compile(compiled) {
    let tsc;
    try {
        tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    } catch {
        fail("TypeScript is not installed, so the recovery programs cannot be compiled. Run `npm ci` in the project directory, then this command again.");
    }
    process.stderr.write("The compiled recovery programs are missing or older than their sources: compiling them first (npm run build)...\n");
    // The compiler's messages go to stderr: stdout may be JSON lines (--json).
    const result = spawnSync(process.execPath, [tsc, "-p", BUILD_CONFIG], { cwd: ROOT, stdio: ["ignore", 2, 2] });
    if (result.status !== 0) {
        // Whatever was written is not to be run, nor taken for an up-to-date build next time.
        fs.rmSync(compiled, { force: true });
        fail(`compiling failed (${result.error ? result.error.message : `tsc exited with ${result.status ?? result.signal}`}); nothing was run. ` +
            "Fix what the compiler says above, or check out a commit that compiles, then run the command again.");
    }
}

function fail(message) {
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
}

const [entry, ...args] = process.argv.slice(2);
if (!entry || !entry.endsWith(".ts")) {
    fail(`usage: node recovery/launch.js <entry point .ts, such as recovery/cli.ts> [arguments]; got ${JSON.stringify(entry ?? "")}.`);
}
const layout = buildLayout();
const compiled = path.join(layout.outDir, entry.replace(/\.ts$/, ".js"));
if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < newestInput(layout.sourceDirs)) {
    compile(compiled);
}
if (args.includes("--debug")) {
    // Stack traces then point into the TypeScript sources; reading the maps costs time only when asked for.
    process.setSourceMapsEnabled(true);
}
// Runs the compiled file as the main module (require.main), as `node <file>` would: ts-node starts its
// scripts the same way.
process.argv = [process.argv[0], compiled, ...args];
require("node:module").runMain();
