import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PROJECT_DIR } from "../../offline/run";

const run = promisify(execFile);

/**
 * What the recovery CLI loads, seen from a fresh Node.js process (this one has loaded everything
 * already). The script prints, as JSON, the packages loaded after --help and usage errors, then the
 * packages each command's own module adds when it is loaded, lightest first, and last what opening the
 * stack loads with and without a `pulumi` on PATH.
 */
const PROBE = `
const path = require("node:path");
const marker = "node_modules" + path.sep;
function loaded() {
    const names = new Set();
    for (const file of Object.keys(require.cache)) {
        const at = file.lastIndexOf(marker);
        if (at < 0) continue;
        const parts = file.slice(at + marker.length).split(path.sep);
        names.add(parts[0].startsWith("@") ? parts[0] + "/" + parts[1] : parts[0]);
    }
    return [...names].sort();
}
(async () => {
    const cli = require("./recovery/cli");
    const sink = { write: () => true };
    const out = { stdout: sink, stderr: sink };
    const noContext = () => { throw new Error("the command context was built"); };
    const codes = { "--help": await cli.main(["--help"], noContext, out) };
    for (const c of cli.COMMANDS) {
        codes[c.spec.name + " --help"] = await cli.main([c.spec.name, "--help"], noContext, out);
    }
    codes["bad flag"] = await cli.main(["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "yolo"], noContext, out);
    const result = { codes, help: loaded(), commands: {} };
    for (const name of JSON.parse(process.argv[1])) {
        const before = new Set(loaded());
        await cli.COMMANDS.find((c) => c.spec.name === name).load();
        result.commands[name] = loaded().filter((p) => !before.has(p));
    }
    // Opening the stack: without a pulumi on PATH, then with one (a stand-in that fails).
    const fs = require("node:fs"), os = require("node:os");
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
    const open = async () => {
        try {
            await cli.defaultContext().openStack("prod");
            return { outcome: "opened", pulumiLoaded: loaded().includes("@pulumi/pulumi") };
        } catch (e) {
            return { outcome: e.name, pulumiLoaded: loaded().includes("@pulumi/pulumi") };
        }
    };
    process.env.PATH = bin;
    result.withoutCli = await open();
    fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\\nexit 1\\n", { mode: 0o755 });
    result.withCli = await open();
    fs.rmSync(bin, { recursive: true, force: true });
    process.stdout.write(JSON.stringify(result));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

/** Heavy packages, each needed by only some commands. */
const AUTOMATION = "@pulumi/pulumi";
const DATA_PLANE = "ioredis";
const CHARTS = "echarts";
const HEAVY = [AUTOMATION, DATA_PLANE, CHARTS, "@aws-sdk/client-elasticache", "@aws-sdk/client-cloudwatch", "@aws-sdk/client-ssm", "yaml"];

/** Commands that neither talk to the cache nor draw charts, then the ones that do. */
const CONTROL_PLANE_ONLY = ["retarget-primary", "rejoin", "snapshot", "retire-generation"];
const ORDER = [...CONTROL_PLANE_ONLY, "restore-from-snapshot", "backup-drill", "failover-shard", "drill"];

interface Probe {
    codes: Record<string, number>;
    help: string[];
    commands: Record<string, string[]>;
    withoutCli: { outcome: string; pulumiLoaded: boolean };
    withCli: { outcome: string; pulumiLoaded: boolean };
}

describe("recovery CLI: loads what a command needs, when it runs", function () {
    this.timeout(120_000);
    let probe: Probe;

    before(async () => {
        const { stdout } = await run(process.execPath, ["-r", "./scripts/transpile.js", "-e", PROBE, JSON.stringify(ORDER)],
            { cwd: PROJECT_DIR, maxBuffer: 1 << 20 });
        probe = JSON.parse(stdout) as Probe;
    });

    it("answers --help, every command's --help and a bad flag without loading the SDK, Pulumi, the data plane or the charts", () => {
        assert.equal(Object.keys(probe.codes).length, ORDER.length + 2, "every command was asked");
        for (const [what, code] of Object.entries(probe.codes)) {
            assert.equal(code, what === "bad flag" ? 2 : 0, what);
        }
        assert.deepEqual(probe.help.filter((p) => HEAVY.includes(p)), []);
    });

    it("loads neither Pulumi nor the data plane nor the charts for the control-plane commands; they load the SDK", () => {
        for (const name of CONTROL_PLANE_ONLY) {
            const heavy = probe.commands[name].filter((p) => [AUTOMATION, DATA_PLANE, CHARTS].includes(p));
            assert.deepEqual(heavy, [], `${name} loads ${heavy.join(", ")}`);
        }
        assert.ok(probe.commands["retarget-primary"].includes("@aws-sdk/client-elasticache"), "the probe sees what a command loads");
    });

    it("opens the stack without loading the Automation API when there is no Pulumi CLI to run: the stack file takes over at once", () => {
        assert.deepEqual(probe.withoutCli, { outcome: "PulumiCliMissingError", pulumiLoaded: false });
        assert.equal(probe.withCli.pulumiLoaded, true, "with a pulumi on PATH the Automation API is asked");
        assert.notEqual(probe.withCli.outcome, "PulumiCliMissingError");
    });

    it("loads the data plane and the charts with the drill, which uses both", () => {
        const all = new Set(Object.values(probe.commands).flat());
        assert.ok(all.has(DATA_PLANE) && all.has(CHARTS), `loaded: ${[...all].join(", ")}`);
        assert.ok(!CONTROL_PLANE_ONLY.some((name) => probe.commands[name].includes(CHARTS)));
    });
});
