/** The temporary stack's program: the restore target as one replication group. */
import * as aws from "@pulumi/aws";
import { Engine, clusterParameterGroup, usesDataTiering } from "../../../components/config/engine";
import { RestoreTarget } from "./restore-target";

export function restoreTargetProgram(t: RestoreTarget): () => Promise<Record<string, unknown>> {
    return async () => {
        const group = new aws.elasticache.ReplicationGroup("restore-target", {
            region: t.region,
            replicationGroupId: t.replicationGroupId,
            description: `backup drill: restore of ${t.snapshotName}`,
            snapshotName: t.snapshotName,
            engine: t.engine,
            engineVersion: t.engineVersion,
            nodeType: t.nodeType,
            // AWS requires it for the data-tiering (r6gd) node types, and refuses it elsewhere.
            dataTieringEnabled: usesDataTiering(t.nodeType) ? true : undefined,
            port: t.port,
            parameterGroupName: clusterParameterGroup(t.engine as Engine, t.engineVersion),
            clusterMode: "enabled",
            numNodeGroups: t.shards,
            // No replicas: the drill proves the data restores and reads back; Multi-AZ is not what it tests, and replicas would double its cost.
            replicasPerNodeGroup: 0,
            automaticFailoverEnabled: true,
            multiAzEnabled: false,
            subnetGroupName: t.subnetGroupName,
            securityGroupIds: [t.securityGroupId],
            kmsKeyId: t.kmsKeyArn,
            atRestEncryptionEnabled: true,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            userGroupIds: t.userGroupId ? [t.userGroupId] : undefined,
            snapshotRetentionLimit: 0,
            applyImmediately: true,
            tags: t.tags,
        });
        return { configurationEndpoint: group.configurationEndpointAddress, port: group.port };
    };
}
