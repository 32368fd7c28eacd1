/**
 * rejoin stopped on purpose after it had changed something. The message says what this run changed
 * and why it stopped; `nextSteps` (which the runner prints instead of its generic advice) say what a
 * human does now, starting from what was changed, so nobody reads "nothing was changed" or reruns a
 * command that would stop the same way.
 */
export class RejoinStoppedError extends Error {
    constructor(message: string, readonly nextSteps: string[]) {
        super(message);
        this.name = "RejoinStoppedError";
    }
}

/** What this run has changed so far, for the messages of a later stop. */
export interface RejoinChanges {
    /** Regions whose writer parameter this run pointed at the serving cluster. */
    writersMovedIn: string[];
    /** Old secondaries this run detached. */
    detached: { region: string; replicationGroupId: string }[];
    /** The old datastore, when this run deleted it (or waited for its deletion). */
    deletedDatastore?: string;
    /** Groups this run deleted (or waited for), with their final snapshot names. */
    deletedGroups: { region: string; replicationGroupId: string; finalSnapshot: string }[];
    /** Configuration keys this run set, as `key: from -> to`. */
    configSet: string[];
}

export function noChanges(): RejoinChanges {
    return { writersMovedIn: [], detached: [], deletedGroups: [], configSet: [] };
}

/** "deleted X (us-east-1, final snapshot S); detached Y (eu-west-1)", or undefined when nothing was retired. */
export function describeRetired(changes: RejoinChanges): string | undefined {
    const parts = [
        ...changes.detached.map((d) => `detached ${d.replicationGroupId} (${d.region}) from the old datastore`),
        ...(changes.deletedDatastore ? [`deleted the old Global Datastore ${changes.deletedDatastore} (keeping its primary group)`] : []),
        ...changes.deletedGroups.map((g) => `deleted ${g.replicationGroupId} (${g.region}) with final snapshot ${g.finalSnapshot}`),
    ];
    return parts.length ? parts.join("; ") : undefined;
}
