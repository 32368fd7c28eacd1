/**
 * The stack as far as it can be reached when it cannot be opened: its configuration from the
 * project's Pulumi.<stack>.yaml, nothing else. The state backend may live in the failed region, or the
 * on-call machine may lack the Pulumi CLI; the control-plane part of a recovery needs only the
 * configuration (regions and, through components/naming.ts, every physical id), so it can run while
 * the stack is reconciled later.
 *
 * Every operation other than getConfig fails with the error that kept the stack from opening, so
 * nothing can mistake this for the stack itself.
 */
import { StackNotFoundError as NoStackFileError, StackFileSyntaxError, loadStackFile } from "../../components/config/stack-file";
import { programStackName } from "./stack-config";
import { PulumiCliMissingError, StackConfigMap, StackDriver, StackOutputs, StackUnavailableError, UpResult } from "./stack-driver";

/** There is neither a reachable stack nor a stack file: the message lists the stack files there are. */
export class NoStackSourceError extends Error {
    constructor(message: string, readonly cause?: unknown) {
        super(message);
        this.name = "NoStackSourceError";
    }
}

export class StackFileDriver implements StackDriver {
    private constructor(
        readonly stackName: string,
        /** The file the configuration came from. */
        readonly file: string,
        private readonly config: StackConfigMap,
        /** Keys whose values the file holds encrypted (or that it leaves to the backend): never read. */
        readonly secretKeys: readonly string[],
        /** Why the stack itself could not be opened. */
        readonly unavailable: StackUnavailableError,
    ) {}

    /**
     * Reads Pulumi.<stack>.yaml from `projectDir` (for `org/project/prod`, Pulumi.prod.yaml). Secret
     * values are never decrypted: recovery needs regions and names, not passwords, so encrypted and
     * missing secrets stand in as opaque placeholders that only satisfy the program's validation.
     * Throws NoStackSourceError, listing the stack files found, when there is no such file.
     */
    static open(stackName: string, projectDir: string, unavailable: StackUnavailableError): StackFileDriver {
        const stack = programStackName(stackName);
        try {
            const file = loadStackFile(stack, projectDir);
            const config = Object.fromEntries(Object.entries(file.config).map(([key, value]) =>
                [key, { value, secret: file.secretKeys.includes(key) }]));
            return new StackFileDriver(stackName, file.file, config, [...file.secretKeys], unavailable);
        } catch (e) {
            if (e instanceof NoStackFileError) {
                throw new NoStackSourceError(`stack ${stackName} cannot be opened and has no configuration file to fall back on: ` +
                    `${e.message} Check --stack; nothing was changed. Why the stack cannot be opened: ${unavailable.message}`, e);
            }
            if (e instanceof StackFileSyntaxError) {
                throw new NoStackSourceError(`stack ${stackName} cannot be opened, and its configuration file cannot be read instead: ${e.message} ` +
                    `Nothing was changed. Why the stack cannot be opened: ${unavailable.message}`, e);
            }
            throw e;
        }
    }

    async getConfig(): Promise<StackConfigMap> {
        return Object.fromEntries(Object.entries(this.config).map(([key, value]) => [key, { ...value }]));
    }

    async setConfigs(): Promise<void> {
        throw this.unavailable;
    }

    async refresh(): Promise<void> {
        throw this.unavailable;
    }

    async preview(): Promise<never[]> {
        throw this.unavailable;
    }

    async up(): Promise<UpResult> {
        throw this.unavailable;
    }

    async outputs(): Promise<StackOutputs> {
        throw this.unavailable;
    }
}

/** Why `driver` is only the stack file, or undefined when it is the stack itself. */
export function stackUnavailability(driver: StackDriver): StackUnavailableError | undefined {
    return driver instanceof StackFileDriver ? driver.unavailable : undefined;
}

/** Why the stack is unavailable, in a few words. */
export function unavailableBriefly(unavailable: StackUnavailableError): string {
    return unavailable instanceof PulumiCliMissingError ? "the Pulumi CLI is missing"
        : unavailable.operation === "select" ? "its state backend does not answer"
            : `its state backend stopped answering (${unavailable.operation})`;
}
