// The connection indicator: the upstream Live status from the server, unless
// the page's own socket is down, which then takes precedence. The countdown
// sits outside the live region so screen readers hear changes, not ticks.
// `paused` is the page's own word for a quiet conversation the server let rest.

const LABELS = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  disconnecting: "Ending…",
  disconnected: "Disconnected",
  paused: "Paused",
};

const DISCONNECTED_DETAILS = {
  user: "You ended this conversation.",
  gave_up: "Live could not be reached after several tries.",
  device_switch: "The conversation continues on another device.",
  error: "The connection to Live failed.",
};

export class StatusIndicator {
  constructor(root) {
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
    this.render();
  }

  setUpstream(message) {
    this.upstream = {
      status: LABELS[message.status] ? message.status : "connecting",
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
    let detail = "";
    let retryAt = 0;
    const browser = this.browser;
    if (browser.state === "stopped" || (browser.state === "open" && browser.online)) {
      layer = "live";
      status = this.upstream.status;
      if (status === "reconnecting") {
        if (this.upstream.attempt) detail = `attempt ${this.upstream.attempt}`;
        retryAt = this.upstream.retryAt;
      } else if (status === "disconnected") {
        detail = DISCONNECTED_DETAILS[this.upstream.reason] || "";
      } else if (status === "paused") {
        detail = "Quiet for a while. Type or talk to carry on.";
      }
      if (this.elsewhere && status !== "disconnected") detail = "on another device";
    } else {
      layer = "page";
      const retrying = browser.attempt > 1 || browser.state !== "connecting";
      status = retrying || !browser.online ? "reconnecting" : "connecting";
      if (!browser.online) detail = "You're offline. Waiting for the network…";
      else if (status === "reconnecting") detail = `to Continuum, attempt ${browser.attempt}`;
      retryAt = browser.retryAt;
    }
    this.root.dataset.status = status;
    this.root.dataset.layer = layer;
    if (this.upstream.reason) this.root.dataset.reason = this.upstream.reason;
    else delete this.root.dataset.reason;
    this.label.textContent = LABELS[status];
    this.detail.textContent = detail;
    this.retryAt = retryAt;
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
