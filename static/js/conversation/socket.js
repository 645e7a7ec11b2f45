// The page's own WebSocket to the server, which reconnects by itself.
//
// Retries use exponential backoff with full jitter and a cap; the first retry
// is immediate. `online` retries at once, and so does a wake from sleep (a
// socket that slept is often half-open and would otherwise linger). Close
// codes that mean "signed out" or "no such conversation" stop the loop for good.

// The server's close codes: 4401 not logged in (or the session ended: signed
// out, the password changed, the account deleted), 4404 not found or deleted.
// 4408 (hello not received in time) is worth a retry like any drop.
const FATAL_CLOSE_CODES = {
  4401: "signed_out",
  4404: "not_found",
};
const STABLE_AFTER_MS = 5000;
const WAKE_GAP_MS = 15000;
const FAILURES_BEFORE_ACCESS_CHECK = 3;

/** The socket's address for a path on this page's host: wss: on an https: page. */
export function socketUrl(path, { protocol, host }) {
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}${path}`;
}

/** Why a close code ends the socket for good, or null when it is worth a retry. */
export function fatalCloseReason(code) {
  return Object.hasOwn(FATAL_CLOSE_CODES, code) ? FATAL_CLOSE_CODES[code] : null;
}

/** Milliseconds before connection attempt `attempt` (1-based): none for the first. */
export function backoffDelay(attempt, { baseMs = 500, capMs = 15000, random = Math.random } = {}) {
  if (attempt <= 1) return 0;
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 2));
  return Math.round(random() * ceiling);
}

export class ConversationSocket extends EventTarget {
  constructor(url, { hello, pageUrl = window.location.href, backoff = {} }) {
    super();
    this.url = url;
    this.hello = hello;
    this.pageUrl = pageUrl;
    this.backoff = backoff;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.failuresBeforeOpen = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.openedAt = 0;
    this.stopped = false;
    this.lastTick = Date.now();
    this.wasVisible = document.visibilityState === "visible";
    this.wakeTimer = null;
    this.wentOffline = false;
    this.onOnline = () => {
      // A socket that lived through a network change is often half-open.
      if (this.wentOffline && this.state === "open") this.refresh();
      else this.reconnectNow();
      this.wentOffline = false;
    };
    this.onOffline = () => {
      this.wentOffline = true;
      this.emitState();
    };
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.state === "open";
  }

  start() {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.wakeTimer = window.setInterval(() => this.detectWake(), 2000);
    this.open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    window.clearInterval(this.wakeTimer);
    window.clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, "page closed");
    this.ws = null;
    this.setState("stopped");
  }

  /** Connect now: skip the remaining backoff, or replace a socket that may be stale. */
  reconnectNow() {
    if (this.stopped) return;
    if (this.state === "waiting") {
      this.open();
    } else if (this.state === "open" && !navigator.onLine) {
      this.emitState();
    }
  }

  /** Drop the current socket (even one that looks open) and connect again at once. */
  refresh() {
    if (this.stopped || this.state === "connecting") return;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "refresh");
    this.open();
  }

  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  sendAudio(buffer) {
    if (!this.isOpen) return false;
    this.ws.send(buffer);
    return true;
  }

  open() {
    window.clearTimeout(this.retryTimer);
    this.attempt += 1;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.openedAt = Date.now();
      this.failuresBeforeOpen = 0;
      // The server expects hello first: nothing else is sent before it.
      ws.send(JSON.stringify(this.hello()));
      this.setState("open");
      this.dispatchEvent(new Event("open"));
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      if (typeof event.data === "string") {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message && typeof message.type === "string") {
          this.dispatchEvent(new CustomEvent("message", { detail: message }));
        }
      } else {
        this.dispatchEvent(new CustomEvent("audio", { detail: event.data }));
      }
    };
    ws.onclose = (event) => this.handleClose(ws, event);
    ws.onerror = () => {
      // A close event always follows; it carries what is needed.
    };
  }

  handleClose(ws, event) {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.stopped) return;
    const wasOpen = this.openedAt > 0 && this.state === "open";
    if (wasOpen && Date.now() - this.openedAt >= STABLE_AFTER_MS) this.attempt = 0;
    this.openedAt = 0;
    this.dispatchEvent(new CustomEvent("close", { detail: { code: event.code, wasOpen } }));
    const fatal = fatalCloseReason(event.code);
    if (fatal) {
      this.fail(fatal);
      return;
    }
    if (!wasOpen) this.failuresBeforeOpen += 1;
    if (this.failuresBeforeOpen >= FAILURES_BEFORE_ACCESS_CHECK) {
      // A refused handshake looks like any network failure; ask the page itself.
      this.checkAccess().then((problem) => {
        if (problem) this.fail(problem);
        else this.scheduleRetry();
      });
      return;
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt + 1, this.backoff);
    this.retryAt = Date.now() + delay;
    this.setState("waiting");
    this.retryTimer = window.setTimeout(() => this.open(), delay);
  }

  async checkAccess() {
    try {
      const response = await fetch(this.pageUrl, {
        credentials: "same-origin",
        redirect: "manual",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
      if (response.type === "opaqueredirect" || response.status === 401) return "signed_out";
      if (response.status === 403) return "forbidden";
      if (response.status === 404) return "not_found";
    } catch {
      // Offline: keep retrying.
    }
    return null;
  }

  fail(reason) {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    this.setState("stopped");
    this.dispatchEvent(new CustomEvent("fatal", { detail: { reason } }));
  }

  detectWake() {
    const now = Date.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    // Hidden tabs have their timers throttled: a long gap there is not a sleep.
    if (document.visibilityState !== "visible" || !this.wasVisible) {
      this.wasVisible = document.visibilityState === "visible";
      return;
    }
    if (gap > WAKE_GAP_MS && this.state === "open") this.refresh();
  }

  setState(state) {
    this.state = state;
    this.emitState();
  }

  emitState() {
    this.dispatchEvent(
      new CustomEvent("statechange", {
        detail: {
          state: this.state,
          attempt: this.attempt,
          retryAt: this.state === "waiting" ? this.retryAt : 0,
          online: navigator.onLine,
        },
      }),
    );
  }
}
