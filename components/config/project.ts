/**
 * The Pulumi project: its name and its directory, for the offline runner and the recovery programs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The project's name (Pulumi.yaml); config keys written without a namespace belong to it. */
export const PROJECT = "elasticache-global";

/**
 * The project directory: the nearest one at or above this file that holds Pulumi.yaml. Found, not
 * computed from this file's depth, because the recovery programs also run compiled, from dist/.
 */
export const PROJECT_DIR = findProjectDir(__dirname);

function findProjectDir(start: string): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no Pulumi.yaml in ${start} or any directory above it: this file must stay inside the project`);
        }
    }
}
