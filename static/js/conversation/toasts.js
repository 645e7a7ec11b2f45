// Short notices in a polite live region; errors are announced assertively.
//
// One notice per topic: a new one on the same topic replaces the old in place,
// and the page dismisses a topic when what it described has changed (a
// "connection restored" once the connection drops again). The region sits in
// the live panel's flow, under the status line, so a notice pushes the
// controls rather than covering them; when the reader was at the newest
// message, the page scrolls so that it stays in view.

function nearBottom() {
  const root = document.scrollingElement || document.documentElement;
  return root.scrollHeight - (root.scrollTop + window.innerHeight) < 120;
}

function keepBottomInView(change) {
  const follow = nearBottom();
  change();
  if (follow) {
    const root = document.scrollingElement || document.documentElement;
    root.scrollTop = root.scrollHeight;
  }
}

export class Toaster {
  constructor(region, { timeoutMs = 7000 } = {}) {
    this.region = region;
    this.timeoutMs = timeoutMs;
    this.timers = new Map();
    // Every notice shown, for diagnostics.js: `{ topic, kind, text, at }`.
    this.log = [];
  }

  /** Show `text` on `topic` (by default, its kind), replacing what the topic said. */
  show(text, { kind = "info", timeoutMs = this.timeoutMs, topic = "", key = "" } = {}) {
    const name = topic || key || kind;
    let toast = this.find(name);
    keepBottomInView(() => {
      if (!toast) {
        toast = document.createElement("div");
        const message = document.createElement("span");
        message.className = "toast__text";
        const close = document.createElement("button");
        close.type = "button";
        close.className = "toast__close";
        close.setAttribute("aria-label", "Dismiss");
        close.textContent = "×";
        close.addEventListener("click", () => this.dismiss(name));
        toast.append(message, close);
        toast.dataset.key = name;
        this.region.append(toast);
      }
      toast.className = `toast toast--${kind}`;
      toast.dataset.kind = kind;
      if (kind === "error") toast.setAttribute("role", "alert");
      else toast.removeAttribute("role");
      toast.querySelector(".toast__text").textContent = text;
    });
    window.clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    if (timeoutMs > 0) this.timers.set(name, window.setTimeout(() => this.dismiss(name), timeoutMs));
    this.log.push({ topic: name, kind, text, at: Date.now() });
    return toast;
  }

  /** Take the notice on `topic` away, if one shows. */
  dismiss(topic) {
    window.clearTimeout(this.timers.get(topic));
    this.timers.delete(topic);
    const toast = this.find(topic);
    if (toast) toast.remove();
  }

  find(topic) {
    for (const toast of this.region.children) {
      if (toast.dataset.key === topic) return toast;
    }
    return null;
  }
}
