import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { formatTime, relativeTime } from "../../static/js/clock.js";

const AT = "2026-11-21T18:40:12.345678+00:00";
const AT_MS = Date.UTC(2026, 10, 21, 18, 40, 12, 345);
// ICU separates some parts with no-break spaces; the words are what count here.
const plain = (text) => text.replace(/[\u00a0\u202f]/g, " ");

describe("formatTime", () => {
  it("shows a time in the given zone and locale, with the date and the year", () => {
    const text = formatTime(AT, { locale: "en-GB", timeZone: "Asia/Tokyo" });
    assert.equal(plain(text), "22 Nov 2026, 03:40");
  });

  it("uses the locale's own clock", () => {
    const text = formatTime(AT, { locale: "en-US", timeZone: "America/New_York" });
    assert.equal(plain(text), "Nov 21, 2026, 1:40 PM");
  });

  it("gives nothing for a time that is no time", () => {
    assert.equal(formatTime("not a time"), "");
  });
});

describe("relativeTime", () => {
  it("says just now at once", () => {
    assert.equal(relativeTime(AT, { now: AT_MS }), "just now");
  });

  it("says just now up to a minute", () => {
    assert.equal(relativeTime(AT, { now: AT_MS + 59_000 }), "just now");
  });

  it("says just now for a clock a little behind the server's", () => {
    assert.equal(relativeTime(AT, { now: AT_MS - 5_000 }), "just now");
  });

  it("counts minutes from the first whole minute", () => {
    assert.equal(relativeTime(AT, { now: AT_MS + 60_000 }), "1 minute ago");
  });

  it("counts whole hours", () => {
    assert.equal(relativeTime(AT, { now: AT_MS + 3 * 3_600_000 + 59 * 60_000 }), "3 hours ago");
  });

  it("says yesterday for a day ago", () => {
    assert.equal(relativeTime(AT, { now: AT_MS + 26 * 3_600_000 }), "yesterday");
  });

  it("gives nothing for a time that is no time", () => {
    assert.equal(relativeTime("not a time"), "");
  });
});
