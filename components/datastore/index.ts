import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { globalDatastoreSuffix } from "../naming";
import { DatastoreMember, GlobalDatastoreArgs } from "./args";
import { INHERITED_BY_JOINERS, MANAGED_BY_DATASTORE, foundingMemberArgs, joiningMemberArgs } from "./members";

export { DatastoreMember, GlobalDatastoreArgs, MemberFoundation } from "./args";
export { RegionUsersArgs, createRegionUsers } from "./auth";

/** How long `pulumi up` waits for a founding group created from a snapshot (restore-from-snapshot waits as long). */
export const SEEDED_CREATE_TIMEOUT = "120m";

/**
 * The Global Datastore and its member replication groups, one per region (only the founding one while
 * `founderOnly`: the joining members are added by a later update, one after the other).
 *
 * Roles can swap without replacing anything: this component never learns which region is primary
 * now. The founding member keeps the shape it was created with, the datastore ignores drift in its
 * primary (after a failover AWS reports the new one, and changing it would replace the datastore),
 * and members ignore what the datastore manages. Users and user groups are not the datastore's: every
 * generation shares one set per region (auth.ts), passed in as `userGroupIds`.
 */
export class GlobalDatastore extends pulumi.ComponentResource {
    readonly globalDatastoreId: pulumi.Output<string>;
    readonly members: Record<string, DatastoreMember>;

    constructor(name: string, args: GlobalDatastoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elasticache-global:index:GlobalDatastore", name, {}, opts);
        const regions = Object.keys(args.foundations);
        if (!regions.includes(args.foundingRegion)) {
            throw new pulumi.ResourceError(`foundingRegion ${args.foundingRegion} has no foundation among ${regions.join(", ")}`, this);
        }
        const stateful = { parent: this, protect: args.protect ?? true };

        const founder = new aws.elasticache.ReplicationGroup(`${name}-${args.foundingRegion}`,
            foundingMemberArgs(args, args.userGroupIds?.[args.foundingRegion]),
            // AWS records the datastore on the founder after it joins; the founder never sets it.
            {
                ...stateful, ignoreChanges: [...MANAGED_BY_DATASTORE, "globalReplicationGroupId"],
                // Restoring a large snapshot can take longer than the provider's default wait for a create.
                ...(args.seedSnapshot ? { customTimeouts: { create: SEEDED_CREATE_TIMEOUT } } : {}),
            });

        const datastore = new aws.elasticache.GlobalReplicationGroup(`${name}-datastore`, {
            region: args.foundingRegion,
            globalReplicationGroupIdSuffix: globalDatastoreSuffix(args.naming),
            // Sorted: the primary comes first in config order, and a promotion must not change this text.
            globalReplicationGroupDescription: `${args.naming.namePrefix} cache across ${[...regions].sort().join(", ")}`,
            primaryReplicationGroupId: founder.id,
            cacheNodeType: args.nodeType,
            // The type docs: engine "Default is `redis` if `engineVersion` is specified", and "If an engine
            // is specified, the Global Replication Group and all member replication groups will be upgraded
            // to this engine". Unset, a version upgrade of a Valkey datastore would go out as Redis OSS.
            engine: args.engine,
            engineVersion: args.engineVersion,
            numNodeGroups: args.shards,
            automaticFailoverEnabled: true,
        }, { ...stateful, ignoreChanges: ["primaryReplicationGroupId"] });

        // Joining puts the datastore in `modifying`, and AWS refuses a second join until it is
        // `available` again: add secondaries one after the other, in an order roles cannot change.
        const groups: Record<string, aws.elasticache.ReplicationGroup> = { [args.foundingRegion]: founder };
        let previous: pulumi.Resource = datastore;
        const joining = args.founderOnly ? [] : regions.filter((r) => r !== args.foundingRegion).sort();
        for (const region of joining) {
            previous = groups[region] = new aws.elasticache.ReplicationGroup(`${name}-${region}`,
                joiningMemberArgs(args, region, datastore.globalReplicationGroupId, args.userGroupIds?.[region]),
                { ...stateful, ignoreChanges: INHERITED_BY_JOINERS, dependsOn: [previous] });
        }

        this.globalDatastoreId = datastore.globalReplicationGroupId;
        this.members = Object.fromEntries(Object.keys(groups).map((region) => [region, {
            region,
            replicationGroupId: groups[region].id,
            arn: groups[region].arn,
            configurationEndpoint: groups[region].configurationEndpointAddress,
            port: groups[region].port.apply((p) => p ?? args.port),
        }]));
        this.registerOutputs({ globalDatastoreId: this.globalDatastoreId, members: this.members });
    }
}
