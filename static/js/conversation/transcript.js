// The transcript on the page: stored items (deduplicated by seq, kept in seq
// order), typed turns on their way (one bubble per turn id), and one live
// caption per role while a turn is streaming. A stored item replaces the
// caption of its role, or the bubble of its turn id.

const ROLE_LABELS = { user: "You", assistant: "Assistant", system: "System", tool: "Tool" };
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : TIME_FORMAT.format(date);
}

function nearBottom() {
  const root = document.scrollingElement || document.documentElement;
  return root.scrollHeight - (root.scrollTop + window.innerHeight) < 120;
}

function scrollToBottom() {
  const root = document.scrollingElement || document.documentElement;
  root.scrollTop = root.scrollHeight;
}

export class TranscriptView {
  constructor(list, { emptyNotice = null, initialLastSeq = 0 } = {}) {
    this.list = list;
    this.emptyNotice = emptyNotice;
    this.seqs = new Set();
    this.turnIds = new Set();
    // Items before the first server-rendered one belong to earlier pages of history.
    this.historyStart = 0;
    this.highestSeq = initialLastSeq;
    // Server-rendered times are UTC; show every time in the reader's own zone.
    for (const time of list.querySelectorAll("time[datetime]")) {
      const text = formatTime(time.dateTime);
      if (text) time.textContent = text;
    }
    for (const element of list.querySelectorAll("[data-seq]")) {
      const seq = Number(element.dataset.seq);
      this.seqs.add(seq);
      this.historyStart = this.historyStart ? Math.min(this.historyStart, seq) : seq;
      this.highestSeq = Math.max(this.highestSeq, seq);
      if (element.dataset.turnId) this.turnIds.add(element.dataset.turnId);
    }
    for (const time of list.querySelectorAll("time[datetime]")) {
      const local = formatTime(time.getAttribute("datetime"));
      if (local) time.textContent = local;
    }
    this.captions = document.createElement("ol");
    this.captions.className = "transcript transcript--live";
    this.captions.setAttribute("aria-live", "polite");
    this.captions.setAttribute("aria-label", "Live captions");
    this.captions.dataset.captions = "";
    list.after(this.captions);
    this.captionElements = {};
  }

  /** The highest seq this page shows: what `hello.last_seq` reports. */
  get lastSeq() {
    return this.highestSeq;
  }

  get count() {
    return this.seqs.size;
  }

  /** Show a stored item unless its seq is already shown; returns whether it was added. */
  addItem(item) {
    const seq = Number(item.seq);
    if (!Number.isInteger(seq) || seq < 1 || this.seqs.has(seq)) return false;
    if (seq < this.historyStart) return false;
    const follow = nearBottom();
    const element = this.renderItem(item);
    const next = [...this.list.children].find((child) => Number(child.dataset.seq) > seq);
    this.list.insertBefore(element, next || null);
    this.seqs.add(seq);
    this.highestSeq = Math.max(this.highestSeq, seq);
    if (item.id) this.turnIds.add(String(item.id));
    if (!(item.role === "user" && this.settleTurn(item.id))) this.clearCaption(item.role);
    if (this.emptyNotice) this.emptyNotice.hidden = true;
    if (follow) scrollToBottom();
    return true;
  }

  appendCaption(role, text) {
    if (!text) return;
    const follow = nearBottom();
    const caption = this.caption(role);
    const content = caption.querySelector(".item__content");
    if (caption.dataset.pending === "true") {
      content.textContent = "";
      caption.dataset.pending = "false";
    }
    content.textContent += text;
    caption.dataset.interrupted = "false";
    if (this.emptyNotice) this.emptyNotice.hidden = true;
    if (follow) scrollToBottom();
  }

  /** A placeholder caption (the user's sent text, or "…" while a reply starts). */
  showPending(role, text) {
    const follow = nearBottom();
    const caption = this.caption(role);
    caption.dataset.pending = "true";
    caption.querySelector(".item__content").textContent = text;
    if (follow) scrollToBottom();
  }

  /** Whether a stored item of this turn id is on the page. */
  showsTurn(id) {
    return Boolean(id) && this.turnIds.has(String(id));
  }

  /** A typed turn on its way; `settleTurn` removes it when its stored item arrives. */
  addPendingTurn({ id, text }) {
    const existing = this.pendingTurn(id);
    if (existing) return existing;
    const follow = nearBottom();
    const element = document.createElement("li");
    element.className = "item item--user item--pending";
    element.dataset.turnId = id;
    element.innerHTML =
      '<span class="item__role">You</span><div class="item__content"></div>' +
      '<span class="item__meta">sending…</span>';
    element.querySelector(".item__content").textContent = text;
    const assistant = this.captionElements.assistant;
    this.captions.insertBefore(element, assistant && assistant.isConnected ? assistant : null);
    if (this.emptyNotice) this.emptyNotice.hidden = true;
    if (follow) scrollToBottom();
    return element;
  }

  /** Remove the bubble of a typed turn; returns whether there was one. */
  settleTurn(id) {
    const element = this.pendingTurn(id);
    if (element) element.remove();
    return Boolean(element);
  }

  /** Say what is happening to the turns on their way ("sending…", "not sent"). */
  notePendingTurns(note) {
    for (const element of this.captions.querySelectorAll(".item--pending")) {
      element.querySelector(".item__meta").textContent = note;
    }
  }

  pendingTurn(id) {
    if (!id) return null;
    const pending = this.captions.querySelectorAll(".item--pending");
    return [...pending].find((element) => element.dataset.turnId === String(id)) || null;
  }

  hasCaption(role) {
    return Boolean(this.captionElements[role]);
  }

  markCaptionInterrupted(role) {
    const caption = this.captionElements[role];
    if (caption) caption.dataset.interrupted = "true";
  }

  clearCaption(role) {
    const caption = this.captionElements[role];
    if (caption) {
      caption.remove();
      delete this.captionElements[role];
    }
  }

  caption(role) {
    if (!this.captionElements[role]) {
      const element = document.createElement("li");
      element.className = `item item--${role} item--caption`;
      element.dataset.caption = role;
      element.dataset.pending = "false";
      element.innerHTML =
        '<span class="item__role"></span><div class="item__content"></div>' +
        '<span class="item__meta">live</span>';
      element.querySelector(".item__role").textContent = ROLE_LABELS[role] || role;
      // The assistant's caption stays below the user's, as the turn reads.
      if (role === "user" && this.captionElements.assistant) {
        this.captions.insertBefore(element, this.captionElements.assistant);
      } else {
        this.captions.append(element);
      }
      this.captionElements[role] = element;
    }
    return this.captionElements[role];
  }

  renderItem(item) {
    const element = document.createElement("li");
    const role = String(item.role || "assistant");
    element.className = `item item--${role}`;
    element.dataset.seq = String(item.seq);
    element.dataset.role = role;
    element.dataset.interrupted = item.interrupted ? "true" : "false";

    const label = document.createElement("span");
    label.className = "item__role";
    label.textContent = ROLE_LABELS[role] || role;

    const content = document.createElement("div");
    content.className = "item__content";
    content.textContent = String(item.content ?? "");

    const meta = document.createElement("span");
    meta.className = "item__meta";
    if (item.created_at) {
      const time = document.createElement("time");
      time.dateTime = item.created_at;
      time.textContent = formatTime(item.created_at);
      meta.append(time);
    }
    const notes = [];
    if (item.interrupted) notes.push("interrupted");
    if (item.modality === "audio") notes.push("spoken");
    if (notes.length) meta.append(`${item.created_at ? " · " : ""}${notes.join(" · ")}`);

    element.append(label, content, meta);
    return element;
  }
}

export { scrollToBottom };
