import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { describe, it } from "node:test";

import { PendingTurns, isTurnId, newTurnId } from "../../static/js/conversation/turns.js";

/** sessionStorage as far as PendingTurns uses it. */
class MemoryStorage {
  constructor(entries = {}) {
    this.values = new Map(Object.entries(entries));
  }

  getItem(key) {
    return this.values.has(key) ? this.values.get(key) : null;
  }

  setItem(key, value) {
    this.values.set(key, String(value));
  }

  removeItem(key) {
    this.values.delete(key);
  }
}

function counter() {
  let next = 0;
  return () => `turn-${++next}`;
}

describe("PendingTurns", () => {
  it("keeps turns in the order typed until each is acknowledged, across a reload", () => {
    const storage = new MemoryStorage();
    const newId = counter();
    const turns = new PendingTurns("k", storage, { newId });
    const added = ["one", "two", "three"].map((text) => turns.add(text));
    assert.deepEqual(added, [
      { id: "turn-1", text: "one" },
      { id: "turn-2", text: "two" },
      { id: "turn-3", text: "three" },
    ]);
    assert.deepEqual(
      [turns.acknowledge("turn-2"), turns.acknowledge("turn-2"), turns.acknowledge("nope")],
      [true, false, false],
    );
    const reloaded = new PendingTurns("k", storage, { newId });
    assert.deepEqual(reloaded.all, [
      { id: "turn-1", text: "one" },
      { id: "turn-3", text: "three" },
    ]);
    assert.equal(reloaded.has("turn-3"), true);
    reloaded.acknowledge("turn-3");
    reloaded.acknowledge("turn-1");
    assert.equal(reloaded.size, 0);
    assert.equal(storage.getItem("k"), null);
  });

  it("hands out copies, so a caller cannot change what is held", () => {
    const turns = new PendingTurns("k", new MemoryStorage(), { newId: counter() });
    turns.add("kept");
    turns.all[0].text = "changed";
    assert.equal(turns.all[0].text, "kept");
  });

  it("skips what it cannot trust in storage", () => {
    const stored = JSON.stringify([
      { id: "a", text: "kept" },
      { id: "a", text: "same id again" },
      { id: "bad id", text: "x" },
      { id: "b", text: "" },
      null,
      { id: "c".repeat(65), text: "x" },
      { id: "d", text: 7 },
      { id: "e_-9", text: "kept too" },
    ]);
    assert.deepEqual(new PendingTurns("k", new MemoryStorage({ k: stored })).all, [
      { id: "a", text: "kept" },
      { id: "e_-9", text: "kept too" },
    ]);
    assert.deepEqual(new PendingTurns("k", new MemoryStorage({ k: "{not json" })).all, []);
    assert.deepEqual(new PendingTurns("k", new MemoryStorage({ k: '{"id": "a"}' })).all, []);
  });

  it("holds turns in the page when storage is missing or full", () => {
    const none = new PendingTurns("k", null, { newId: counter() });
    none.add("x");
    assert.equal(none.size, 1);
    const full = new MemoryStorage();
    full.setItem = () => {
      throw new Error("QuotaExceededError");
    };
    const quota = new PendingTurns("k", full, { newId: counter() });
    quota.add("still held in the page");
    assert.deepEqual(
      quota.all.map((turn) => turn.text),
      ["still held in the page"],
    );
  });
});

describe("turn ids", () => {
  it("accepts what the server accepts: 1 to 64 of A-Z a-z 0-9 _ -", () => {
    const checks = ["", "a".repeat(64), "a".repeat(65), "a b", "é", "A-z_0", 5, null];
    assert.deepEqual(checks.map(isTurnId), [false, true, false, false, false, true, false, false]);
  });

  it("makes distinct valid ids, with or without randomUUID", () => {
    const insecure = { getRandomValues: (bytes) => webcrypto.getRandomValues(bytes) };
    const ids = [newTurnId(webcrypto), newTurnId(webcrypto), newTurnId(insecure)];
    assert.deepEqual(ids.map(isTurnId), [true, true, true]);
    assert.equal(new Set(ids).size, 3);
    assert.match(ids[2], /^[0-9a-f]{32}$/);
  });
});
