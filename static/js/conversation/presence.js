// Presence: which socket holds the conversation, as this page knows it.
//
// One socket at a time owns a conversation (it runs the upstream Live
// session); the others watch read-only. The server tells each socket which it
// is (`presence`), tells an owner that another device took over
// (`device.replaced`), and answers a takeover that did not work with a
// `takeover_failed` error. This module is pure: the page feeds it those
// events and renders from the state it keeps.
//
//   owner        this socket holds the conversation
//   viewer       another socket holds it (or nobody does) and this page watches
//   taking_over  "Continue here" / "Take it back" was pressed; no answer yet
//   reclaiming   this tab held the conversation a moment ago (before a reload
//                or a network blip) and takes it back without a word
//   moved_away   another device or tab took the conversation from this one
//
// A viewer may also be `liveLimit`ed: the server gave it no upstream because
// the user has that many conversations live already. It never reclaims on its
// own then; "Continue here" pauses the user's quietest conversation instead.
//
// `confirmed` says whether the current socket has said which of these this
// page is. A reopened socket has not, yet the state stays: a tab that was the
// owner reclaims the conversation when its new socket hears `viewer`.

export const OWNER = "owner";
export const VIEWER = "viewer";
export const TAKING_OVER = "taking_over";
export const RECLAIMING = "reclaiming";
export const MOVED_AWAY = "moved_away";

export const PRESENCE_TEXT = {
  liveElsewhere: "This conversation is live on another device or tab.",
  watching: "This page is only watching the conversation.",
  moved: "This conversation moved to another device or tab.",
  continueHere: "Continue here",
  takeBack: "Take it back",
  takingOver: "Taking over…",
  atLimit: (limit) =>
    `You have ${limit} ${limit === 1 ? "conversation" : "conversations"} live at once, ` +
    "the most there can be. Continue here to pause the one that has been quiet longest.",
};

function presenceState(fields) {
  // `fallback`: where a takeover that fails leaves the page (taking_over only).
  return Object.freeze({
    confirmed: false,
    liveElsewhere: false,
    liveLimit: null,
    fallback: null,
    ...fields,
  });
}

/** Before the first `presence`; a tab that held the conversation before a reload reclaims it. */
export function initialPresence({ heldBeforeReload = false } = {}) {
  return presenceState({ name: heldBeforeReload ? OWNER : VIEWER });
}

/** What the page calls itself: null until the current socket says, else "owner" or "viewer". */
export function roleOf(state) {
  if (!state.confirmed) return null;
  return state.name === OWNER ? "owner" : "viewer";
}

/**
 * The state after an event:
 *   { type: "opened" }                 the socket (re)opened
 *   { type: "presence", role, liveElsewhere, canTakeOver, liveLimit }
 *                                      the server's word; `canTakeOver`: a
 *                                      takeover can be sent now; `liveLimit`:
 *                                      refused an upstream at this many live
 *   { type: "replaced" }               device.replaced
 *   { type: "takeover_sent" }          the user asked to continue here
 *   { type: "takeover_failed" }        the server refused a takeover
 *   { type: "stopped" }                the socket stopped for good
 */
export function nextPresence(state, event) {
  switch (event.type) {
    case "opened":
    case "stopped":
      return presenceState({ ...state, confirmed: false });
    case "presence":
      return afterPresence(state, event);
    case "replaced":
      // A takeover still waiting for its answer keeps waiting.
      if (state.name === TAKING_OVER) {
        return presenceState({ ...state, confirmed: true, fallback: MOVED_AWAY });
      }
      return presenceState({ ...state, name: MOVED_AWAY, confirmed: true, fallback: null });
    case "takeover_sent":
      if (state.name !== VIEWER && state.name !== MOVED_AWAY) return state;
      return presenceState({ ...state, name: TAKING_OVER, fallback: state.name });
    case "takeover_failed":
      if (state.name === TAKING_OVER) {
        return presenceState({ ...state, name: state.fallback, fallback: null });
      }
      // The tab's own conversation is held elsewhere now: it watches.
      if (state.name === RECLAIMING) {
        return presenceState({ ...state, name: VIEWER, confirmed: true, liveElsewhere: true });
      }
      return state;
    default:
      return state;
  }
}

function afterPresence(state, { role, liveElsewhere = false, canTakeOver = true, liveLimit = null }) {
  const limit = Number.isInteger(liveLimit) && liveLimit > 0 && role !== "owner" ? liveLimit : null;
  const heard = { ...state, confirmed: true, liveElsewhere: Boolean(liveElsewhere), liveLimit: limit };
  if (role === "owner") return presenceState({ ...heard, name: OWNER, fallback: null });
  // Taking a conversation back past the limit would pause another: only by hand.
  if (state.name === OWNER && canTakeOver && limit === null) {
    return presenceState({ ...heard, name: RECLAIMING, fallback: null });
  }
  if (state.name === TAKING_OVER || state.name === MOVED_AWAY) return presenceState(heard);
  return presenceState({ ...heard, name: VIEWER, fallback: null });
}

/**
 * The banner a page that does not hold the conversation shows, or null:
 * `{ text, action, busy }`, where `action` labels the takeover button.
 */
export function presenceBanner(state) {
  switch (state.name) {
    case VIEWER:
      return {
        text: state.liveLimit
          ? PRESENCE_TEXT.atLimit(state.liveLimit)
          : state.liveElsewhere
            ? PRESENCE_TEXT.liveElsewhere
            : PRESENCE_TEXT.watching,
        action: PRESENCE_TEXT.continueHere,
        busy: false,
      };
    case MOVED_AWAY:
      return { text: PRESENCE_TEXT.moved, action: PRESENCE_TEXT.takeBack, busy: false };
    case TAKING_OVER: {
      const waiting = presenceBanner({ ...state, name: state.fallback });
      return { ...waiting, action: PRESENCE_TEXT.takingOver, busy: true };
    }
    default:
      // The owner has nothing to take; a silent reclaim shows nothing.
      return null;
  }
}

/** The page's presence: the state and the events that move it. */
export class Presence {
  constructor(options) {
    this.state = initialPresence(options);
  }

  get name() {
    return this.state.name;
  }

  get role() {
    return roleOf(this.state);
  }

  get banner() {
    return presenceBanner(this.state);
  }

  /** Apply an event (see `nextPresence`); returns the state before it. */
  apply(event) {
    const before = this.state;
    this.state = nextPresence(before, event);
    return before;
  }
}
