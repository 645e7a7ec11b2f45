import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { readLimits } from "../../static/js/conversation/limits.js";

describe("readLimits", () => {
  it("reads the limits the template renders", () => {
    assert.deepEqual(readLimits({ maxTurnChars: "4000" }), { maxTurnChars: 4000 });
  });

  it("knows no limit where the page was not told one it can use", () => {
    for (const value of [undefined, "", "0", "-5", "12.5", "many"]) {
      assert.deepEqual(readLimits({ maxTurnChars: value }), { maxTurnChars: null }, String(value));
    }
  });
});
