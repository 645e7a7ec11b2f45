// Presence on the page: feeds presence.js the server's word (`presence`,
// `device.replaced`, a failed takeover) and the takeover button, renders the
// presence banner and the page's role from the state, remembers for a reload
// that this tab held the conversation, and tells the page when it became the
// owner (`onOwner`) or a viewer (`onViewer`).

import { wasReload } from "./page-lifecycle.js";
import { OWNER, Presence, RECLAIMING, TAKING_OVER, roleOf } from "./presence.js";

class PresenceBanner {
  constructor(panel) {
    this.banner = panel.querySelector("#presence");
    this.text = panel.querySelector("#presence-text");
    this.takeover = panel.querySelector("#takeover");
  }

  /** Show `presenceBanner(state)` (presence.js), or hide when it is null. */
  render(view) {
    if (!view) {
      this.hide();
      this.takeover.disabled = false;
      return;
    }
    this.text.textContent = view.text;
    this.takeover.textContent = view.action;
    this.takeover.disabled = view.busy;
    this.banner.hidden = false;
  }

  hide() {
    this.banner.hidden = true;
  }
}

export class Handover {
  /**
   * `send(message)` sends a frame and returns whether it went; `isOpen()` says
   * whether the socket is open; `onOwner({ requested, fresh })` runs when this
   * page becomes (or stays) the owner: `requested` after a press of the button,
   * `fresh` when this socket was not the owner before; `onViewer()` when it
   * watches.
   */
  constructor(panel, { conversationId, status, toasts, send, isOpen, onOwner, onViewer }) {
    this.panel = panel;
    this.status = status;
    this.toasts = toasts;
    this.send = send;
    this.isOpen = isOpen;
    this.onOwner = onOwner;
    this.onViewer = onViewer;
    // Set while this tab holds the conversation, so a reload takes it straight back.
    this.storageKey = `continuum:owner:${conversationId}`;
    this.presence = new Presence({
      heldBeforeReload: wasReload() && sessionStorage.getItem(this.storageKey) === "1",
    });
    this.banner = new PresenceBanner(panel);
  }

  /** null until the socket says, then "owner" or "viewer". */
  get role() {
    return this.presence.role;
  }

  bind() {
    this.banner.takeover.addEventListener("click", () => this.takeOver());
  }

  /** The socket (re)opened: which this page is, the new socket says next. */
  opened() {
    this.presence.apply({ type: "opened" });
  }

  /** The socket stopped for good. */
  stopped() {
    this.presence.apply({ type: "stopped" });
    this.banner.hide();
  }

  /** A `presence` message. */
  heard(message) {
    const before = this.presence.apply({
      type: "presence",
      role: message.role,
      liveElsewhere: Boolean(message.live_elsewhere),
      canTakeOver: this.isOpen(),
      liveLimit: message.live_limit ?? null,
    });
    if (this.presence.name === OWNER) {
      this.render();
      sessionStorage.setItem(this.storageKey, "1");
      // Only a press of "Continue here" / "Take it back" is worth a word; a
      // silent reclaim after a reload or a blip is not.
      const requested = before.name === TAKING_OVER;
      if (requested) this.toasts.show("You are continuing here.", { key: "presence" });
      this.onOwner({ requested, fresh: roleOf(before) !== "owner" });
    } else if (this.presence.name === RECLAIMING) {
      // This tab held the conversation a moment ago (a reload or a network blip).
      this.send({ type: "takeover" });
      this.render();
    } else {
      this.status.setUpstream({ status: message.live_elsewhere ? "connected" : "disconnected" });
      this.render();
      this.onViewer();
    }
  }

  /** `device.replaced`: another device or tab took the conversation. */
  replaced() {
    this.presence.apply({ type: "replaced" });
    sessionStorage.removeItem(this.storageKey);
    this.render();
    this.onViewer();
    this.toasts.show("The conversation continues on another device.", { key: "presence" });
  }

  /** The `takeover_failed` or `live_limit` error. */
  failed() {
    const before = this.presence.apply({ type: "takeover_failed" });
    if (before.name === RECLAIMING) {
      this.render();
      this.onViewer();
    } else if (before.name === TAKING_OVER) {
      this.banner.render(this.presence.banner);
    }
  }

  takeOver() {
    if (!this.send({ type: "takeover" })) {
      this.toasts.show("Not connected yet. Try again in a moment.", { kind: "warning" });
      return;
    }
    this.presence.apply({ type: "takeover_sent" });
    this.banner.render(this.presence.banner);
  }

  render() {
    const role = this.presence.role;
    this.panel.dataset.role = role;
    this.status.setElsewhere(role !== "owner");
    this.banner.render(this.presence.banner);
  }
}
