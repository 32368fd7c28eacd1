import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import * as ts from "typescript";
import { PROJECT_DIR } from "../../offline/run";

/**
 * The recovery programs run on an operator's machine installed with `npm ci --omit=dev`: everything
 * they load must come from the project's own files and its runtime `dependencies`. This follows every
 * import that survives compilation (type-only ones do not) from the entry points; `.ci/run` proves the
 * same on a real pruned install.
 */
const ENTRY_POINTS = ["recovery/cli.ts", "recovery/drill/local-cli.ts"];

interface ImportGraph {
    /** Project files reached, relative to the project directory. */
    files: Set<string>;
    /** Package name -> the first file that imports it. */
    packages: Map<string, string>;
    unresolved: string[];
}

/** The module specifiers of `file` that remain at run time: no `import type`, no `export type`. */
function runtimeSpecifiers(file: string): string[] {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && !node.importClause?.isTypeOnly) {
            found.push(node.moduleSpecifier.text);
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
            found.push(node.moduleSpecifier.text);
        } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]) &&
            (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
            found.push(node.arguments[0].text);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

function resolveProjectFile(from: string, specifier: string): string | undefined {
    const base = path.resolve(path.dirname(from), specifier);
    return [base, `${base}.ts`, path.join(base, "index.ts")].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

function packageName(specifier: string): string {
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function importGraph(entries: readonly string[]): ImportGraph {
    const graph: ImportGraph = { files: new Set(), packages: new Map(), unresolved: [] };
    const queue = entries.map((e) => path.join(PROJECT_DIR, e));
    while (queue.length > 0) {
        const file = queue.pop()!;
        const relative = path.relative(PROJECT_DIR, file);
        if (graph.files.has(relative)) {
            continue;
        }
        graph.files.add(relative);
        if (!file.endsWith(".ts")) {
            continue; // JSON data
        }
        for (const specifier of runtimeSpecifiers(file)) {
            if (specifier.startsWith(".")) {
                const target = resolveProjectFile(file, specifier);
                if (target) {
                    queue.push(target);
                } else {
                    graph.unresolved.push(`${specifier} (from ${relative})`);
                }
            } else if (!specifier.startsWith("node:") && !builtinModules.includes(specifier)) {
                const name = packageName(specifier);
                if (!graph.packages.has(name)) {
                    graph.packages.set(name, relative);
                }
            }
        }
    }
    return graph;
}

describe("recovery: runs with the runtime dependencies alone", () => {
    const graph = importGraph(ENTRY_POINTS);
    const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> };

    it("follows the imports of every command and of the stack-file fallback (the walk itself works)", () => {
        assert.deepEqual(graph.unresolved, []);
        for (const file of ["recovery/commands/retarget-primary.ts", "recovery/commands/drill.ts", "recovery/commands/backup-drill.ts", "recovery/lib/stack-file.ts"]) {
            assert.ok(graph.files.has(file), `${file} is reached from the entry points`);
        }
        assert.ok(graph.packages.has("@aws-sdk/client-elasticache"));
    });

    it("imports packages only from package.json's dependencies, never a devDependency", () => {
        const missing = [...graph.packages].filter(([name]) => !(name in manifest.dependencies)).map(([name, by]) => `${name} (imported by ${by})`);
        assert.deepEqual(missing, [], "packages that `npm ci --omit=dev` would not install");
    });

    it("never loads the offline runner or test code", () => {
        const outside = [...graph.files].filter((f) => /^(offline|tests|bench)\//.test(f));
        assert.deepEqual(outside, []);
    });
});
