import * as assert from "node:assert/strict";
import { AwsCallError } from "../../recovery/lib/errors";

const denied = (operation: string) => new AwsCallError({ region: "us-west-2", service: "elasticache", operation },
    Object.assign(new Error("User is not authorized to perform this action"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));

describe("recovery/lib/errors: access denied names the credentials that should have had the action", () => {
    it("an action the recovery role grants: the outage promotion assumes the role, everything that runs pulumi up uses the deployment's credentials", () => {
        const error = denied("FailoverGlobalReplicationGroup");
        assert.equal(error.kind, "access-denied");
        assert.match(error.message, /^FailoverGlobalReplicationGroup in us-west-2 was denied \(AccessDenied: User is not authorized to perform this action\): the credentials lack elasticache:FailoverGlobalReplicationGroup\./);
        assert.match(error.message, /retarget-primary --mode outage and failover-shard run under the stack's recovery role \(stack output recoveryRoleArn\)/);
        assert.match(error.message, /Planned and adopt runs, --reconcile-only, rejoin, restore-from-snapshot, retire-generation and backup-drill run pulumi up, which the role cannot, so they run with the credentials you deploy this stack with: grant elasticache:FailoverGlobalReplicationGroup to those\.$/);
        assert.doesNotMatch(error.message, /rejoin\), assume/, "rejoin cannot run under the role");
    });

    it("an action only rejoin calls: never sends anyone to the recovery role, which does not have it", () => {
        for (const operation of ["DeleteReplicationGroup", "DeleteGlobalReplicationGroup"]) {
            const message = denied(operation).message;
            assert.match(message, new RegExp(`the credentials lack elasticache:${operation}\\. The commands that call it \\(rejoin, snapshot, retire-generation\\) run with the credentials you deploy this stack with; the recovery role does not have this action on purpose`));
            assert.doesNotMatch(message, /assume it/);
        }
    });
});
