import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { fatalNotice, stoppedNotice } from "../../static/js/conversation/final-banner.js";

describe("stoppedNotice", () => {
  it("offers Resume after the reasons a user can resume from", () => {
    assert.deepEqual(stoppedNotice("user"), {
      text: "The conversation is saved. Resume it whenever you like.",
      resumable: true,
    });
    for (const reason of ["gave_up", "error"]) {
      const notice = stoppedNotice(reason);
      assert.equal(notice.resumable, true);
      assert.match(notice.text, /^Nothing is lost/);
    }
  });

  it("offers Resume when no reason was given", () => {
    assert.deepEqual(stoppedNotice(undefined), {
      text: "The conversation is not connected to Live.",
      resumable: true,
    });
  });

  it("offers no Resume for other reasons", () => {
    for (const reason of ["browser_left", "idle", "toString"]) {
      assert.deepEqual(stoppedNotice(reason), {
        text: "The conversation is not connected to Live.",
        resumable: false,
      });
    }
  });
});

describe("fatalNotice", () => {
  it("offers Sign in only to a page that was signed out", () => {
    assert.deepEqual(fatalNotice("signed_out"), {
      text: "You were signed out. Sign in again to carry on.",
      signIn: true,
    });
    assert.deepEqual(fatalNotice("not_found"), {
      text: "This conversation no longer exists.",
      signIn: false,
    });
    assert.equal(fatalNotice("forbidden").signIn, false);
  });

  it("asks for a reload when the reason is unknown", () => {
    assert.deepEqual(fatalNotice("protocol"), {
      text: "Something went wrong on this page. Reload it to carry on.",
      signIn: false,
    });
  });
});
