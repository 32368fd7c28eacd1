import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CacheUser } from "../config";
import { disabledDefaultUserId, userGroupId, userId } from "../naming";
import { GlobalDatastoreArgs } from "./args";

/**
 * One region's RBAC user group: the configured users plus a replacement for the built-in `default`
 * user that is switched off, so an unauthenticated connection can run nothing. User groups are
 * regional, so every member region gets the same users and group ids.
 */
export function createUserGroup(name: string, parent: pulumi.Resource, region: string, args: GlobalDatastoreArgs): aws.elasticache.UserGroup | undefined {
    if (args.auth.mode !== "rbac") {
        return undefined;
    }
    const { passwords } = args.auth;
    const engine = args.engine;
    const disabledDefault = new aws.elasticache.User(`${name}-default-disabled`, {
        region,
        engine,
        userId: disabledDefaultUserId(args.naming),
        userName: "default",
        accessString: "off -@all",
        authenticationMode: { type: "no-password-required" },
        tags: args.tags,
    }, { parent });
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
        }, { parent });
    });
    return new aws.elasticache.UserGroup(`${name}-users`, {
        region,
        engine,
        userGroupId: userGroupId(args.naming),
        userIds: [disabledDefault.userId, ...users.map((u) => u.userId)],
        tags: args.tags,
    }, { parent });
}
