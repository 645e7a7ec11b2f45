import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { statusText } from "../../static/js/conversation/status.js";

describe("statusText", () => {
  it("says where the conversation is live", () => {
    assert.deepEqual(statusText({ status: "connected" }), { label: "Live here", detail: "" });
    assert.deepEqual(statusText({ status: "connected", elsewhere: true }), {
      label: "Live on another device",
      detail: "",
    });
  });

  it("never counts attempts", () => {
    const { label, detail } = statusText({ status: "reconnecting", attempt: 4 });
    assert.equal(label, "Reconnecting…");
    assert.doesNotMatch(`${label} ${detail}`, /\d/);
  });

  it("reads a pause as a rest", () => {
    assert.deepEqual(statusText({ status: "paused" }), {
      label: "Paused",
      detail: "Quiet for a while. Type or talk to carry on.",
    });
  });

  it("says why the conversation is not live", () => {
    assert.equal(statusText({ status: "disconnected", reason: "user" }).detail, "You ended this conversation.");
    assert.equal(statusText({ status: "disconnected", reason: "toString" }).detail, "");
    assert.equal(statusText({ status: "disconnected", elsewhere: true }).label, "Not live");
  });

  it("says the page is offline while it waits for the network", () => {
    assert.equal(
      statusText({ status: "reconnecting", offline: true }).detail,
      "You're offline. Waiting for the network…",
    );
  });
});
