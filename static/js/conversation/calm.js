// What the status line shows, and when: a drop nobody would notice is not shown.
//
// Most drops heal within a few hundred milliseconds (the first retry is
// immediate). Showing "Reconnecting…" for 20 ms, and then a notice about a
// recovery nobody saw, only worries people. So a status that may heal by
// itself (connecting, reconnecting) waits `graceMs` when it follows Live; if
// Live is back by then, nothing was shown and nothing is said. Anything else
// (paused, ending, ended) shows at once, and so does any change of where the
// conversation is live (`view.elsewhere`): a takeover is not a drop.
//
// Each time Live comes back on screen, `onLive(after)` says from what:
//   "first"  the page's first Live (a first visit or a reload): nothing to say
//   "drop"   a drop that was shown: worth one word that it is over
//   "rest"   a pause or an ending the user saw, and Live again after it
// A drop that healed within the grace period never left Live, so it calls
// nothing; `returnedFrom` then says "blip". `onTrouble(view)` runs when Live
// gives way to something else on screen.

export const DROP_GRACE_MS = 1000;

const MAY_HEAL = new Set(["connecting", "reconnecting"]);

export class CalmStatus {
  /** `onShow(view)` renders a view (`{ status, … }`); timers are injectable for tests. */
  constructor({
    onShow,
    onLive = () => {},
    onTrouble = () => {},
    graceMs = DROP_GRACE_MS,
    setTimer = (callback, ms) => setTimeout(callback, ms),
    clearTimer = (timer) => clearTimeout(timer),
  }) {
    this.onShow = onShow;
    this.onLive = onLive;
    this.onTrouble = onTrouble;
    this.graceMs = graceMs;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.shown = null;
    this.wanted = null;
    this.timer = null;
    this.seenLive = false;
    // What Live gave way to since it last showed: null, "blip", "drop" or "rest".
    this.away = null;
    // What the latest Live came back from: "first", "blip", "drop" or "rest".
    this.returnedFrom = null;
    // Where the latest Live was: true when on another device or tab.
    this.livePlace = false;
  }

  /** Whether a drop is being kept off the screen right now. */
  get holding() {
    return this.timer !== null;
  }

  /** The status the page would show now; shown at once or after the grace period. */
  want(view) {
    this.wanted = view;
    const live = this.shown?.status === "connected";
    const samePlace = Boolean(view.elsewhere) === Boolean(this.shown?.elsewhere);
    if (live && samePlace && MAY_HEAL.has(view.status)) {
      this.away ??= "blip";
      if (this.timer === null) {
        this.timer = this.setTimer(() => {
          this.timer = null;
          this.show(this.wanted);
        }, this.graceMs);
      }
      // Live stays on screen, with what else changed about it meanwhile.
      this.onShow(this.shown);
      return;
    }
    this.cancel();
    this.show(view);
  }

  cancel() {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  show(view) {
    const before = this.shown;
    this.shown = view;
    const wasLive = before?.status === "connected";
    const place = Boolean(view.elsewhere);
    if (view.status === "connected") {
      this.livePlace = place;
      if (!wasLive) {
        const after = this.seenLive ? (this.away ?? "rest") : "first";
        this.seenLive = true;
        this.away = null;
        this.returnedFrom = after;
        this.onShow(view);
        this.onLive(after);
        return;
      }
      // Live all along: a drop that healed in time leaves no trace.
      if (this.away) this.returnedFrom = "blip";
      this.away = null;
    } else if (this.seenLive) {
      const drop = MAY_HEAL.has(view.status) && this.away !== "rest" && this.livePlace === place;
      this.away = drop ? "drop" : "rest";
    }
    this.onShow(view);
    if (wasLive && view.status !== "connected") this.onTrouble(view);
  }
}
