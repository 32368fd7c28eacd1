import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_DIR } from "../../offline/run";

const execFileAsync = promisify(execFile);

/**
 * recovery/launch.js on a project of its own: the launcher and the compiler of this project, a
 * tsconfig.build.json that compiles one small entry point (compiling the real programs would take far
 * longer and prove nothing more about the launcher). Without TypeScript's standard library, which the
 * compiler would otherwise read on every build: it needs only the global types declared here.
 */
function miniProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launch-"));
    fs.mkdirSync(path.join(dir, "recovery"));
    fs.mkdirSync(path.join(dir, "src"));
    fs.copyFileSync(path.join(PROJECT_DIR, "recovery", "launch.js"), path.join(dir, "recovery", "launch.js"));
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "es2022", module: "commonjs", strict: true, types: [] } }));
    fs.writeFileSync(path.join(dir, "tsconfig.build.json"), JSON.stringify({
        extends: "./tsconfig.json", compilerOptions: { outDir: "dist", rootDir: ".", noCheck: true, noResolve: true, noLib: true }, include: ["src/**/*.ts"],
    }));
    fs.writeFileSync(path.join(dir, "src", "globals.d.ts"),
        "interface Array<T> {} interface Boolean {} interface Function {} interface IArguments {} interface Number {} interface Object {} interface RegExp {} " +
        "interface String {} interface CallableFunction {} interface NewableFunction {}\n");
    writeEntry(dir, "first");
    return dir;
}

/** An entry point that prints its version and arguments, only when it is the main module (as the CLI's are). */
function writeEntry(dir: string, version: string, body = ""): void {
    const file = path.join(dir, "src", "main.ts");
    fs.writeFileSync(file, `${body}\nif (require.main === module) { console.log(JSON.stringify({ version: "${version}", args: process.argv.slice(2) })); }\n`);
    // A second later than anything before it: file times can be coarse.
    // Dated after the build when there is one (an edit made after it), else in the past: a date in the
    // future would keep the source newer than any build made within that time, on a fast machine.
    const built = path.join(dir, "dist", "src", "main.js");
    const when = new Date(fs.existsSync(built) ? fs.statSync(built).mtimeMs + 1000 : Date.now() - 10_000);
    fs.utimesSync(file, when, when);
}

async function launch(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await execFileAsync(process.execPath, ["recovery/launch.js", "src/main.ts", ...args], { cwd: dir });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const failed = e as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
}

describe("recovery/launch.js: runs the compiled programs, compiling them first when they are missing or stale", function () {
    this.timeout(120_000);
    let dir: string;

    before(() => {
        dir = miniProject();
    });

    after(() => {
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("compiles a missing build, then runs the entry point as the main module with the arguments", async () => {
        const run = await launch(dir, "--stack", "prod", "--json");
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), { version: "first", args: ["--stack", "prod", "--json"] });
        assert.match(run.stderr, /compiling them first/);
        assert.ok(fs.existsSync(path.join(dir, "dist", "src", "main.js")));
    });

    it("does not compile an up-to-date build again", async () => {
        const run = await launch(dir);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, "");
        assert.equal(JSON.parse(run.stdout).version, "first");
    });

    it("compiles again when a source is newer than the build: a pulled fix is what runs", async () => {
        writeEntry(dir, "second");
        const run = await launch(dir);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(JSON.parse(run.stdout).version, "second");
        assert.match(run.stderr, /compiling them first/);
    });

    it("runs nothing when the sources do not compile, and does not take the failed build for a good one next time", async () => {
        writeEntry(dir, "broken", "const = ;");
        for (const attempt of [1, 2]) {
            const run = await launch(dir);
            assert.equal(run.code, 1, `attempt ${attempt}`);
            assert.equal(run.stdout, "", `attempt ${attempt}: nothing ran`);
            assert.match(run.stderr, /compiling failed .*nothing was run/, `attempt ${attempt}`);
        }
    });
});
