import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS } from "../../../components/config/keys";
import { DEFAULT_ALARMS } from "../../../components/config/defaults";

describe("configuration keys as documented", () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../../README.md"), "utf8");

    it("lists every key in the README's table", () => {
        for (const key of CONFIG_KEYS) {
            assert.match(readme, new RegExp(`\\| \`${key.name}\` \\|`), `README lacks a row for ${key.name}`);
        }
    });

    it("documents the alarm defaults the code applies", () => {
        const alarms = CONFIG_KEYS.find((k) => k.name === "alarms")!;
        for (const [name, value] of Object.entries(DEFAULT_ALARMS)) {
            assert.ok(alarms.defaultText!.includes(`${name} ${value}`), `alarms default text lacks ${name} ${value}`);
        }
    });
});
