// Short notices in a polite live region; errors are announced assertively.

export class Toaster {
  constructor(region, { timeoutMs = 7000 } = {}) {
    this.region = region;
    this.timeoutMs = timeoutMs;
  }

  show(text, { kind = "info", timeoutMs = this.timeoutMs, key = "" } = {}) {
    if (key) {
      const existing = this.region.querySelector(`[data-key="${key}"]`);
      if (existing) existing.remove();
    }
    const toast = document.createElement("div");
    toast.className = `toast toast--${kind}`;
    toast.dataset.kind = kind;
    if (key) toast.dataset.key = key;
    if (kind === "error") toast.setAttribute("role", "alert");
    const message = document.createElement("span");
    message.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());
    toast.append(message, close);
    this.region.append(toast);
    if (timeoutMs > 0) window.setTimeout(() => toast.remove(), timeoutMs);
    return toast;
  }
}
