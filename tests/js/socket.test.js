import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  backoffDelay,
  fatalCloseReason,
  socketUrl,
} from "../../static/js/conversation/socket.js";

describe("backoffDelay", () => {
  const top = { baseMs: 500, capMs: 4000, random: () => 1 };
  const bottom = { ...top, random: () => 0 };

  it("retries at once, then doubles up to the cap", () => {
    assert.equal(backoffDelay(1, top), 0);
    assert.deepEqual(
      [2, 3, 4, 5, 6, 9].map((attempt) => backoffDelay(attempt, top)),
      [500, 1000, 2000, 4000, 4000, 4000],
    );
  });

  it("draws each delay between zero and the ceiling (full jitter)", () => {
    assert.equal(backoffDelay(6, bottom), 0);
    assert.equal(backoffDelay(3, { ...top, random: () => 0.25 }), 250);
    for (let attempt = 1; attempt < 12; attempt += 1) {
      const delay = backoffDelay(attempt, { baseMs: 500, capMs: 15000 });
      assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= 15000, `${attempt}: ${delay}`);
    }
  });

  it("treats attempt 0 like the first", () => {
    assert.equal(backoffDelay(0, top), 0);
  });

  it("defaults to a 500 ms base and a 15 s cap", () => {
    const random = () => 1;
    assert.equal(backoffDelay(2, { random }), 500);
    assert.equal(backoffDelay(20, { random }), 15000);
  });
});

describe("fatalCloseReason", () => {
  it("stops for the server's own close codes", () => {
    assert.equal(fatalCloseReason(4401), "signed_out");
    assert.equal(fatalCloseReason(4404), "not_found");
  });

  it("retries after anything else, codes the server never sends included", () => {
    // 4408: the hello did not arrive in time; a new socket sends it again.
    for (const code of [1000, 1001, 1006, 1011, 4400, 4403, 4408, 4000, undefined]) {
      assert.equal(fatalCloseReason(code), null, String(code));
    }
  });
});

describe("socketUrl", () => {
  it("uses wss: on an https: page and ws: otherwise, on the page's host", () => {
    const path = "/ws/conversations/abc/";
    assert.equal(
      socketUrl(path, { protocol: "https:", host: "continuum.example.com" }),
      "wss://continuum.example.com/ws/conversations/abc/",
    );
    assert.equal(
      socketUrl(path, { protocol: "http:", host: "127.0.0.1:8000" }),
      "ws://127.0.0.1:8000/ws/conversations/abc/",
    );
  });
});
