import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AuthConfig, CacheUser, Engine } from "../config";
import { NamingInput, disabledDefaultUserId, userGroupId, userId } from "../naming";

export interface RegionUsersArgs {
    /** The names are the stack's, never a generation's: every generation shares these users. */
    naming: Pick<NamingInput, "namePrefix">;
    engine: Engine;
    auth: AuthConfig;
    tags?: Record<string, string>;
}

/**
 * One region's RBAC users and user group, shared by every generation of the datastore: the configured
 * users plus a replacement for the built-in `default` user that is switched off, so an unauthenticated
 * connection can run nothing. User groups are regional, so every member region gets the same users and
 * group ids. AWS lets one user group serve several replication groups at once (UserGroup.ReplicationGroups
 * is a list, CreateUserGroup API reference; the user guide's "Role-Based Access Control (RBAC)" deploys
 * a user group "to one or more" caches), so a new generation's groups use the same user group and
 * applications keep their user names, passwords and IAM user ARNs across a cutover.
 *
 * `aliases` carries the resources' earlier identity: they used to be children of generation 1's
 * datastore component, under the same logical names, and an alias keeps an existing stack from
 * replacing them.
 */
export function createRegionUsers(name: string, parent: pulumi.Resource, region: string, args: RegionUsersArgs,
    aliases: pulumi.Input<pulumi.Alias>[] = []): aws.elasticache.UserGroup | undefined {
    if (args.auth.mode !== "rbac") {
        return undefined;
    }
    const { passwords } = args.auth;
    const engine = args.engine;
    const opts = { parent, aliases };
    const disabledDefault = new aws.elasticache.User(`${name}-default-disabled`, {
        region,
        engine,
        userId: disabledDefaultUserId(args.naming),
        userName: "default",
        accessString: "off -@all",
        authenticationMode: { type: "no-password-required" },
        tags: args.tags,
    }, opts);
    const users = args.auth.users.map((user: CacheUser) => {
        const id = userId(args.naming, user.name);
        return new aws.elasticache.User(`${name}-user-${user.name.toLowerCase()}`, {
            region,
            engine,
            userId: id,
            // IAM authentication requires the user name to equal the user id.
            userName: user.authentication === "iam" ? id : user.name,
            accessString: user.access,
            authenticationMode: user.authentication === "iam"
                ? { type: "iam" }
                : { type: "password", passwords: [pulumi.secret(passwords[user.name])] },
            tags: args.tags,
        }, opts);
    });
    return new aws.elasticache.UserGroup(`${name}-users`, {
        region,
        engine,
        userGroupId: userGroupId(args.naming),
        userIds: [disabledDefault.userId, ...users.map((u) => u.userId)],
        tags: args.tags,
    }, opts);
}
