import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { readLimits, upstreamStatus } from "../../static/js/conversation/limits.js";

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

describe("upstreamStatus", () => {
  it("calls a conversation the server let rest while quiet paused, not stopped", () => {
    for (const status of ["disconnecting", "disconnected"]) {
      assert.equal(upstreamStatus({ status, reason: "idle" }), "paused");
    }
  });

  it("passes every other status through as the server said it", () => {
    const cases = [
      { status: "disconnected", reason: "user" },
      { status: "disconnected", reason: "gave_up" },
      { status: "disconnecting" },
      { status: "connected", reason: "idle" },
      { status: "reconnecting", attempt: 2 },
    ];
    for (const message of cases) assert.equal(upstreamStatus(message), message.status);
  });
});
