import * as assert from "node:assert/strict";
import { AwsCallError } from "../../recovery/lib/errors";

const denied = (operation: string) => new AwsCallError({ region: "us-west-2", service: "elasticache", operation },
    Object.assign(new Error("User is not authorized to perform this action"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));

describe("recovery/lib/errors: access denied", () => {
    it("sends the promotion to the recovery role and the reconcile to the deployment's credentials", () => {
        const error = denied("FailoverGlobalReplicationGroup");
        assert.equal(error.kind, "access-denied");
        assert.match(error.message, /^FailoverGlobalReplicationGroup in us-west-2 was denied \(AccessDenied: User is not authorized to perform this action\): the credentials lack elasticache:FailoverGlobalReplicationGroup\./);
        assert.match(error.message, /For the promotion \(retarget-primary, rejoin\), assume the stack's recovery role \(stack output recoveryRoleArn\)/);
        assert.match(error.message, /The recovery role cannot run the stack reconcile \(Pulumi refresh and up need the deployment's credentials\)/);
        assert.match(error.message, /run retarget-primary --reconcile-only with the credentials you deploy this stack with\.$/);
    });
});
