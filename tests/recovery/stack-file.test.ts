import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../offline/run";
import { readStackConfig } from "../../recovery/lib/stack-config";
import { BackendUnreachableError, PulumiCliMissingError } from "../../recovery/lib/stack-driver";
import { NoStackSourceError, StackFileDriver, stackUnavailability } from "../../recovery/lib/stack-file";
import { FakeStackDriver } from "./fake/stack-driver";

const backendDown = new BackendUnreachableError("prod", "select", "error: problem logging in: dial tcp: i/o timeout");

describe("recovery/lib/stack-file: the stack's configuration when the stack cannot be opened", function () {
    this.timeout(60_000);

    it("reads Pulumi.<stack>.yaml and validates it as the program does, like the stack's own configuration", async () => {
        const fromFile = await readStackConfig(StackFileDriver.open("prod", PROJECT_DIR, backendDown));
        const fromStack = await readStackConfig(await FakeStackDriver.create("prod"));
        assert.equal(fromFile.config.primaryRegion, "us-east-1");
        assert.deepEqual(fromFile.config.secondaryRegions, ["us-west-2", "eu-west-1"]);
        assert.deepEqual(fromFile.config, fromStack.config);
    });

    it("never holds a secret value: secrets are flagged and stand in as placeholders", async () => {
        const driver = StackFileDriver.open("prod", PROJECT_DIR, backendDown);
        const config = await driver.getConfig();
        const passwords = config["elasticache-global:userPasswords"];
        assert.equal(passwords.secret, true);
        assert.match(passwords.value, /offline-placeholder-for-/);
        assert.deepEqual(driver.secretKeys, ["elasticache-global:userPasswords"]);
    });

    it("reads the file of the last segment of a fully qualified stack name", async () => {
        const driver = StackFileDriver.open("acme/elasticache-global/staging", PROJECT_DIR, backendDown);
        assert.equal(driver.stackName, "acme/elasticache-global/staging");
        assert.match(driver.file, /Pulumi\.staging\.yaml$/);
        assert.equal((await readStackConfig(driver)).config.stack, "staging");
    });

    it("fails every other operation with the reason the stack could not be opened", async () => {
        const cliMissing = new PulumiCliMissingError("prod", "select", "Command failed with ENOENT: pulumi version");
        const driver = StackFileDriver.open("prod", PROJECT_DIR, cliMissing);
        for (const call of [() => driver.setConfigs(), () => driver.refresh(), () => driver.preview(), () => driver.up(), () => driver.outputs()]) {
            await assert.rejects(call(), (e: unknown) => e === cliMissing);
        }
        assert.equal(stackUnavailability(driver), cliMissing);
        assert.equal(stackUnavailability(await FakeStackDriver.create("prod")), undefined, "a real stack is available");
    });

    it("refuses a stack file that is not valid YAML, naming the file and the line, and why the stack itself did not open", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  elasticache-global:primaryRegion: us-east-1\n\telasticache-global:shards: 3\n");
            assert.throws(() => StackFileDriver.open("prod", dir, backendDown), (e: unknown) => e instanceof NoStackSourceError &&
                e.message.includes(`${path.join(dir, "Pulumi.prod.yaml")} is not valid YAML: line 3, column 1: `) &&
                /Nothing was changed\. Why the stack cannot be opened: the state backend of stack prod is unreachable/.test(e.message));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses an unknown stack, listing the stack files there are and why the stack itself did not open", () => {
        // A directory of its own: the list is whatever stack files a project holds, a user's own included.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
        try {
            for (const file of ["Pulumi.yaml", "Pulumi.blue.yaml", "Pulumi.green.yaml", "notes.yaml"]) {
                fs.writeFileSync(path.join(dir, file), "config: {}\n");
            }
            assert.throws(() => StackFileDriver.open("prdo", dir, backendDown), (e: unknown) => e instanceof NoStackSourceError &&
                /^stack prdo cannot be opened and has no configuration file to fall back on: unknown stack "prdo": there is no Pulumi\.prdo\.yaml\. Stacks in this project: blue, green\. Check --stack/.test(e.message) &&
                /state backend of stack prod is unreachable/.test(e.message));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
