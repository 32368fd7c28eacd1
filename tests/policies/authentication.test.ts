import * as assert from "node:assert/strict";
import { accessStringEnables, authentication, authToken, rbacUserGroup, userGroupDefaultUser } from "../../policies/authentication";
import { TYPES } from "../../policies/lib/types";
import { checkResource, checkStack, StackInput, UNKNOWN, urnOf } from "./helpers";
import { changeResource, compliantPrimary, compliantRedisPrimary, compliantSecondary, usersOf } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });

describe("policies/authentication", () => {
    describe("elasticache-authentication", () => {
        it("passes a Valkey primary with an RBAC user group over TLS", async () => {
            assert.deepEqual((await checkResource(authentication, group(compliantPrimary()))).violations, []);
        });

        it("fails a primary without userGroupIds or token", async () => {
            const { violations } = await checkResource(authentication, group(compliantPrimary({ userGroupIds: undefined })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /^ElastiCache replication group must authenticate clients: .* sets neither userGroupIds nor an AUTH token/);
        });

        it("accepts either kind of authentication, whatever the engine version (a token, a write-only token, a user group)", async () => {
            const token = compliantRedisPrimary({ userGroupIds: undefined, authToken: "0123456789abcdef" });
            const writeOnly = compliantRedisPrimary({ engineVersion: "5.0.6", userGroupIds: undefined, authTokenWo: "0123456789abcdef" });
            assert.deepEqual((await checkResource(authentication, group(token))).violations, []);
            assert.deepEqual((await checkResource(authentication, group(writeOnly))).violations, []);
        });

        it("fails authentication without TLS, which AWS would refuse and which sends credentials in plain text", async () => {
            const { violations } = await checkResource(authentication, group(compliantPrimary({ transitEncryptionEnabled: false })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /must authenticate clients over TLS: .* sets transitEncryptionEnabled: false, so user passwords would cross the network in plain text/);
        });

        it("counts userGroupIds unknown during preview as set", async () => {
            const outcome = await checkResource(authentication, group(compliantPrimary({ userGroupIds: UNKNOWN })));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.cannotRun, undefined);
        });

        it("passes a secondary with a user group (it inherits TLS and cannot name its engine)", async () => {
            assert.deepEqual((await checkResource(authentication, group(compliantSecondary()))).violations, []);
        });

        it("fails a secondary with neither user group nor token", async () => {
            const { violations } = await checkResource(authentication, group(compliantSecondary(undefined, { userGroupIds: undefined })));
            assert.match(violations.join("\n"), /sets neither userGroupIds nor an AUTH token/);
        });
    });

    describe("elasticache-auth-token", () => {
        it("accepts an AUTH token, or a write-only one (authTokenWo), on Redis OSS before 6.0", async () => {
            const token = compliantRedisPrimary({ engineVersion: "5.0.6", userGroupIds: undefined, authToken: "0123456789abcdef" });
            const writeOnly = compliantRedisPrimary({ engineVersion: "5.0.6", userGroupIds: undefined, authTokenWo: "0123456789abcdef" });
            assert.deepEqual((await checkResource(authToken, group(token))).violations, []);
            assert.deepEqual((await checkResource(authToken, group(writeOnly))).violations, []);
        });

        it("fails Redis OSS before 6.0 without a token", async () => {
            const { violations } = await checkResource(authToken, group(compliantRedisPrimary({ engineVersion: "5.0.6", userGroupIds: undefined })));
            assert.match(violations.join("\n"), /must require an AUTH token: .* runs redis 5\.0\.6, which has no RBAC, and sets no authToken/);
        });

        it("is not applicable to engines with RBAC: Valkey, Redis OSS 6+, and an unset version (the latest)", async () => {
            for (const props of [compliantPrimary({ userGroupIds: undefined }), compliantRedisPrimary({ userGroupIds: undefined }), compliantRedisPrimary({ engineVersion: undefined, userGroupIds: undefined })]) {
                const outcome = await checkResource(authToken, group(props));
                assert.deepEqual(outcome.violations, []);
                assert.match(outcome.notApplicable ?? "", /which has RBAC; elasticache-rbac-user-group applies instead/);
            }
        });

        it("is not applicable to a secondary, whose engine version is the datastore's", async () => {
            const outcome = await checkResource(authToken, group(compliantSecondary(undefined, { userGroupIds: undefined })));
            assert.match(outcome.notApplicable ?? "", /runs the datastore's engine version/);
        });
    });

    describe("elasticache-rbac-user-group", () => {
        it("passes a Valkey primary with an RBAC user group", async () => {
            assert.deepEqual((await checkResource(rbacUserGroup, group(compliantPrimary()))).violations, []);
        });

        it("fails a Valkey primary without userGroupIds", async () => {
            const { violations } = await checkResource(rbacUserGroup, group(compliantPrimary({ userGroupIds: undefined })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /^ElastiCache replication group must authenticate clients with an RBAC user group: .* runs valkey 8\.0 and sets no userGroupIds/);
        });

        it("fails Redis OSS 6+ that relies on an AUTH token instead of RBAC", async () => {
            const { violations } = await checkResource(rbacUserGroup, group(compliantRedisPrimary({ userGroupIds: undefined, authToken: "0123456789abcdef" })));
            assert.match(violations.join("\n"), /runs redis 7\.1, which supports RBAC, but relies on a shared AUTH token/);
        });

        it("treats an unset engineVersion as the latest, which supports RBAC", async () => {
            const { violations } = await checkResource(rbacUserGroup, group(compliantRedisPrimary({ engineVersion: undefined, userGroupIds: undefined, authToken: "0123456789abcdef" })));
            assert.match(violations.join("\n"), /redis \(latest version\), which supports RBAC/);
        });

        it("is not applicable to Redis OSS before 6.0, which has no RBAC", async () => {
            const outcome = await checkResource(rbacUserGroup, group(compliantRedisPrimary({ engineVersion: "5.0.6", userGroupIds: undefined, authToken: "0123456789abcdef" })));
            assert.match(outcome.notApplicable ?? "", /which has no RBAC; elasticache-auth-token applies instead/);
        });

        it("counts userGroupIds unknown during preview as set", async () => {
            const outcome = await checkResource(rbacUserGroup, group(compliantPrimary({ userGroupIds: UNKNOWN })));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.cannotRun, undefined);
        });

        it("checks userGroupIds against allowedUserGroupIds", async () => {
            assert.deepEqual((await checkResource(rbacUserGroup, group(compliantPrimary()), { allowedUserGroupIds: ["prod-users"] })).violations, []);
            const other = await checkResource(rbacUserGroup, group(compliantPrimary()), { allowedUserGroupIds: ["other"] });
            assert.match(other.violations.join("\n"), /uses user group prod-users, not in allowedUserGroupIds \(other\)/);
        });

        it("reports 'could not verify' when the allow-list meets unknown userGroupIds", async () => {
            const { violations } = await checkResource(rbacUserGroup, group(compliantPrimary({ userGroupIds: [UNKNOWN] })), { allowedUserGroupIds: ["prod-users"] });
            assert.match(violations.join("\n"), /^could not verify elasticache-rbac-user-group .*userGroupIds\.0 is unknown during preview/);
        });
    });

    describe("accessStringEnables", () => {
        it("follows the last on/off switch, off when there is none", () => {
            assert.equal(accessStringEnables("off -@all"), false);
            assert.equal(accessStringEnables("on ~* +@all"), true);
            assert.equal(accessStringEnables("off ~* +@all on"), true);
            assert.equal(accessStringEnables("on ~* off"), false);
            assert.equal(accessStringEnables("~* +@all"), false);
        });
    });

    describe("elasticache-user-group-default-user", () => {
        const region = "us-east-1";
        const compliant = (): StackInput[] => usersOf(region);

        it("passes a group whose default user is disabled", async () => {
            assert.deepEqual((await checkStack(userGroupDefaultUser, compliant())).violations, []);
        });

        it("fails a group whose declared default user is enabled, reporting on the group", async () => {
            const stack = changeResource(compliant(), `users-${region}-default-disabled`, { accessString: "on nopass ~* +@all" });
            const outcome = await checkStack(userGroupDefaultUser, stack);
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /^ElastiCache user group must not contain an enabled "default" user: "users-us-east-1" in us-east-1 contains user "users-us-east-1-default-disabled" \(userName "default"\) with accessString "on nopass ~\* \+@all"/);
            assert.equal(outcome.urns[0], urnOf(TYPES.userGroup, `users-${region}`));
        });

        it("fails a group that lists the engine's built-in default user", async () => {
            const stack = changeResource(compliant(), `users-${region}`, { userIds: ["default", "prod-app"] });
            const { violations } = await checkStack(userGroupDefaultUser, stack);
            assert.match(violations.join("\n"), /lists the built-in user "default"/);
        });

        it("ignores an enabled default user in another region that the group does not use", async () => {
            const stack = [
                ...compliant(),
                { type: TYPES.user, name: "elsewhere-default", props: { region: "eu-west-1", userId: "prod-default-disabled", userName: "default", accessString: "on ~* +@all" } },
            ];
            assert.deepEqual((await checkStack(userGroupDefaultUser, stack)).violations, []);
        });

        it("follows property dependencies when userIds are unknown during preview", async () => {
            const stack = changeResource(compliant(), `users-${region}-default-disabled`, { accessString: "on ~* +@all" });
            const unknownIds = changeResource(stack, `users-${region}`, { userIds: UNKNOWN },
                { feeds: { userIds: [`users-${region}-default-disabled`, `users-${region}-app`] } });
            const { violations } = await checkStack(userGroupDefaultUser, unknownIds);
            assert.match(violations.join("\n"), /contains user "users-us-east-1-default-disabled"/);
        });

        it("follows property dependencies when one user id is unknown during preview", async () => {
            const stack = changeResource(compliant(), `users-${region}-default-disabled`, { accessString: "on ~* +@all" });
            const oneUnknown = changeResource(stack, `users-${region}`, { userIds: [UNKNOWN, "prod-app"] },
                { feeds: { userIds: [`users-${region}-default-disabled`] } });
            const outcome = await checkStack(userGroupDefaultUser, oneUnknown);
            assert.equal(outcome.cannotRun, undefined);
            assert.match(outcome.violations.join("\n"), /contains user "users-us-east-1-default-disabled"/);
        });

        describe("members added by aws.elasticache.UserGroupAssociation", () => {
            const association = (userId: unknown, name = "extra-member"): StackInput =>
                ({ type: TYPES.userGroupAssociation, name, props: { region, userGroupId: "prod-users", userId } });

            it("fails an association that adds the built-in default user, on the association", async () => {
                const outcome = await checkStack(userGroupDefaultUser, [...compliant(), association("default")]);
                assert.equal(outcome.violations.length, 1);
                assert.match(outcome.violations[0], /^ElastiCache user group association must not add an enabled "default" user: "extra-member" in us-east-1 adds the built-in user "default" to user group prod-users/);
                assert.deepEqual(outcome.urns, [urnOf(TYPES.userGroupAssociation, "extra-member")]);
            });

            it("fails an association that adds a declared, enabled user named default", async () => {
                const enabled = { type: TYPES.user, name: "default-enabled", props: { region, engine: "valkey", userId: "prod-default-on", userName: "default", accessString: "on ~* +@all" } };
                const { violations } = await checkStack(userGroupDefaultUser, [...compliant(), enabled, association("prod-default-on")]);
                assert.match(violations.join("\n"), /"extra-member" in us-east-1 adds user "default-enabled" \(userName "default"\) with accessString "on ~\* \+@all"/);
            });

            it("passes associations that add a disabled default user or a named user", async () => {
                const stack = [...compliant(), association("prod-default-disabled", "a1"), association("prod-app", "a2")];
                assert.deepEqual((await checkStack(userGroupDefaultUser, stack)).violations, []);
            });

            it("follows property dependencies when the association's userId is unknown", async () => {
                const enabled = changeResource(compliant(), `users-${region}-default-disabled`, { accessString: "on ~* +@all" });
                const fed = { ...association(UNKNOWN), feeds: { userId: [`users-${region}-default-disabled`] } };
                assert.match((await checkStack(userGroupDefaultUser, [...enabled, fed])).violations.join("\n"), /adds user "users-us-east-1-default-disabled"/);
            });

            it("reports 'could not verify' when the association's userId is unknown and nothing in the stack feeds it", async () => {
                const outcome = await checkStack(userGroupDefaultUser, [...compliant(), association(UNKNOWN)]);
                assert.match(outcome.violations.join("\n"), /^could not verify elasticache-user-group-default-user on ElastiCache user group association "extra-member" in us-east-1: userId is unknown/);
            });
        });

        it("reports 'could not verify' when userIds are unknown and nothing in the stack feeds them", async () => {
            const stack = changeResource(compliant(), `users-${region}`, { userIds: UNKNOWN });
            const outcome = await checkStack(userGroupDefaultUser, stack);
            assert.equal(outcome.cannotRun, undefined);
            assert.match(outcome.violations.join("\n"), /^could not verify elasticache-user-group-default-user on ElastiCache user group "users-us-east-1" in us-east-1: userIds is unknown during preview/);
        });
    });
});
