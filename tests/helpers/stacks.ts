/**
 * Test helpers: the stacks a test may rely on. The repository ships two example stacks, and users add
 * their own Pulumi.<stack>.yaml beside them: tests about the examples name them, and tests about every
 * stack hold for any stack file the program accepts (tests/offline/plan.test.ts names the invalid ones).
 */
import { NAMESPACE, RawConfig, validateConfig } from "../../components/config";
import { PROJECT_DIR, listStacks, loadStackFile } from "../../offline/run";

/** The example stacks this repository ships, which its workflows run for. */
export const EXAMPLE_STACKS: readonly string[] = ["prod", "staging"];

/** Why Pulumi.<stack>.yaml is not a configuration the program accepts (not YAML, or invalid); undefined when it is. */
export function stackFileProblem(stack: string, dir = PROJECT_DIR): string | undefined {
    try {
        const raw: RawConfig = {};
        for (const [key, value] of Object.entries(loadStackFile(stack, dir).config)) {
            if (key.startsWith(`${NAMESPACE}:`)) {
                raw[key.slice(NAMESPACE.length + 1)] = value;
            }
        }
        validateConfig(raw, stack);
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
}

/** Every stack of the project whose stack file the program accepts. */
export function validStacks(dir = PROJECT_DIR): string[] {
    return listStacks(dir).filter((stack) => stackFileProblem(stack, dir) === undefined);
}
