import * as assert from "node:assert/strict";
import { UsageError, commandHelp, flagName, parseFlags, programHelp, rerunWithYes } from "../../../recovery/lib/flags";
import { REJOIN_SPEC, RETARGET_SPEC } from "../../../recovery/commands/specs";

function usageError(argv: string[]): UsageError {
    try {
        parseFlags(RETARGET_SPEC, argv);
    } catch (e) {
        assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
        return e;
    }
    assert.fail(`expected ${argv.join(" ")} to be rejected`);
}

const REQUIRED = ["--stack", "prod", "--to", "us-west-2"];

describe("recovery flags", () => {
    it("derives kebab-case flag names from keys", () => {
        assert.equal(flagName("maxLagSeconds"), "--max-lag-seconds");
        assert.equal(flagName("to"), "--to");
    });

    it("applies the documented defaults", () => {
        const { values, help } = parseFlags(RETARGET_SPEC, REQUIRED);
        assert.equal(help, false);
        assert.deepEqual(values, {
            stack: "prod", to: "us-west-2", mode: "planned", maxLagSeconds: 5, force: false, detach: false, reconcileOnly: false,
            promotionTimeout: 180_000, waitTimeout: 1_200_000, dryRun: false, yes: false, json: false, debug: false,
        });
    });

    it("parses both --flag value and --flag=value, durations with units and switches", () => {
        const { values } = parseFlags(RETARGET_SPEC, [...REQUIRED, "--mode=outage", "--max-lag-seconds", "0.5", "--promotion-timeout", "90s",
            "--wait-timeout=1h", "--force", "--yes", "--json"]);
        assert.equal(values.mode, "outage");
        assert.equal(values.maxLagSeconds, 0.5);
        assert.equal(values.promotionTimeout, 90_000);
        assert.equal(values.waitTimeout, 3_600_000);
        assert.equal(values.force && values.yes && values.json, true);
    });

    it("rejects an unknown flag, naming it and listing the accepted ones", () => {
        const e = usageError([...REQUIRED, "--regoin", "x"]);
        assert.match(e.message, /unknown flag --regoin/);
        assert.match(e.message, /--max-lag-seconds/);
        assert.equal(e.exitCode, 2);
    });

    it("rejects a bad choice with the value and the choices", () => {
        assert.match(usageError([...REQUIRED, "--mode", "panic"]).message, /--mode "panic" is not valid\. Accepted: one of planned, outage, adopt/);
    });

    it("rejects a number out of range or not a number", () => {
        assert.match(usageError([...REQUIRED, "--max-lag-seconds", "-1"]).message, /--max-lag-seconds "-1".*a number from 0 to 86400/);
        assert.match(usageError([...REQUIRED, "--max-lag-seconds", "five"]).message, /"five"/);
    });

    it("rejects a duration without a known unit or out of range", () => {
        assert.match(usageError([...REQUIRED, "--promotion-timeout", "3 days"]).message, /--promotion-timeout "3 days".*such as 90s, 3m or 1h/);
        assert.match(usageError([...REQUIRED, "--promotion-timeout", "1s"]).message, /from 10s to 1h/);
    });

    it("rejects a missing required flag, a missing value, a repeated flag, a value on a switch and a positional argument", () => {
        assert.match(usageError(["--stack", "prod"]).message, /--to is required/);
        assert.match(usageError(["--stack", "prod", "--to"]).message, /--to needs a value/);
        assert.match(usageError([...REQUIRED, "--to", "eu-west-1"]).message, /--to is given twice/);
        assert.match(usageError([...REQUIRED, "--yes=no"]).message, /--yes "no" is not valid\. Accepted: no value/);
        assert.match(usageError([...REQUIRED, "us-west-2"]).message, /unexpected argument "us-west-2"/);
    });

    it("names every missing required flag at once, and every other problem in the same message", () => {
        const missing = usageError([]).message;
        assert.match(missing, /^2 problems with the flags of retarget-primary:/);
        assert.match(missing, /--stack is required\. Accepted: the name of an existing Pulumi stack/);
        assert.match(missing, /--to is required\. Accepted: the region to make primary/);
        const mixed = usageError(["--stack", "prod", "--mode", "panic", "--regoin", "x", "--wait-timeout", "--yes"]).message;
        for (const problem of [/--to is required/, /--mode "panic" is not valid/, /unknown flag --regoin/, /--wait-timeout needs a value/]) {
            assert.match(mixed, problem);
        }
        assert.doesNotMatch(mixed, /unexpected argument "x"/, "the word after an unknown flag is taken as its value, not reported again");
        assert.match(mixed, /^4 problems with the flags of retarget-primary:/, "the switch after a flag that lacks its value is read as a switch");
    });

    it("reads a switch that follows a flag lacking its value as a switch", () => {
        assert.match(usageError(["--stack", "prod", "--to", "--yes"]).message, /^--to needs a value\./);
    });

    it("--help needs no required flag", () => {
        assert.equal(parseFlags(RETARGET_SPEC, ["--help"]).help, true);
    });

    it("prints every declared flag with its default in the help", () => {
        const help = commandHelp(RETARGET_SPEC, "recover");
        for (const spec of RETARGET_SPEC.flags) {
            assert.ok(help.includes(flagName(spec.key)), `help lacks ${flagName(spec.key)}`);
        }
        assert.match(help, /--max-lag-seconds <n> +.*\(default: 5 seconds\)/);
        assert.match(help, /--promotion-timeout <duration> +.*\(default: 3m\)/);
        assert.match(help, /--mode <planned\|outage\|adopt>/);
        assert.match(programHelp([RETARGET_SPEC, REJOIN_SPEC], "recover"), /rejoin +After an outage/);
    });

    it("prints the rerun command with every word quoted for the shell, without --dry-run", () => {
        assert.equal(rerunWithYes("npm run recovery --", "snapshot", ["--stack", "prod", "--reason", "before the 8.1 upgrade's rollout", "--dry-run"]),
            "npm run recovery -- snapshot --stack prod --reason 'before the 8.1 upgrade'\\''s rollout' --yes");
    });
});
