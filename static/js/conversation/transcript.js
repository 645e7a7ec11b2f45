// The transcript on the page: stored items (deduplicated by seq, kept in seq
// order), typed turns on their way (one bubble per turn id), and one live
// caption per role while a turn is streaming. A stored item replaces the
// caption of its role, or the bubble of its turn id. The elements are this
// view's own: the page asks for what it needs through the methods below.

import { formatTime } from "../clock.js";

const ROLE_LABELS = { user: "You", assistant: "Assistant", system: "System", tool: "Tool" };

function nearBottom() {
  const root = document.scrollingElement || document.documentElement;
  return root.scrollHeight - (root.scrollTop + window.innerHeight) < 120;
}

function scrollToBottom() {
  const root = document.scrollingElement || document.documentElement;
  root.scrollTop = root.scrollHeight;
}

export class TranscriptView {
  #list;
  #emptyNotice;
  // The live region below the stored items: captions and turns on their way.
  #region;
  // The live caption of each role while its turn streams.
  #captions = {};

  constructor(list, { emptyNotice = null, initialLastSeq = 0 } = {}) {
    this.#list = list;
    this.#emptyNotice = emptyNotice;
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
    this.#region = document.createElement("ol");
    this.#region.className = "transcript transcript--live";
    this.#region.setAttribute("aria-live", "polite");
    this.#region.setAttribute("aria-label", "Live captions");
    this.#region.dataset.captions = "";
    list.after(this.#region);
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
    const element = this.#renderItem(item);
    const next = [...this.#list.children].find((child) => Number(child.dataset.seq) > seq);
    this.#list.insertBefore(element, next || null);
    this.seqs.add(seq);
    this.highestSeq = Math.max(this.highestSeq, seq);
    if (item.id) this.turnIds.add(String(item.id));
    if (!(item.role === "user" && this.settleTurn(item.id))) this.#clearCaption(item.role);
    this.#hideEmptyNotice();
    if (follow) scrollToBottom();
    return true;
  }

  /** A piece of a live caption (`transcript.delta`). */
  appendCaption(role, text) {
    if (!text) return;
    const follow = nearBottom();
    const caption = this.#caption(role);
    const content = caption.querySelector(".item__content");
    if (caption.dataset.pending === "true") {
      content.textContent = "";
      caption.dataset.pending = "false";
    }
    content.textContent += text;
    caption.dataset.interrupted = "false";
    this.#hideEmptyNotice();
    if (follow) scrollToBottom();
  }

  /** A "…" placeholder for the reply to a turn just sent, unless the reply already shows. */
  expectReply() {
    if (this.#captions.assistant) return;
    const follow = nearBottom();
    const caption = this.#caption("assistant");
    caption.dataset.pending = "true";
    caption.querySelector(".item__content").textContent = "…";
    if (follow) scrollToBottom();
  }

  /** Take the reply's placeholder away when no reply is coming; a started reply stays. */
  clearPendingReply() {
    const caption = this.#captions.assistant;
    if (caption && caption.dataset.pending === "true") this.#clearCaption("assistant");
  }

  /** The reply stopped short (barge-in): its caption says so until more arrives. */
  markReplyInterrupted() {
    const caption = this.#captions.assistant;
    if (caption) caption.dataset.interrupted = "true";
  }

  /** Drop the reply's live caption (this page no longer follows the turn). */
  clearReply() {
    this.#clearCaption("assistant");
  }

  /** Drop both live captions: the turn they belonged to starts over. */
  clearCaptions() {
    this.#clearCaption("assistant");
    this.#clearCaption("user");
  }

  /** Whether a stored item of this turn id is on the page. */
  showsTurn(id) {
    return Boolean(id) && this.turnIds.has(String(id));
  }

  /** A typed turn on its way; `settleTurn` removes it when its stored item arrives. */
  addPendingTurn({ id, text }) {
    if (this.#pendingTurn(id)) return;
    const follow = nearBottom();
    const element = document.createElement("li");
    element.className = "item item--user item--pending";
    element.dataset.turnId = id;
    element.innerHTML =
      '<span class="item__role">You</span><div class="item__content"></div>' +
      '<span class="item__meta">sending…</span>';
    element.querySelector(".item__content").textContent = text;
    const assistant = this.#captions.assistant;
    this.#region.insertBefore(element, assistant && assistant.isConnected ? assistant : null);
    this.#hideEmptyNotice();
    if (follow) scrollToBottom();
  }

  /** Remove the bubble of a typed turn; returns whether there was one. */
  settleTurn(id) {
    const element = this.#pendingTurn(id);
    if (element) element.remove();
    return Boolean(element);
  }

  /** Say what is happening to the turns on their way ("sending…", "not sent"). */
  notePendingTurns(note) {
    for (const element of this.#region.querySelectorAll(".item--pending")) {
      element.querySelector(".item__meta").textContent = note;
    }
  }

  #pendingTurn(id) {
    if (!id) return null;
    const pending = this.#region.querySelectorAll(".item--pending");
    return [...pending].find((element) => element.dataset.turnId === String(id)) || null;
  }

  #hideEmptyNotice() {
    if (this.#emptyNotice) this.#emptyNotice.hidden = true;
  }

  #clearCaption(role) {
    const caption = this.#captions[role];
    if (caption) {
      caption.remove();
      delete this.#captions[role];
    }
  }

  #caption(role) {
    if (!this.#captions[role]) {
      const element = document.createElement("li");
      element.className = `item item--${role} item--caption`;
      element.dataset.caption = role;
      element.dataset.pending = "false";
      element.innerHTML =
        '<span class="item__role"></span><div class="item__content"></div>' +
        '<span class="item__meta">live</span>';
      element.querySelector(".item__role").textContent = ROLE_LABELS[role] || role;
      // The assistant's caption stays below the user's, as the turn reads.
      if (role === "user" && this.#captions.assistant) {
        this.#region.insertBefore(element, this.#captions.assistant);
      } else {
        this.#region.append(element);
      }
      this.#captions[role] = element;
    }
    return this.#captions[role];
  }

  #renderItem(item) {
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
