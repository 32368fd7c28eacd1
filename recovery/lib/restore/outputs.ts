/** A generation's endpoints from the stack outputs (index.ts `generations`). */
import { Generation } from "../../../components/config/types";
import { StackDriver } from "../stack-driver";

export interface GenerationEndpoint {
    region: string;
    replicationGroupId: string;
    address: string;
    port: number;
}

/** The configuration endpoint of generation `g`'s founding member, where its restored data lives. */
export async function generationEndpoint(driver: StackDriver, g: Pick<Generation, "number" | "foundingRegion">): Promise<GenerationEndpoint> {
    const generations = (await driver.outputs()).generations?.value as Record<string, { regions?: Record<string, { replicationGroupId?: string; configurationEndpoint?: string; port?: number }> }> | undefined;
    const member = generations?.[String(g.number)]?.regions?.[g.foundingRegion];
    if (!member?.configurationEndpoint || !member.replicationGroupId) {
        throw new Error(`stack ${driver.stackName} has no output for generation ${g.number} in ${g.foundingRegion} ` +
            `(output generations.${g.number}.regions.${g.foundingRegion}.configurationEndpoint); the update that builds it has not finished. ` +
            "Run the same command again: it resumes with that update.");
    }
    return { region: g.foundingRegion, replicationGroupId: member.replicationGroupId, address: member.configurationEndpoint, port: member.port ?? 6379 };
}
