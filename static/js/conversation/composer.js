// The composer: typed turns, sent with Enter or the Send button, and the End
// button beside them. Every typed turn waits in `PendingTurns` (and as a
// bubble in the transcript) until its stored item arrives, and goes out again
// whenever its fate is unknown: the server stores a turn id only once.

import { PendingTurns } from "./turns.js";

const SENDING_NOTE = "sending…";
const HELD_NOTE = "not sent yet: it goes out when you continue here";

/** Whether a key press sends the turn: Enter alone, and not while an IME composes. */
export function isSendKey(event) {
  return event.key === "Enter" && !event.shiftKey && !event.isComposing;
}

/** `{ text, error }`: the text a turn sends, trimmed, and why it cannot go (null when it can). */
export function checkTurnText(value, maxChars) {
  const text = String(value ?? "").trim();
  if (maxChars && text.length > maxChars) {
    return { text, error: `A message has at most ${maxChars} characters.` };
  }
  return { text, error: null };
}

export class Composer {
  /**
   * `send(message)` sends a frame and returns whether it went; `isOwner()` says
   * whether this page holds the conversation (only the owner's turns go out now).
   */
  constructor(panel, { transcript, toasts, storageKey, maxChars, send, isOwner }) {
    const find = (selector) => panel.querySelector(selector);
    this.elements = {
      form: find("#composer"),
      controls: find("#composer-controls"),
      text: find("#composer-text"),
      end: find("#end"),
    };
    this.panel = panel;
    this.transcript = transcript;
    this.toasts = toasts;
    this.maxChars = maxChars;
    this.send = send;
    this.isOwner = isOwner;
    this.turns = new PendingTurns(storageKey);
    this.focusWhenEnabled = false;
    if (maxChars) this.elements.text.maxLength = maxChars;
  }

  /** Copies of the turns not acknowledged yet, oldest first. */
  get pendingTurns() {
    return this.turns.all;
  }

  /** Wire Send, Enter and End; `onEnd()` runs when End is pressed. */
  bind({ onEnd }) {
    const { form, text, end } = this.elements;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    text.addEventListener("keydown", (event) => {
      if (isSendKey(event)) {
        event.preventDefault();
        this.submit();
      }
    });
    end.addEventListener("click", () => {
      onEnd();
      end.disabled = true;
    });
  }

  submit() {
    const { text, controls } = this.elements;
    const checked = checkTurnText(text.value, this.maxChars);
    if (!checked.text || controls.disabled) return;
    if (checked.error) {
      this.toasts.show(checked.error, { kind: "error" });
      return;
    }
    const turn = this.turns.add(checked.text);
    this.transcript.addPendingTurn(turn);
    // A socket that may be dead is fine: a lost turn goes out again after the
    // reconnect, and one that arrived twice is stored once.
    if (this.isOwner()) this.sendTurn(turn);
    this.transcript.expectReply();
    text.value = "";
    text.focus();
  }

  setEnabled(enabled) {
    this.elements.controls.disabled = !enabled;
    this.elements.end.disabled = !enabled;
    this.panel.dataset.composer = enabled ? "enabled" : "disabled";
    if (enabled && this.focusWhenEnabled) {
      this.focusWhenEnabled = false;
      this.elements.text.focus();
    }
  }

  /** The takeover button that had focus is gone: carry on where typing happens. */
  focusAfterTakeover() {
    const focus = document.activeElement;
    this.focusWhenEnabled = !focus || focus === document.body || this.panel.contains(focus);
  }

  /** Turns typed before a reload that the server has not acknowledged yet. */
  showPendingTurns() {
    for (const turn of this.turns.all) {
      if (this.transcript.showsTurn(turn.id)) this.turns.acknowledge(turn.id);
      else this.transcript.addPendingTurn(turn);
    }
  }

  /** This page just became the owner: send every unacknowledged turn again, in order. */
  resendTurns() {
    this.transcript.notePendingTurns(SENDING_NOTE);
    for (const turn of this.turns.all) {
      if (!this.sendTurn(turn)) return;
    }
  }

  /** This page is only watching: its turns wait until it continues here. */
  holdTurns() {
    this.transcript.notePendingTurns(HELD_NOTE);
  }

  /** A stored item with this turn id arrived, whichever way it came: the turn is safe. */
  acknowledge(id) {
    this.turns.acknowledge(String(id));
    this.transcript.settleTurn(id);
  }

  sendTurn(turn) {
    return this.send({ type: "text", id: turn.id, text: turn.text });
  }
}
