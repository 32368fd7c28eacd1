/**
 * The boundary to the temporary stack a backup drill restores into. Unlike StackDriver, which never
 * creates a stack, this one exists to create a throwaway stack, and to destroy and remove it.
 */
import { RestoreTarget } from "./restore-target";

export interface RestoredCache {
    configurationEndpoint: string;
    port: number;
}

export interface TemporaryStack {
    readonly name: string;
    /** Creates the restore target; resolves once AWS reports it available (the provider waits). */
    up(): Promise<RestoredCache>;
    /** Deletes whatever the stack created (no final snapshot: the data is a copy of a snapshot that stays). */
    destroy(): Promise<void>;
    /** Removes the empty stack from the backend. */
    remove(): Promise<void>;
}

export interface TemporaryStacks {
    create(name: string, target: RestoreTarget): Promise<TemporaryStack>;
}
