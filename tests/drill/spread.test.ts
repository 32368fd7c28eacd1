import * as assert from "node:assert/strict";
import { countSpread, spread } from "../../recovery/drill/spread";

describe("spread of a drill's figures over runs", () => {
    it("gives median, min and max; the median of an even count is the mean of the middle two", () => {
        assert.deepEqual(spread([30, 10, 20]), { n: 3, median: 20, min: 10, max: 30 });
        assert.deepEqual(spread([4, 1, 3, 2]), { n: 4, median: 2.5, min: 1, max: 4 });
        assert.equal(spread([]), undefined);
    });

    it("gives counts in whole numbers: the median of an even count is the higher middle value, one a run had", () => {
        assert.deepEqual(countSpread([75, 0]), { n: 2, median: 75, min: 0, max: 75 });
        assert.deepEqual(countSpread([3, 1, 2]), { n: 3, median: 2, min: 1, max: 3 });
        assert.equal(countSpread([]), undefined);
    });
});
