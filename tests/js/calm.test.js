import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CalmStatus, DROP_GRACE_MS } from "../../static/js/conversation/calm.js";

/** A CalmStatus on a fake clock, recording what it showed and said. */
function calmStatus() {
  const timers = new Map();
  let nextId = 1;
  let now = 0;
  const record = { shown: [], live: [], trouble: [] };
  const calm = new CalmStatus({
    onShow: (view) => record.shown.push(view.status),
    onLive: (after) => record.live.push(after),
    onTrouble: (view) => record.trouble.push(view.status),
    setTimer: (callback, ms) => {
      timers.set(nextId, { callback, at: now + ms });
      return nextId++;
    },
    clearTimer: (id) => timers.delete(id),
  });
  const advance = (ms) => {
    now += ms;
    for (const [id, timer] of [...timers]) {
      if (timer.at <= now) {
        timers.delete(id);
        timer.callback();
      }
    }
  };
  const want = (status) => calm.want({ status });
  const lastShown = () => record.shown[record.shown.length - 1];
  return { calm, record, advance, want, lastShown };
}

describe("CalmStatus", () => {
  it("shows the first connection as it goes, and says nothing about it", () => {
    const { record, want } = calmStatus();
    want("connecting");
    want("connected");
    assert.deepEqual(record.shown, ["connecting", "connected"]);
    assert.deepEqual(record.live, ["first"]);
    assert.deepEqual(record.trouble, []);
  });

  it("keeps a drop that heals within the grace period off the screen", () => {
    const { calm, record, want, advance, lastShown } = calmStatus();
    want("connected");
    want("reconnecting");
    advance(300);
    want("connecting");
    advance(300);
    assert.equal(lastShown(), "connected");
    want("connected");
    advance(DROP_GRACE_MS * 2);
    assert.ok(record.shown.every((status) => status === "connected"));
    assert.deepEqual(record.live, ["first"]);
    assert.deepEqual(record.trouble, []);
    assert.equal(calm.returnedFrom, "blip");
  });

  it("shows a drop still going after the grace period, and its end once", () => {
    const { calm, record, want, advance, lastShown } = calmStatus();
    want("connected");
    want("reconnecting");
    advance(DROP_GRACE_MS - 1);
    assert.equal(lastShown(), "connected");
    advance(1);
    assert.equal(lastShown(), "reconnecting");
    assert.deepEqual(record.trouble, ["reconnecting"]);
    want("reconnecting");
    want("connecting");
    want("connected");
    assert.deepEqual(record.live, ["first", "drop"]);
    assert.equal(calm.returnedFrom, "drop");
    assert.equal(calm.holding, false);
  });

  it("shows the newest status once the grace period is over", () => {
    const { want, advance, lastShown } = calmStatus();
    want("connected");
    want("reconnecting");
    want("connecting");
    advance(DROP_GRACE_MS);
    assert.equal(lastShown(), "connecting");
  });

  it("shows a pause or an ending at once, and Live after it as a return from rest", () => {
    for (const status of ["paused", "disconnecting", "disconnected"]) {
      const { calm, record, want } = calmStatus();
      want("connected");
      want(status);
      assert.deepEqual(record.shown, ["connected", status]);
      assert.deepEqual(record.trouble, [status]);
      want("connecting");
      want("connected");
      assert.deepEqual(record.live, ["first", "rest"], status);
      assert.equal(calm.returnedFrom, "rest");
    }
  });

  it("cuts the grace period short when the drop turns into an ending", () => {
    const { record, want, advance, lastShown } = calmStatus();
    want("connected");
    want("reconnecting");
    want("disconnected");
    assert.equal(lastShown(), "disconnected");
    advance(DROP_GRACE_MS);
    assert.equal(lastShown(), "disconnected");
    assert.deepEqual(record.trouble, ["disconnected"]);
  });

  it("holds back nothing before Live was ever shown", () => {
    const { record, want } = calmStatus();
    want("connecting");
    want("reconnecting");
    assert.deepEqual(record.shown, ["connecting", "reconnecting"]);
  });

  it("takes a shown drop that ended in a stop as a return from rest", () => {
    const { record, want, advance } = calmStatus();
    want("connected");
    want("reconnecting");
    advance(DROP_GRACE_MS);
    want("disconnected");
    want("connecting");
    want("connected");
    assert.deepEqual(record.live, ["first", "rest"]);
  });
});

describe("CalmStatus and where the conversation is live", () => {
  it("shows a takeover's connecting at once and says nothing when it is live here", () => {
    const { calm, record } = calmStatus();
    calm.want({ status: "connected", elsewhere: true });
    calm.want({ status: "connecting", elsewhere: false });
    assert.deepEqual(record.shown, ["connected", "connecting"]);
    calm.want({ status: "connected", elsewhere: false });
    assert.deepEqual(record.live, ["first", "rest"]);
  });

  it("still hides a blip of the device that holds the conversation", () => {
    const { calm, record, advance } = calmStatus();
    calm.want({ status: "connected", elsewhere: true });
    calm.want({ status: "reconnecting", elsewhere: true });
    calm.want({ status: "connected", elsewhere: true });
    advance(DROP_GRACE_MS);
    assert.ok(record.shown.every((status) => status === "connected"));
  });

  it("takes a drop that ends on another device as no drop of this one", () => {
    const { calm, record, advance } = calmStatus();
    calm.want({ status: "connected", elsewhere: false });
    calm.want({ status: "reconnecting", elsewhere: false });
    advance(DROP_GRACE_MS);
    calm.want({ status: "connecting", elsewhere: true });
    calm.want({ status: "connected", elsewhere: true });
    assert.deepEqual(record.live, ["first", "rest"]);
  });
});
