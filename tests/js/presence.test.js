import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  MOVED_AWAY,
  OWNER,
  PRESENCE_TEXT,
  Presence,
  RECLAIMING,
  TAKING_OVER,
  VIEWER,
  initialPresence,
  nextPresence,
  presenceBanner,
  roleOf,
} from "../../static/js/conversation/presence.js";

const opened = { type: "opened" };
const owner = { type: "presence", role: "owner", liveElsewhere: false, canTakeOver: true };
const viewer = (liveElsewhere = true, canTakeOver = true) => ({
  type: "presence",
  role: "viewer",
  liveElsewhere,
  canTakeOver,
});
const replaced = { type: "replaced" };
const takeoverSent = { type: "takeover_sent" };
const takeoverFailed = { type: "takeover_failed" };

/** A page that went through these events, from a fresh load (or a reload of the owner's tab). */
function pageAfter(events, options = {}) {
  const presence = new Presence(options);
  for (const event of events) presence.apply(event);
  return presence;
}

describe("presence before the server speaks", () => {
  it("has no role, whether or not the tab held the conversation before a reload", () => {
    for (const heldBeforeReload of [false, true]) {
      const presence = new Presence({ heldBeforeReload });
      assert.equal(presence.role, null);
      assert.equal(presence.name, heldBeforeReload ? OWNER : VIEWER);
    }
  });

  it("starts as a viewer without options", () => {
    assert.equal(initialPresence().name, VIEWER);
    assert.equal(new Presence().role, null);
  });
});

describe("a page the server makes the owner", () => {
  it("is the owner and shows no banner", () => {
    const presence = pageAfter([opened, owner]);
    assert.equal(presence.name, OWNER);
    assert.equal(presence.role, "owner");
    assert.equal(presence.banner, null);
  });

  it("reports the state it came from, which says whether the socket is new to it", () => {
    const presence = pageAfter([opened]);
    const first = presence.apply(owner);
    assert.equal(roleOf(first), null);
    const again = presence.apply(owner);
    assert.equal(roleOf(again), "owner");
  });
});

describe("a viewer", () => {
  it("says whether the conversation is live elsewhere and offers to continue here", () => {
    const live = pageAfter([opened, viewer(true)]);
    assert.equal(live.role, "viewer");
    assert.deepEqual(live.banner, {
      text: PRESENCE_TEXT.liveElsewhere,
      action: "Continue here",
      busy: false,
    });
    const idle = pageAfter([opened, viewer(false)]);
    assert.equal(idle.banner.text, PRESENCE_TEXT.watching);
  });

  it("stays a viewer across a reconnect: it never held the conversation", () => {
    const presence = pageAfter([opened, viewer(), opened]);
    assert.equal(presence.role, null);
    presence.apply(viewer());
    assert.equal(presence.name, VIEWER);
  });
});

describe("a viewer refused an upstream at the live limit", () => {
  const atLimit = { ...viewer(false), liveLimit: 3 };

  it("says so and offers to continue here", () => {
    const presence = pageAfter([opened, atLimit]);
    assert.equal(presence.name, VIEWER);
    assert.deepEqual(presence.banner, {
      text: PRESENCE_TEXT.atLimit(3),
      action: "Continue here",
      busy: false,
    });
    assert.match(presence.banner.text, /3 conversations live/);
  });

  it("counts one conversation in the singular", () => {
    assert.match(PRESENCE_TEXT.atLimit(1), /^You have 1 conversation live at once/);
  });

  it("never takes its conversation back by itself, as a reloaded owner's tab would", () => {
    const presence = pageAfter([opened, atLimit], { heldBeforeReload: true });
    assert.equal(presence.name, VIEWER);
    assert.equal(presence.banner.text, PRESENCE_TEXT.atLimit(3));
  });

  it("keeps the limit's words while its takeover waits, and after it fails", () => {
    const presence = pageAfter([opened, atLimit, takeoverSent]);
    assert.deepEqual(presence.banner, {
      text: PRESENCE_TEXT.atLimit(3),
      action: "Taking over…",
      busy: true,
    });
    presence.apply(takeoverFailed);
    assert.equal(presence.name, VIEWER);
    assert.equal(presence.banner.text, PRESENCE_TEXT.atLimit(3));
  });

  it("forgets the limit once it owns the conversation, or hears none", () => {
    assert.equal(pageAfter([opened, atLimit, takeoverSent, owner]).state.liveLimit, null);
    assert.equal(pageAfter([opened, atLimit, viewer(false)]).banner.text, PRESENCE_TEXT.watching);
  });

  it("ignores a limit that is not a positive whole number", () => {
    for (const liveLimit of [0, -1, 2.5, "3", null]) {
      const presence = pageAfter([opened, { ...viewer(false), liveLimit }]);
      assert.equal(presence.banner.text, PRESENCE_TEXT.watching, String(liveLimit));
    }
  });
});

describe("taking over by hand", () => {
  it("waits with the button busy and the viewer's text, then owns the conversation", () => {
    const presence = pageAfter([opened, viewer(false), takeoverSent]);
    assert.equal(presence.name, TAKING_OVER);
    assert.equal(presence.role, "viewer");
    assert.deepEqual(presence.banner, {
      text: PRESENCE_TEXT.watching,
      action: "Taking over…",
      busy: true,
    });
    const before = presence.apply(owner);
    assert.equal(before.name, TAKING_OVER);
    assert.equal(presence.name, OWNER);
  });

  it("keeps waiting while other sockets' presence changes arrive", () => {
    const presence = pageAfter([opened, viewer(false), takeoverSent, viewer(true)]);
    assert.equal(presence.name, TAKING_OVER);
    assert.equal(presence.banner.text, PRESENCE_TEXT.liveElsewhere);
    assert.equal(presence.banner.busy, true);
  });

  it("goes back to watching when the takeover fails", () => {
    const presence = pageAfter([opened, viewer(true), takeoverSent, takeoverFailed]);
    assert.equal(presence.name, VIEWER);
    assert.deepEqual(presence.banner, {
      text: PRESENCE_TEXT.liveElsewhere,
      action: "Continue here",
      busy: false,
    });
  });

  it("means nothing to the owner or to a tab that is reclaiming", () => {
    const ownerPage = pageAfter([opened, owner, takeoverSent]);
    assert.equal(ownerPage.name, OWNER);
    const reclaiming = pageAfter([opened, viewer()], { heldBeforeReload: true });
    reclaiming.apply(takeoverSent);
    assert.equal(reclaiming.name, RECLAIMING);
  });
});

describe("moved away", () => {
  it("follows device.replaced and offers to take it back", () => {
    const presence = pageAfter([opened, owner, replaced]);
    assert.equal(presence.name, MOVED_AWAY);
    assert.equal(presence.role, "viewer");
    assert.deepEqual(presence.banner, {
      text: PRESENCE_TEXT.moved,
      action: "Take it back",
      busy: false,
    });
  });

  it("does not reclaim after a reconnect: another device holds it now", () => {
    const presence = pageAfter([opened, owner, replaced, opened, viewer()]);
    assert.equal(presence.name, MOVED_AWAY);
    assert.equal(presence.banner.text, PRESENCE_TEXT.moved);
  });

  it("keeps saying it moved while taking it back, and after a failed try", () => {
    const presence = pageAfter([opened, owner, replaced, takeoverSent]);
    assert.equal(presence.name, TAKING_OVER);
    assert.deepEqual(presence.banner, {
      text: PRESENCE_TEXT.moved,
      action: "Taking over…",
      busy: true,
    });
    presence.apply(viewer());
    assert.equal(presence.banner.text, PRESENCE_TEXT.moved);
    presence.apply(takeoverFailed);
    assert.equal(presence.name, MOVED_AWAY);
    assert.equal(presence.banner.action, "Take it back");
    presence.apply(takeoverSent);
    presence.apply(owner);
    assert.equal(presence.name, OWNER);
  });

  it("is where a takeover still waiting for its answer falls back to", () => {
    const presence = pageAfter([opened, viewer(), takeoverSent, replaced]);
    assert.equal(presence.name, TAKING_OVER);
    assert.equal(presence.banner.text, PRESENCE_TEXT.moved);
    presence.apply(takeoverFailed);
    assert.equal(presence.name, MOVED_AWAY);
  });
});

describe("reclaiming", () => {
  it("follows a reload of the owner's tab when the server calls it a viewer", () => {
    const presence = pageAfter([opened, viewer()], { heldBeforeReload: true });
    assert.equal(presence.name, RECLAIMING);
    assert.equal(presence.role, "viewer");
    assert.equal(presence.banner, null);
    const before = presence.apply(owner);
    assert.equal(before.name, RECLAIMING);
    assert.equal(presence.name, OWNER);
  });

  it("follows a network blip of the owner's socket", () => {
    const presence = pageAfter([opened, owner, opened]);
    assert.equal(presence.role, null);
    presence.apply(viewer());
    assert.equal(presence.name, RECLAIMING);
  });

  it("gives way to watching when no takeover can be sent", () => {
    const presence = pageAfter([opened, viewer(false, false)], { heldBeforeReload: true });
    assert.equal(presence.name, VIEWER);
    assert.equal(presence.banner.text, PRESENCE_TEXT.watching);
  });

  it("is tried once: a viewer presence during it makes a plain viewer", () => {
    const presence = pageAfter([opened, owner, opened, viewer(), viewer(false)]);
    assert.equal(presence.name, VIEWER);
    assert.equal(presence.banner.text, PRESENCE_TEXT.watching);
  });

  it("ends as a viewer of a conversation live elsewhere when the takeover fails", () => {
    const presence = pageAfter([opened, owner, opened, viewer(false), takeoverFailed]);
    assert.equal(presence.name, VIEWER);
    assert.equal(presence.role, "viewer");
    assert.equal(presence.banner.text, PRESENCE_TEXT.liveElsewhere);
    assert.equal(presence.banner.action, "Continue here");
  });
});

describe("the socket", () => {
  it("reopening forgets the role, not the state", () => {
    for (const events of [[owner], [viewer()], [owner, replaced]]) {
      const presence = pageAfter([opened, ...events]);
      const name = presence.name;
      presence.apply(opened);
      assert.equal(presence.role, null);
      assert.equal(presence.name, name);
    }
  });

  it("stopping for good leaves the page without a role", () => {
    const presence = pageAfter([opened, owner, { type: "stopped" }]);
    assert.equal(presence.role, null);
  });
});

describe("nextPresence", () => {
  it("returns new frozen states and leaves the old ones as they were", () => {
    const start = initialPresence();
    const after = nextPresence(start, owner);
    assert.notEqual(after, start);
    assert.ok(Object.isFrozen(start) && Object.isFrozen(after));
    assert.equal(start.name, VIEWER);
    assert.equal(start.confirmed, false);
  });

  it("ignores events it does not know, and takeover failures with nothing pending", () => {
    const state = nextPresence(initialPresence(), viewer());
    assert.equal(nextPresence(state, { type: "nonsense" }), state);
    assert.equal(nextPresence(state, takeoverFailed), state);
  });

  it("treats any role but owner as viewer", () => {
    const state = nextPresence(initialPresence(), { type: "presence", role: "someone" });
    assert.equal(roleOf(state), "viewer");
  });

  it("gives no banner to the owner or a tab reclaiming", () => {
    assert.equal(presenceBanner({ ...initialPresence(), name: OWNER }), null);
    assert.equal(presenceBanner({ ...initialPresence(), name: RECLAIMING }), null);
  });
});
