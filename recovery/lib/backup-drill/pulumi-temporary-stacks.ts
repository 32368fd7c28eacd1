/**
 * The real TemporaryStacks: a stack of its own project, with an inline program, through the Automation
 * API (the Pulumi CLI runs it). The program is loaded only here, so other commands do not load the
 * AWS provider's SDK.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { RestoreTarget } from "./restore-target";
import { RestoredCache, TemporaryStack, TemporaryStacks } from "./temporary-stack";

export const DRILL_PROJECT = "elasticache-global-backup-drill";

export const pulumiTemporaryStacks: TemporaryStacks = {
    async create(name: string, target: RestoreTarget): Promise<TemporaryStack> {
        const { restoreTargetProgram } = await import("./program");
        const stack = await LocalWorkspace.createStack({ stackName: name, projectName: DRILL_PROJECT, program: restoreTargetProgram(target) });
        await stack.setConfig("aws:region", { value: target.region });
        return {
            name,
            async up(): Promise<RestoredCache> {
                const result = await stack.up();
                return { configurationEndpoint: String(result.outputs.configurationEndpoint.value), port: Number(result.outputs.port.value) };
            },
            async destroy() {
                await stack.destroy();
            },
            async remove() {
                await stack.workspace.removeStack(name);
            },
        };
    },
};
