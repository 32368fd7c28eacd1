/**
 * Test-only: runs `npm run plan`'s main() in this process and captures what it prints, and writes
 * stack files to temporary directories, for the plan tests.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../offline/plan";
import { runProgramShared } from "../helpers/program";

/** `text` as a literal inside a RegExp. */
export function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Captures what main() prints. The program runs through runProgramShared: several plan tests run the
 * same stack file, and the plan only reads the run.
 */
export async function capture(argv: string[], dir?: string): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...a: unknown[]) => out.push(a.join(" "));
    console.error = (...a: unknown[]) => err.push(a.join(" "));
    try {
        const code = await main(argv, dir, (stack, config, secretKeys, _recorded, options) => runProgramShared(stack, config, secretKeys, options));
        return { code, out: out.join("\n"), err: err.join("\n") };
    } finally {
        console.log = log;
        console.error = error;
    }
}

/** A temporary directory holding Pulumi.<stack>.yaml with `yaml`. */
export function tempStackDir(stack: string, yaml: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml);
    return dir;
}
