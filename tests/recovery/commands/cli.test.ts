import * as assert from "node:assert/strict";
import { COMMANDS, main } from "../../../recovery/cli";
import { CommandContext } from "../../../recovery/commands/context";
import { flagName } from "../../../recovery/lib/flags";
import { Captured } from "./harness";

/** --help and usage errors must not build the real context (credentials, workspaces): this one fails the test if built. */
const untouchable = (): CommandContext => assert.fail("the command context was built for --help or a usage error");

async function run(...argv: string[]) {
    const out = { stdout: new Captured(), stderr: new Captured() };
    const code = await main(argv, untouchable, out);
    return { code, stdout: out.stdout.text, stderr: out.stderr.text };
}

describe("recovery CLI entry", () => {
    it("--help lists the commands and exits 0", async () => {
        const { code, stdout } = await run("--help");
        assert.equal(code, 0);
        for (const c of COMMANDS) {
            assert.match(stdout, new RegExp(`^  ${c.spec.name} `, "m"));
        }
    });

    it("<command> --help prints every flag of the command and exits 0", async () => {
        const { code, stdout } = await run("retarget-primary", "--help");
        assert.equal(code, 0);
        const spec = COMMANDS.find((c) => c.spec.name === "retarget-primary")!.spec;
        for (const f of spec.flags) {
            assert.ok(stdout.includes(flagName(f.key)), `help lacks ${flagName(f.key)}`);
        }
    });

    it("<command> --help lists the exit codes; retarget-primary's include 3 for a promotion whose reconcile was deferred", async () => {
        const retarget = (await run("retarget-primary", "--help")).stdout;
        assert.match(retarget, /^Exit codes:\n  0  done.*\n  1  refused or failed.*\n  2  bad flags.*\n  3  partial: the new primary accepts writes, but the stack was not reconciled.*--reconcile-only/m);
        const rejoin = (await run("rejoin", "--help")).stdout;
        assert.match(rejoin, /^Exit codes:\n  0 .*\n  1 .*\n  2 /m);
        assert.doesNotMatch(rejoin, /^  3 /m, "rejoin never ends partial: without the stack it refuses");
    });

    it("a bad flag exits 2 with a message naming the flag, the value and what is accepted", async () => {
        const { code, stderr } = await run("retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "yolo");
        assert.equal(code, 2);
        assert.match(stderr, /--mode "yolo" is not valid\. Accepted: one of planned, outage, adopt/);
        assert.match(stderr, /retarget-primary --help/);
    });

    it("every missing required flag is named at once: failover-shard --stack prod lacks --region and --shard", async () => {
        const { code, stderr } = await run("failover-shard", "--stack", "prod");
        assert.equal(code, 2);
        assert.match(stderr, /--region is required\. Accepted: a region of the stack/);
        assert.match(stderr, /--shard is required\. Accepted: a node group id of four digits/);
    });

    it("an unknown flag exits 2", async () => {
        const { code, stderr } = await run("rejoin", "--stack", "prod", "--force");
        assert.equal(code, 2);
        assert.match(stderr, /unknown flag --force for rejoin\. Accepted: --stack, --wait-timeout/);
    });

    it("an unknown command exits 2 and lists the commands; no command prints the usage and exits 2", async () => {
        const unknown = await run("failover");
        assert.equal(unknown.code, 2);
        assert.match(unknown.stderr, /unknown command "failover"\. Accepted: retarget-primary, rejoin/);
        const none = await run();
        assert.equal(none.code, 2);
        assert.match(none.stderr, /Usage:/);
    });
});
