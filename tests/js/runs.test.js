import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { RUN_EVENTS, RunGate } from "../../static/js/conversation/runs.js";

describe("RunGate", () => {
  it("ignores an older run's events once a newer run has spoken", () => {
    const gate = new RunGate();
    const admitted = [
      { type: "status", status: "connected", run_id: 1 },
      { type: "session.created", run_id: 2 },
      { type: "status", status: "connected", run_id: 2 },
      // The previous device's relay, winding down late.
      { type: "status", status: "disconnected", reason: "device_switch", run_id: 1 },
      { type: "context.restored", items: [], run_id: 0 },
      { type: "session.created", run_id: 1 },
      { type: "status", status: "connected", run_id: 3 },
      { type: "status", status: "connected", run_id: 2 },
    ].map((message) => gate.admit(message));
    assert.deepEqual(admitted, [true, true, true, false, false, false, true, false]);
    assert.equal(gate.latest, 3);
  });

  it("lets through events without a run id, and events that are not about a run", () => {
    const gate = new RunGate();
    assert.equal(gate.admit({ type: "status", status: "connected", run_id: 5 }), true);
    assert.equal(gate.admit({ type: "status", status: "reconnecting" }), true);
    assert.equal(gate.admit({ type: "status", status: "connected", run_id: "4" }), true);
    assert.equal(gate.admit({ type: "transcript.item", seq: 9, run_id: 0 }), true);
    assert.equal(gate.admit({ type: "presence", role: "owner", run_id: 1 }), true);
    assert.equal(gate.latest, 5);
  });

  it("lets the same run speak again, and run 0 speak first", () => {
    const gate = new RunGate();
    assert.equal(gate.admit({ type: "session.created", run_id: 0 }), true);
    assert.equal(gate.admit({ type: "status", status: "connected", run_id: 0 }), true);
    assert.equal(gate.admit({ type: "status", status: "connected", run_id: 0 }), true);
  });

  it("gates exactly the events that describe a run", () => {
    assert.deepEqual([...RUN_EVENTS].sort(), ["context.restored", "session.created", "status"]);
  });
});
