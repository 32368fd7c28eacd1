/**
 * What a backup drill restores into: one standalone replication group created from the snapshot in
 * the snapshot's region, inside the deployment's own network, key and users, so the restore is what a
 * real one would be. It is declared by its own temporary stack and destroyed after the drill.
 */
import { StackConfig } from "../../../components/config/types";
import { userGroupId } from "../../../components/naming";

export interface RestoreTarget {
    region: string;
    replicationGroupId: string;
    snapshotName: string;
    engine: string;
    engineVersion: string;
    nodeType: string;
    shards: number;
    port: number;
    subnetGroupName: string;
    securityGroupId: string;
    kmsKeyArn: string;
    /** The active generation's RBAC user group, so the drill logs in as the application would; none with an AUTH token. */
    userGroupId?: string;
    tags: Record<string, string>;
}

/** The region's foundation as the stack outputs it (index.ts `regions`). */
export interface RegionFoundation {
    subnetGroupName: string;
    securityGroupId: string;
    kmsKeyArn: string;
}

/** Replication group ids are at most 40 characters: prefix (20) + "-drill-" + yyyymmddhhmm. */
export function drillGroupId(config: Pick<StackConfig, "namePrefix">, atMs: number): string {
    return `${config.namePrefix}-drill-${new Date(atMs).toISOString().slice(0, 16).replace(/[-T:]/g, "")}`;
}

export function restoreTarget(config: StackConfig, snapshot: { name: string; region: string }, foundation: RegionFoundation, atMs: number): RestoreTarget {
    return {
        region: snapshot.region,
        replicationGroupId: drillGroupId(config, atMs),
        snapshotName: snapshot.name,
        engine: config.engine,
        engineVersion: config.engineVersion,
        nodeType: config.nodeType,
        shards: config.shards,
        port: config.port,
        ...foundation,
        ...(config.auth.mode === "rbac" ? { userGroupId: userGroupId(config) } : {}),
        tags: { ...config.tags, "elasticache-global:stack": config.stack, "elasticache-global:purpose": "backup-drill" },
    };
}
