/** offline/policy/stand-in: a module held in Node's cache by a stand-in until more than what is known is needed. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { standIn } from "../../offline/policy/stand-in";

describe("offline/policy/stand-in", () => {
    let dir: string;
    let file: string;
    const loads = (): number => Number(process.env.STAND_IN_TEST_LOADS ?? 0);

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "stand-in-"));
        file = path.join(dir, "real.js");
        // Counts its own evaluations where the test can see them without loading it.
        fs.writeFileSync(file, [
            "process.env.STAND_IN_TEST_LOADS = String(Number(process.env.STAND_IN_TEST_LOADS ?? 0) + 1);",
            "exports.__esModule = true; exports.version = '1.2.3'; exports.register = () => 'real register'; exports.other = 42;",
        ].join("\n"));
        process.env.STAND_IN_TEST_LOADS = "0";
    });

    afterEach(() => {
        delete require.cache[file];
        delete process.env.STAND_IN_TEST_LOADS;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("answers what is known without loading the module, and whoever requires the file gets the stand-in", () => {
        const proxy = standIn(file, { version: "1.2.3", __esModule: true });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const required = require(file) as { version: string; __esModule: boolean };
        assert.equal(required, proxy);
        assert.equal(required.version, "1.2.3");
        assert.equal(required.__esModule, true);
        assert.equal("version" in required, true);
        assert.equal(loads(), 0, "the real module was not evaluated");
    });

    it("loads the real module once, on the first use of anything else, and forwards to it", () => {
        const proxy = standIn(file, { version: "1.2.3" }) as Record<string, unknown>;
        assert.equal(proxy.other, 42);
        assert.equal(loads(), 1);
        assert.equal((proxy.register as () => string)(), "real register");
        assert.ok("other" in proxy);
        assert.deepEqual(Object.keys(proxy).sort(), ["__esModule", "other", "register", "version"]);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        assert.equal((require(file) as { other: number }).other, 42, "a later require still gets an answer");
        assert.equal(loads(), 1, "and the module was evaluated only once");
    });

    it("keeps a known function as given after the real module has loaded (a stub stays a stub)", () => {
        const proxy = standIn(file, { register: () => "stub" }) as Record<string, unknown>;
        assert.equal(proxy.other, 42);
        assert.equal((proxy.register as () => string)(), "stub");
        assert.equal(Object.getOwnPropertyDescriptor(proxy, "register")?.value, (proxy.register as unknown));
    });

    it("is kept as it is by TypeScript's __importStar when it says __esModule, so an unused export never loads", () => {
        standIn(file, { __esModule: true });
        // The helper TypeScript emits for `import * as x` under esModuleInterop: a module marked __esModule is returned as it is.
        const importStar = (mod: { __esModule?: boolean }) => (mod && mod.__esModule ? mod : { ...mod, default: mod });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = { automation: importStar(require(file)) };
        assert.ok(exported.automation);
        assert.equal(loads(), 0);
    });
});
