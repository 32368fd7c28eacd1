/**
 * Test-only: a parent for a policy pack's process. Starts the pack in the directory given as the only
 * argument, prints "pack <pid>" once it listens, and then stays alive until it is signalled or killed,
 * so a test can end it the way a user or a CI runner would and look at what is left.
 */
import { PolicyPackProcess } from "../../offline/policy/host";

async function main(): Promise<void> {
    const [packDir] = process.argv.slice(2);
    if (!packDir) {
        throw new Error("usage: hold-pack <pack-dir>");
    }
    const pack = await PolicyPackProcess.start(packDir);
    process.stdout.write(`pack ${pack.pid}\n`);
    // Stay alive without depending on the pack's handles: only a signal ends this process.
    setInterval(() => undefined, 60_000);
}

main().catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
});
