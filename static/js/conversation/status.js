// The connection indicator: the upstream Live status from the server, unless
// the page's own socket is down, which then takes precedence. The countdown
// sits outside the live region so screen readers hear changes, not ticks.
// `paused` is the page's own word for a quiet conversation the server let rest.
// What shows, and when, is calm.js's call: a drop that heals within a second
// never shows.

import { CalmStatus } from "./calm.js";

const LABELS = {
  connecting: "Connecting…",
  connected: "Live here",
  reconnecting: "Reconnecting…",
  disconnecting: "Ending…",
  disconnected: "Not live",
  paused: "Paused",
};
const LIVE_ELSEWHERE = "Live on another device";

const DISCONNECTED_DETAILS = {
  user: "You ended this conversation.",
  gave_up: "Live could not be reached after several tries.",
  device_switch: "The conversation continues on another device.",
  error: "The connection to Live failed.",
};

/**
 * What the line says for a status: `{ label, detail }`. `elsewhere`: the live
 * session belongs to another device or tab. No attempt counts: they mean
 * nothing to a person.
 */
export function statusText({ status, reason, elsewhere = false, offline = false }) {
  let label = Object.hasOwn(LABELS, status) ? LABELS[status] : LABELS.connecting;
  let detail = "";
  if (offline) detail = "You're offline. Waiting for the network…";
  else if (status === "disconnected" && Object.hasOwn(DISCONNECTED_DETAILS, reason)) {
    detail = DISCONNECTED_DETAILS[reason];
  }
  else if (status === "paused") detail = "Quiet for a while. Type or talk to carry on.";
  if (elsewhere && status === "connected") label = LIVE_ELSEWHERE;
  else if (elsewhere && status !== "disconnected" && !offline) detail = "on another device";
  return { label, detail };
}

export class StatusIndicator {
  /** `onLive(after)` and `onTrouble(view)`: see calm.js. */
  constructor(root, { onLive, onTrouble, graceMs } = {}) {
    this.root = root;
    this.root.replaceChildren();
    this.label = document.createElement("span");
    this.label.className = "status__label";
    this.detail = document.createElement("span");
    this.detail.className = "status__detail";
    this.countdown = document.createElement("span");
    this.countdown.className = "status__countdown";
    this.countdown.setAttribute("aria-hidden", "true");
    this.root.append(this.label, this.detail, this.countdown);
    this.upstream = { status: "connecting" };
    this.elsewhere = false;
    this.browser = { state: "connecting", attempt: 0, retryAt: 0, online: true };
    this.retryAt = 0;
    this.timer = null;
    this.log = [];
    this.calm = new CalmStatus({ onShow: (view) => this.paint(view), onLive, onTrouble, graceMs });
    this.render();
  }

  setUpstream(message) {
    this.upstream = {
      status: Object.hasOwn(LABELS, message.status) ? message.status : "connecting",
      attempt: message.attempt,
      reason: message.reason,
      retryAt: message.retry_in_ms != null ? Date.now() + Number(message.retry_in_ms) : 0,
    };
    this.render();
  }

  /** Whether the live session belongs to another device or tab. */
  setElsewhere(elsewhere) {
    this.elsewhere = elsewhere;
    this.render();
  }

  setBrowser(state) {
    this.browser = state;
    this.render();
  }

  get current() {
    return this.root.dataset.status;
  }

  render() {
    let status;
    let layer;
    let retryAt = 0;
    const browser = this.browser;
    if (browser.state === "stopped" || (browser.state === "open" && browser.online)) {
      layer = "live";
      status = this.upstream.status;
      if (status === "reconnecting") retryAt = this.upstream.retryAt;
    } else {
      layer = "page";
      const retrying = browser.attempt > 1 || browser.state !== "connecting";
      status = retrying || !browser.online ? "reconnecting" : "connecting";
      retryAt = browser.retryAt;
    }
    const reason = layer === "live" ? this.upstream.reason : undefined;
    const { label, detail } = statusText({
      status,
      reason,
      elsewhere: this.elsewhere && layer === "live",
      offline: layer === "page" && !browser.online,
    });
    const attempt = layer === "live" ? this.upstream.attempt : browser.attempt;
    this.calm.want({ status, layer, label, detail, reason, attempt, retryAt, elsewhere: this.elsewhere });
  }

  /** Show a view (calm.js decides which, and when). */
  paint(view) {
    const { status, layer, label, detail, reason, attempt } = view;
    const root = this.root;
    root.dataset.status = status;
    root.dataset.layer = layer;
    root.dataset.where = view.elsewhere ? "elsewhere" : "here";
    if (reason) root.dataset.reason = reason;
    else delete root.dataset.reason;
    if (attempt) root.dataset.attempt = String(attempt);
    else delete root.dataset.attempt;
    this.label.textContent = label;
    this.detail.textContent = detail;
    this.retryAt = view.retryAt;
    this.tick();
    const last = this.log[this.log.length - 1];
    if (!last || last.status !== status || last.layer !== layer) {
      this.log.push({ status, layer, detail, at: Date.now() });
    }
  }

  tick() {
    const remaining = this.retryAt - Date.now();
    if (remaining > 0) {
      this.countdown.textContent = `retrying in ${Math.ceil(remaining / 1000)} s`;
      if (!this.timer) this.timer = window.setInterval(() => this.tick(), 250);
    } else {
      this.countdown.textContent = "";
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }
}
