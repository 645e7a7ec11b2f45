import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { micView } from "../../static/js/conversation/voice.js";

describe("micView", () => {
  it("shows the button pressed while the microphone starts or listens", () => {
    assert.deepEqual(micView("starting"), {
      pressed: true,
      label: "Stop talking",
      text: "Starting the microphone…",
    });
    assert.deepEqual(micView("live"), { pressed: true, label: "Stop talking", text: "Listening" });
  });

  it("offers Talk otherwise, saying why the microphone is not on", () => {
    assert.deepEqual(micView("off"), { pressed: false, label: "Talk", text: "" });
    assert.equal(micView("paused").text, "Microphone paused");
    assert.equal(micView("denied").text, "Microphone blocked");
    assert.equal(micView("unavailable").text, "No microphone available");
    assert.equal(micView("constructor").text, "");
  });
});
