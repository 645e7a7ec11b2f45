import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CEILING_DB, FLOOR_DB, levelFromRms, smoothLevel } from "../../static/js/conversation/level.js";

const rmsAt = (db) => 10 ** (db / 20);

describe("levelFromRms", () => {
  it("is 0 for silence and anything that is not a level", () => {
    for (const rms of [0, -0.1, Number.NaN, undefined, "loud"]) assert.equal(levelFromRms(rms), 0);
    assert.equal(levelFromRms(rmsAt(FLOOR_DB - 10)), 0);
  });

  it("is 1 at the ceiling and above", () => {
    assert.equal(levelFromRms(rmsAt(CEILING_DB)), 1);
    assert.equal(levelFromRms(1), 1);
  });

  it("grows with loudness in decibels", () => {
    const midway = levelFromRms(rmsAt((FLOOR_DB + CEILING_DB) / 2));
    assert.ok(Math.abs(midway - 0.5) < 1e-9);
    assert.ok(levelFromRms(0.01) < levelFromRms(0.05));
    // A quiet voice (-40 dBFS) still moves the meter well off its rest.
    assert.ok(levelFromRms(rmsAt(-40)) > 0.3);
  });
});

describe("smoothLevel", () => {
  it("rises faster than it falls", () => {
    const up = smoothLevel(0, 1);
    const down = 1 - smoothLevel(1, 0);
    assert.ok(up > down);
  });

  it("settles on a steady input and rests at 0 in silence", () => {
    let level = 0;
    for (let i = 0; i < 30; i += 1) level = smoothLevel(level, 0.8);
    assert.ok(Math.abs(level - 0.8) < 0.01);
    for (let i = 0; i < 60; i += 1) level = smoothLevel(level, 0);
    assert.equal(level, 0);
  });
});
