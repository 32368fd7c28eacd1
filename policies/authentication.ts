/** Who may connect: authentication over TLS, RBAC user groups (or an AUTH token on old Redis OSS), and no enabled default user. */
import { PolicyResource } from "@pulumi/policy";
import { stringListOption } from "./lib/config";
import { judgeTransitEncryption } from "./lib/inherited";
import { inputSettings, known, knownList, presence, read, Unverifiable } from "./lib/props";
import { ResourceCheck, resourceRule, stackRule } from "./lib/rule";
import { engineOf, isSecondary, regionOf, UNKNOWN_REGION } from "./lib/topology";
import { TYPES } from "./lib/types";
import { versionAtLeast } from "./lib/versions";

function usesRbacEngine(props: Record<string, unknown>): { rbac: boolean; label: string } {
    const engine = engineOf(props);
    const version = known<string>(props, "engineVersion");
    const label = version ? `${engine} ${version}` : `${engine} (latest version)`;
    if (engine === "valkey" || version === undefined) {
        return { rbac: true, label };
    }
    // RBAC arrived in Redis OSS 6.0; an unparseable version is elasticache-engine-version's to report.
    return { rbac: versionAtLeast(version, "6.0") !== false, label };
}

/** A secondary declares no engine or version: the datastore's decide which kind of authentication applies. */
function skipSecondaryEngine<C>(c: ResourceCheck<C>): void {
    if (isSecondary(c.props)) {
        c.notApplicable(`"${c.subject.name}" joins a Global Datastore and runs the datastore's engine version, which decides the kind of ` +
            "authentication; elasticache-authentication still checks that it authenticates clients");
    }
}

/**
 * elasticache-authentication: clients must authenticate, with an RBAC user group or an AUTH token,
 * over TLS (AWS accepts neither without transit encryption). Secondaries inherit TLS from the
 * datastore, so only their own user group or token is checked.
 */
export const authentication = resourceRule({
    name: "elasticache-authentication",
    severity: "critical",
    summary: "ElastiCache replication groups must authenticate clients, with an RBAC user group or an AUTH token, over TLS",
    remediationSteps: "Set userGroupIds to an aws.elasticache.UserGroup whose \"default\" user is disabled (Valkey, Redis OSS 6+), or " +
        "authToken with authTokenUpdateStrategy (older Redis OSS), together with transitEncryptionEnabled: true.",
    types: [TYPES.replicationGroup],
    check: (c) => {
        const groups = presence(c.props, "userGroupIds") !== "absent";
        const token = presence(c.props, "authToken") !== "absent" || presence(c.props, "authTokenWo") !== "absent";
        if (!groups && !token) {
            c.report("authenticate clients", "sets neither userGroupIds nor an AUTH token, so any client that reaches the port can run commands",
                "create an RBAC user group (with the default user disabled) and set userGroupIds to it, or set authToken on Redis OSS before 6");
            return;
        }
        if (isSecondary(c.props)) {
            return; // TLS comes from the datastore's primary, which global-datastore-primary-compliant checks
        }
        const tls = judgeTransitEncryption(inputSettings(c.props));
        if (!tls.ok) {
            c.report("authenticate clients over TLS", `${tls.found}, so ${groups ? "user passwords" : "the AUTH token"} would cross the network in plain text ` +
                "(AWS refuses either without transit encryption)", "set transitEncryptionEnabled: true");
        }
    },
});

/**
 * elasticache-auth-token: a Redis OSS group before 6.0 (no RBAC there) must require an AUTH token.
 * Valkey, Redis OSS 6+ and an unset version (AWS's latest) are not applicable.
 */
export const authToken = resourceRule({
    name: "elasticache-auth-token",
    severity: "critical",
    summary: "ElastiCache replication groups on Redis OSS before 6.0, which has no RBAC, must require an AUTH token",
    remediationSteps: "Set authToken (16-128 characters, a secret) with authTokenUpdateStrategy and transitEncryptionEnabled: true, or " +
        "upgrade to Redis OSS 6+ or Valkey and use an RBAC user group.",
    types: [TYPES.replicationGroup],
    check: (c) => {
        skipSecondaryEngine(c);
        const { rbac, label } = usesRbacEngine(c.props);
        if (rbac) {
            c.notApplicable(`"${c.subject.name}" runs ${label}, which has RBAC; elasticache-rbac-user-group applies instead`);
        }
        if (presence(c.props, "authToken") === "absent" && presence(c.props, "authTokenWo") === "absent") {
            c.report("require an AUTH token", `runs ${label}, which has no RBAC, and sets no authToken`,
                "set authToken (16-128 characters, a secret) and authTokenUpdateStrategy, with transit encryption on");
        }
    },
});

export interface RbacUserGroupConfig {
    /** User group ids replication groups may use. Default: [] (any). */
    allowedUserGroupIds: string[];
}

/**
 * elasticache-rbac-user-group: Valkey and Redis OSS 6+ authenticate with an RBAC user group rather than a
 * shared AUTH token, from allowedUserGroupIds when set (default []: any group). Redis OSS before 6 is
 * not applicable.
 */
export const rbacUserGroup = resourceRule<RbacUserGroupConfig>({
    name: "elasticache-rbac-user-group",
    severity: "high",
    summary: "ElastiCache replication groups on Valkey or Redis OSS 6+ must authenticate clients with an RBAC user group, not only a shared AUTH token",
    remediationSteps: "Create an aws.elasticache.UserGroup with your users and a disabled \"default\" user, and set userGroupIds on the " +
        "replication group; migrate from an AUTH token with authTokenUpdateStrategy \"DELETE\" once clients use their users.",
    configSchema: {
        properties: {
            allowedUserGroupIds: stringListOption("User group ids replication groups may use. Default: [] (any group).", []),
        },
    },
    types: [TYPES.replicationGroup],
    check: (c) => {
        skipSecondaryEngine(c);
        const { rbac, label } = usesRbacEngine(c.props);
        if (!rbac) {
            c.notApplicable(`"${c.subject.name}" runs ${label}, which has no RBAC; elasticache-auth-token applies instead`);
        }
        const groups = presence(c.props, "userGroupIds");
        if (groups === "absent") {
            const token = presence(c.props, "authToken") !== "absent" || presence(c.props, "authTokenWo") !== "absent";
            c.report("authenticate clients with an RBAC user group",
                token ? `runs ${label}, which supports RBAC, but relies on a shared AUTH token` : `runs ${label} and sets no userGroupIds`,
                "create an RBAC user group (with the default user disabled) and set userGroupIds to it");
            return;
        }
        if (c.config.allowedUserGroupIds.length > 0) {
            const outside = knownList<string>(c.props, "userGroupIds").filter((id) => !c.config.allowedUserGroupIds.includes(id));
            if (outside.length > 0) {
                c.report("use an allowed user group", `uses user group ${outside.join(", ")}, not in allowedUserGroupIds (${c.config.allowedUserGroupIds.join(", ")})`,
                    "use an allowed user group, or add it to allowedUserGroupIds in the policy-pack config");
            }
        }
    },
});

/** The engine's built-in user: enabled, no password, every command. */
export const BUILT_IN_DEFAULT_USER_ID = "default";

/** Redis ACL: the last "on"/"off" token wins, and a user without one is off. */
export function accessStringEnables(accessString: string): boolean {
    const switches = accessString.trim().toLowerCase().split(/\s+/).filter((t) => t === "on" || t === "off");
    return switches[switches.length - 1] === "on";
}

function sameRegion(a: PolicyResource, b: PolicyResource): boolean {
    const ra = regionOf(a);
    const rb = regionOf(b);
    return ra === UNKNOWN_REGION || rb === UNKNOWN_REGION || ra === rb;
}

/** The users a group's userIds refer to, among the users this stack declares. */
function membersOf(group: PolicyResource, users: PolicyResource[]): { ids: string[]; declared: PolicyResource[] } {
    const list = read<unknown[]>(group.props, "userIds");
    const fedBy = (group.propertyDependencies?.userIds ?? []).filter((d) => d.type === TYPES.user);
    if (list.state === "absent") {
        return { ids: [], declared: [] };
    }
    if (list.state === "unknown") {
        if (fedBy.length === 0) {
            throw new Unverifiable(list.path);
        }
        return { ids: [], declared: fedBy };
    }
    const ids: string[] = [];
    let unknownElement: string | undefined;
    for (let i = 0; i < list.value.length; i++) {
        const id = read<string>(list.value as unknown as Record<string, unknown>, String(i));
        if (id.state === "known") {
            ids.push(id.value);
        } else if (id.state === "unknown") {
            unknownElement = id.path;
        }
    }
    if (unknownElement !== undefined && fedBy.length === 0) {
        throw new Unverifiable(unknownElement);
    }
    const declared = users.filter((u) => {
        const userId = read<string>(u.props, "userId");
        return userId.state === "known" && ids.includes(userId.value) && sameRegion(u, group);
    });
    return { ids, declared: [...new Set([...declared, ...fedBy])] };
}

/** Why a user declared in the stack lets unauthenticated clients in, or undefined when it does not. */
function enabledDefaultUser(user: PolicyResource): string | undefined {
    if (known<string>(user.props, "userName") !== "default") {
        return undefined;
    }
    const access = known<string>(user.props, "accessString") ?? "";
    return accessStringEnables(access) ? `user "${user.name}" (userName "default") with accessString "${access}", which leaves it enabled` : undefined;
}

/**
 * The user an association adds: its userId, or the users of the stack that feed it while it is
 * unknown. The built-in id "default" counts unless the stack declares a user with that id.
 */
function associatedUsers(association: PolicyResource, users: PolicyResource[]): { builtIn?: string; declared: PolicyResource[] } {
    const userId = read<string>(association.props, "userId");
    if (userId.state === "unknown") {
        const fedBy = (association.propertyDependencies?.userId ?? []).filter((d) => d.type === TYPES.user);
        if (fedBy.length === 0) {
            throw new Unverifiable(userId.path);
        }
        return { declared: fedBy };
    }
    if (userId.state === "absent") {
        return { declared: [] };
    }
    const declared = users.filter((u) => known<string>(u.props, "userId") === userId.value && sameRegion(u, association));
    return { builtIn: userId.value === BUILT_IN_DEFAULT_USER_ID && declared.length === 0 ? userId.value : undefined, declared };
}

const DISABLED_DEFAULT_FIX = "replace it with a user of userName \"default\" and accessString \"off -@all\"";

/**
 * elasticache-user-group-default-user: a user group must not let the "default" user in, whether it
 * lists it in userIds or an aws.elasticache.UserGroupAssociation adds it. It fails on the built-in
 * default user, or a user of this stack whose userName is "default" and whose access string leaves it
 * enabled. Users declared outside the stack cannot be seen and pass.
 */
export const userGroupDefaultUser = stackRule({
    name: "elasticache-user-group-default-user",
    severity: "critical",
    summary: "ElastiCache user groups must not contain an enabled \"default\" user, the one every unauthenticated connection runs as, " +
        "neither in userIds nor added by a UserGroupAssociation",
    remediationSteps: "Declare an aws.elasticache.User with userName \"default\", accessString \"off -@all\" and no password, put its userId " +
        "in the group instead of the built-in \"default\" id, give applications named users, and add no enabled default user through " +
        "aws.elasticache.UserGroupAssociation.",
    check: ({ resources, report, forEach }) => {
        const users = resources.filter((r) => r.type === TYPES.user);
        forEach(resources.filter((r) => r.type === TYPES.userGroup), (group) => {
            const { ids, declared } = membersOf(group, users);
            const declaresBuiltIn = users.some((u) => known<string>(u.props, "userId") === BUILT_IN_DEFAULT_USER_ID);
            if (ids.includes(BUILT_IN_DEFAULT_USER_ID) && !declaresBuiltIn) {
                report(group, "not contain an enabled \"default\" user",
                    `lists the built-in user "${BUILT_IN_DEFAULT_USER_ID}", which is enabled with no password and every command`, DISABLED_DEFAULT_FIX);
            }
            for (const problem of declared.map(enabledDefaultUser).filter((p) => p !== undefined)) {
                report(group, "not contain an enabled \"default\" user", `contains ${problem}`, "set that user's accessString to \"off -@all\"");
            }
        });
        forEach(resources.filter((r) => r.type === TYPES.userGroupAssociation), (association) => {
            const { builtIn, declared } = associatedUsers(association, users);
            // The group matters only for the message: an enabled default user is wrong in any group.
            const target = read<string>(association.props, "userGroupId");
            const toGroup = target.state === "known" ? `to user group ${target.value}` : "to its user group";
            if (builtIn !== undefined) {
                report(association, "not add an enabled \"default\" user",
                    `adds the built-in user "${builtIn}" ${toGroup}, which lets every client in with no password and every command`, DISABLED_DEFAULT_FIX);
            }
            for (const problem of declared.map(enabledDefaultUser).filter((p) => p !== undefined)) {
                report(association, "not add an enabled \"default\" user", `adds ${problem}, ${toGroup}`,
                    "set that user's accessString to \"off -@all\", or associate a named user instead");
            }
        });
    },
});
