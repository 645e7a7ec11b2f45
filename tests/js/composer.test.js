import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { checkTurnText, isSendKey } from "../../static/js/conversation/composer.js";

describe("isSendKey", () => {
  it("sends on Enter alone", () => {
    assert.equal(isSendKey({ key: "Enter", shiftKey: false, isComposing: false }), true);
  });

  it("leaves Shift+Enter for a new line, and Enter to an IME that is composing", () => {
    assert.equal(isSendKey({ key: "Enter", shiftKey: true, isComposing: false }), false);
    assert.equal(isSendKey({ key: "Enter", shiftKey: false, isComposing: true }), false);
    assert.equal(isSendKey({ key: "a", shiftKey: false, isComposing: false }), false);
  });
});

describe("checkTurnText", () => {
  it("trims the text it sends", () => {
    assert.deepEqual(checkTurnText("  hello \n", 10), { text: "hello", error: null });
  });

  it("sends nothing for blank text", () => {
    assert.equal(checkTurnText(" \n\t ", 10).text, "");
    assert.equal(checkTurnText(undefined, 10).text, "");
  });

  it("holds a turn to the server's limit, counted after trimming", () => {
    assert.equal(checkTurnText("a".repeat(10), 10).error, null);
    assert.equal(checkTurnText(` ${"a".repeat(10)} `, 10).error, null);
    assert.equal(
      checkTurnText("a".repeat(11), 10).error,
      "A message has at most 10 characters.",
    );
  });

  it("leaves the limit to the server when the page was not told it", () => {
    assert.equal(checkTurnText("a".repeat(100000), null).error, null);
  });
});
