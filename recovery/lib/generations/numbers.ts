/**
 * Generation numbers are never used twice: a generation's names (its replication groups, datastore,
 * alarms, final snapshots) all carry its number, and AWS refuses a final snapshot name already taken.
 * The program refuses a highestGeneration below a declared generation (components/config/generations.ts);
 * what the configuration alone cannot show is checked here against what the last update deployed
 * (stack outputs `highestGeneration` and `generations`): a highestGeneration lowered by hand, and a
 * generation declared again after it was retired. Pure.
 */
import { fullKey } from "../../../components/config/keys";
import { StackConfig, allGenerations } from "../../../components/config/types";
import { StackOutputs } from "../stack-driver";

/** What the last update deployed, from the stack outputs; undefined fields when an older program wrote them. */
export interface DeployedGenerations {
    highestGeneration?: number;
    generations?: number[];
}

export function deployedGenerations(outputs: StackOutputs): DeployedGenerations {
    const highest = outputs.highestGeneration?.value;
    const generations = outputs.generations?.value;
    return {
        ...(typeof highest === "number" ? { highestGeneration: highest } : {}),
        ...(typeof generations === "object" && generations !== null ? { generations: Object.keys(generations).map(Number).filter(Number.isInteger) } : {}),
    };
}

/**
 * Problems with the generation numbers, in operator's words with what to do; empty when there are
 * none. `building` is a generation a restore run has just declared (raising highestGeneration in the
 * same write), which the last update cannot know yet.
 */
export function generationNumberProblems(config: StackConfig, deployed: DeployedGenerations): string[] {
    const problems: string[] = [];
    const was = deployed.highestGeneration;
    if (was !== undefined && config.highestGeneration < was) {
        problems.push(`${fullKey("highestGeneration")} is ${config.highestGeneration}, but the last update deployed ${was}: it only grows, ` +
            `and a lower value would hand out the number of a retired generation again. Accepted: ${was} or more ` +
            `(pulumi config set ${fullKey("highestGeneration")} ${was}).`);
    }
    if (was !== undefined && deployed.generations) {
        // Numbers up to the deployed highest were all declared once; one missing from the last update was retired.
        const again = allGenerations(config).filter((g) => g.number <= was && !deployed.generations!.includes(g.number));
        for (const g of again) {
            problems.push(`generation ${g.number} is declared, but the last update deployed no generation ${g.number} although it had numbered up to ${was}: ` +
                `generation ${g.number} was retired, and its number (with the names and final snapshots that carry it) is never used again. ` +
                `Remove generation ${g.number} from the configuration; a restore declares generation ${Math.max(was, config.highestGeneration) + 1}.`);
        }
    }
    return problems;
}
