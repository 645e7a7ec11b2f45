// Typed turns the server has not acknowledged yet, oldest first.
//
// Every typed turn carries the page's own id, and the server stores an id only
// once, so a turn can be sent again whenever its fate is unknown: after a
// reconnect, on a socket that may have died silently, after a reload. A turn
// stays here until a stored item with its id arrives. The list lives in
// sessionStorage (per conversation and tab), so a reload loses none.

const TURN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isTurnId(value) {
  return typeof value === "string" && TURN_ID.test(value);
}

export function newTurnId(cryptoApi = globalThis.crypto) {
  // randomUUID exists only in secure contexts; getRandomValues everywhere.
  if (typeof cryptoApi.randomUUID === "function") return cryptoApi.randomUUID();
  const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The tab's sessionStorage, or null where the browser blocks it. */
export function sessionStorageOrNull() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export class PendingTurns {
  constructor(key, storage = sessionStorageOrNull(), { newId = newTurnId } = {}) {
    this.key = key;
    this.storage = storage;
    this.newId = newId;
    this.turns = this.read();
  }

  /** Copies of the unacknowledged turns, in the order they were typed. */
  get all() {
    return this.turns.map((turn) => ({ ...turn }));
  }

  get size() {
    return this.turns.length;
  }

  has(id) {
    return this.turns.some((turn) => turn.id === id);
  }

  /** Keep a newly typed turn under a fresh id; returns it. */
  add(text) {
    const turn = { id: this.newId(), text: String(text) };
    this.turns.push(turn);
    this.write();
    return { ...turn };
  }

  /** A stored item with this id arrived: the turn is safe. Returns whether it was held. */
  acknowledge(id) {
    const index = this.turns.findIndex((turn) => turn.id === id);
    if (index < 0) return false;
    this.turns.splice(index, 1);
    this.write();
    return true;
  }

  read() {
    let saved;
    try {
      saved = JSON.parse((this.storage && this.storage.getItem(this.key)) || "[]");
    } catch {
      return [];
    }
    if (!Array.isArray(saved)) return [];
    // Whatever else is stored under the key (an older page, a hand edit) is skipped.
    const ids = new Set();
    const turns = [];
    for (const turn of saved) {
      if (!turn || !isTurnId(turn.id) || typeof turn.text !== "string" || !turn.text) continue;
      if (ids.has(turn.id)) continue;
      ids.add(turn.id);
      turns.push({ id: turn.id, text: turn.text });
    }
    return turns;
  }

  write() {
    if (!this.storage) return;
    try {
      if (this.turns.length) this.storage.setItem(this.key, JSON.stringify(this.turns));
      else this.storage.removeItem(this.key);
    } catch {
      // Storage full or blocked: the turns still live in this page.
    }
  }
}
