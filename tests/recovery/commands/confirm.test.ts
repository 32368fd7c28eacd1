import * as assert from "node:assert/strict";
import { ConfirmIo, NotConfirmedError, confirmChange } from "../../../recovery/lib/confirm";

function io(isTTY: boolean, answer?: string): ConfirmIo & { asked: string[] } {
    const asked: string[] = [];
    return { isTTY, asked, ask: async (q) => { asked.push(q); return answer ?? ""; } };
}

const request = { plan: ["call FailoverGlobalReplicationGroup"], expected: "us-west-2", expectedWhat: "the target region", rerunWithYes: "recover ... --yes" };

describe("confirmation before any change", () => {
    it("--yes proceeds without asking", async () => {
        const terminal = io(true);
        assert.equal(await confirmChange({ ...request, yes: true, io: terminal }), "flag");
        assert.equal(terminal.asked.length, 0);
    });

    it("without a terminal and without --yes refuses and says to pass --yes", async () => {
        await assert.rejects(confirmChange({ ...request, yes: false, io: io(false) }),
            (e: Error) => e instanceof NotConfirmedError && /stdin is not a terminal and --yes was not given/.test(e.message) && /recover \.\.\. --yes/.test(e.message));
    });

    it("on a terminal, shows the plan and proceeds only when the target region is typed", async () => {
        const terminal = io(true, " us-west-2 ");
        assert.equal(await confirmChange({ ...request, yes: false, io: terminal }), "typed");
        assert.match(terminal.asked[0], /call FailoverGlobalReplicationGroup/);
        assert.match(terminal.asked[0], /Type the target region \(us-west-2\)/);
    });

    it("on a terminal, anything else stops with nothing changed", async () => {
        await assert.rejects(confirmChange({ ...request, yes: false, io: io(true, "y") }), /you typed "y", expected "us-west-2"\. Nothing was changed/);
    });
});
