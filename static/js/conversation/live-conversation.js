// The conversation page once it is live: wires the socket, the transcript,
// the status indicator, voice capture and playback, presence (which device
// holds the conversation) and the page going to the background.

import { resumeAudioOnGesture } from "./audio-context.js";
import { Microphone } from "./microphone.js";
import { PlaybackQueue } from "./playback.js";
import { RunGate } from "./runs.js";
import { ConversationSocket } from "./socket.js";
import { StatusIndicator } from "./status.js";
import { Toaster } from "./toasts.js";
import { TranscriptView, scrollToBottom } from "./transcript.js";
import { PendingTurns } from "./turns.js";

const MAX_TEXT_LENGTH = 4000;
const RESUMABLE_REASONS = new Set(["user", "gave_up", "error", "idle"]);
const FINAL_TEXT = {
  user: "The conversation is saved. Resume it whenever you like.",
  gave_up: "Nothing is lost: the conversation is saved. Resume when you are ready.",
  error: "Nothing is lost: the conversation is saved. Try resuming.",
  idle: "The conversation is saved. Resume it to carry on.",
};
const FATAL_TEXT = {
  signed_out: "You were signed out. Sign in again to carry on.",
  forbidden: "This conversation is not available to this account.",
  not_found: "This conversation no longer exists.",
  protocol: "Something went wrong on this page. Reload it to carry on.",
};
const MIC_TEXT = {
  off: "",
  starting: "Starting the microphone…",
  live: "Listening",
  paused: "Microphone paused",
  denied: "Microphone blocked",
  unavailable: "No microphone available",
};
const MOVED_TEXT = "This conversation moved to another device or tab.";
const SENDING_NOTE = "sending…";
const HELD_NOTE = "not sent yet: it goes out when you continue here";
const BACKGROUND_NOTE =
  "Voice is paused while this page is in the background: phones switch the microphone " +
  "off for pages you cannot see. It comes back on when you return.";

function wsUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

function wasReload() {
  const [navigation] = performance.getEntriesByType("navigation");
  return Boolean(navigation && navigation.type === "reload");
}

export class LiveConversation {
  constructor(root, panel) {
    this.root = root;
    this.panel = panel;
    this.conversationId = root.dataset.conversationId;
    this.mode = root.dataset.mode;
    this.ownerKey = `continuum:owner:${this.conversationId}`;
    this.role = null;
    this.upstreamStatus = "connecting";
    // Only `end` and `resume` wait here; typed turns wait in `this.turns`.
    this.outbox = [];
    this.reclaimOnViewer = false;
    this.movedAway = false;
    this.takeoverPending = false;
    this.focusComposerNext = false;
    this.reclaiming = false;
    this.pausedForBackground = false;

    const find = (selector) => panel.querySelector(selector);
    this.elements = {
      composer: find("#composer"),
      controls: find("#composer-controls"),
      text: find("#composer-text"),
      mic: find("#mic"),
      micLabel: find("#mic-label"),
      micState: find("#mic-state"),
      end: find("#end"),
      presence: find("#presence"),
      presenceText: find("#presence-text"),
      takeover: find("#takeover"),
      final: find("#final"),
      finalText: find("#final-text"),
      resume: find("#resume"),
      signIn: find("#sign-in"),
      background: find("#background-note"),
    };

    this.transcript = new TranscriptView(document.getElementById("transcript"), {
      emptyNotice: document.getElementById("empty-transcript"),
      initialLastSeq: Number(root.dataset.lastSeq) || 0,
    });
    this.turns = new PendingTurns(`continuum:turns:${this.conversationId}`);
    this.runs = new RunGate();
    this.status = new StatusIndicator(find("#status"));
    this.toasts = new Toaster(find("#toasts"));
    this.playback = new PlaybackQueue({ sampleRate: 24000 });
    this.mic =
      this.mode === "voice" && this.elements.mic
        ? new Microphone({
            workletUrl: panel.dataset.workletUrl,
            onChunk: (pcm) => this.sendAudio(pcm),
          })
        : null;
    this.socket = new ConversationSocket(wsUrl(root.dataset.wsPath), {
      hello: () => ({ type: "hello", last_seq: this.transcript.lastSeq }),
    });
    this.handlers = {
      presence: (message) => this.onPresence(message),
      status: (message) => this.onStatus(message),
      "session.created": (message) => this.onSessionCreated(message),
      "context.restored": (message) => this.onContextRestored(message),
      "transcript.delta": (message) => this.onDelta(message),
      "transcript.item": (message) => this.onItem(message),
      "turn.complete": () => this.onTurnComplete(),
      interrupted: () => this.onInterrupted(),
      "device.replaced": () => this.onDeviceReplaced(),
      error: (message) => this.onError(message),
      warning: (message) => this.toasts.show(message.message || "Heads up.", { kind: "warning" }),
    };
  }

  start() {
    // A reload of a tab that held the conversation takes it straight back.
    this.reclaimOnViewer = wasReload() && sessionStorage.getItem(this.ownerKey) === "1";
    this.bindSocket();
    this.bindControls();
    this.bindPageLifecycle();
    resumeAudioOnGesture();
    this.showPendingTurns();
    this.setComposerEnabled(true);
    this.exposeDiagnostics();
    scrollToBottom();
    this.socket.start();
  }

  // -- socket ----------------------------------------------------------------
  bindSocket() {
    this.socket.addEventListener("statechange", (event) => {
      this.status.setBrowser(event.detail);
      this.panel.dataset.socket = event.detail.state;
    });
    this.socket.addEventListener("open", () => {
      this.role = null;
      this.status.setUpstream({ status: "connecting" });
    });
    this.socket.addEventListener("message", (event) => {
      const message = event.detail;
      if (!this.runs.admit(message)) return;
      const handler = this.handlers[message.type];
      if (handler) handler(message);
    });
    this.socket.addEventListener("audio", (event) => {
      if (this.role === "owner") this.playback.enqueue(event.detail);
      this.panel.dataset.playedSamples = String(this.playback.stats.scheduledSamples);
    });
    this.socket.addEventListener("fatal", (event) => this.onFatal(event.detail.reason));
  }

  send(message) {
    return this.socket.send(message);
  }

  /** Send `end` or `resume` now if this page holds the conversation, otherwise once it does. */
  sendWhenOwner(message) {
    // Offline, an "open" socket may be a dead one: hold the message until it is back.
    if (this.role === "owner" && navigator.onLine && this.socket.send(message)) return;
    this.outbox.push(message);
  }

  sendAudio(pcm) {
    if (this.role === "owner") this.socket.sendAudio(pcm);
  }

  sendTurn(turn) {
    return this.socket.send({ type: "text", id: turn.id, text: turn.text });
  }

  /** Send every unacknowledged turn again, in order: the server stores each id once. */
  resendTurns() {
    for (const turn of this.turns.all) {
      if (!this.sendTurn(turn)) return;
    }
  }

  /** Turns typed before a reload that the server has not acknowledged yet. */
  showPendingTurns() {
    for (const turn of this.turns.all) {
      if (this.transcript.showsTurn(turn.id)) this.turns.acknowledge(turn.id);
      else this.transcript.addPendingTurn(turn);
    }
  }

  // -- server events -----------------------------------------------------------
  onPresence(message) {
    const previous = this.role;
    this.role = message.role === "owner" ? "owner" : "viewer";
    this.panel.dataset.role = this.role;
    this.status.setElsewhere(this.role !== "owner");
    if (this.role === "owner") {
      // Only a press of "Continue here" / "Take it back" is worth a word; a
      // silent reclaim after a reload or a blip is not.
      const requested = this.takeoverPending;
      this.reclaimOnViewer = true;
      this.movedAway = false;
      this.takeoverPending = false;
      this.elements.takeover.disabled = false;
      this.reclaiming = false;
      sessionStorage.setItem(this.ownerKey, "1");
      this.hide(this.elements.presence);
      if (requested) {
        this.toasts.show("You are continuing here.", { key: "presence" });
        // The button that had focus is gone: carry on where typing happens.
        const focus = document.activeElement;
        this.focusComposerNext = !focus || focus === document.body || this.panel.contains(focus);
      }
      this.setComposerEnabled(this.upstreamStatus !== "disconnected");
      if (previous !== "owner") {
        // A new socket, or this page just took over: whatever was typed and not
        // acknowledged may never have reached the server.
        this.transcript.notePendingTurns(SENDING_NOTE);
        this.resendTurns();
      }
      const queued = this.outbox.splice(0);
      for (const queuedMessage of queued) this.socket.send(queuedMessage);
      if (this.mic && this.mic.state === "live") this.send({ type: "mic", state: "live" });
      return;
    }
    if (this.reclaimOnViewer && this.send({ type: "takeover" })) {
      // This tab held the conversation a moment ago (reload or a network blip).
      this.reclaimOnViewer = false;
      this.reclaiming = true;
      return;
    }
    this.reclaimOnViewer = false;
    this.status.setUpstream({ status: message.live_elsewhere ? "connected" : "disconnected" });
    if (this.movedAway) {
      this.becomeViewer(MOVED_TEXT, "Take it back");
      return;
    }
    this.becomeViewer(
      message.live_elsewhere
        ? "This conversation is live on another device or tab."
        : "This page is only watching the conversation.",
      "Continue here",
    );
  }

  onDeviceReplaced() {
    this.reclaimOnViewer = false;
    this.movedAway = true;
    sessionStorage.removeItem(this.ownerKey);
    this.becomeViewer(MOVED_TEXT, "Take it back");
    this.toasts.show("The conversation continues on another device.", { key: "presence" });
  }

  becomeViewer(text, actionLabel) {
    this.role = "viewer";
    this.panel.dataset.role = "viewer";
    this.status.setElsewhere(true);
    this.outbox = [];
    this.transcript.clearCaption("assistant");
    this.transcript.notePendingTurns(HELD_NOTE);
    this.stopMic("off");
    this.playback.flush();
    this.elements.presenceText.textContent = text;
    if (!this.takeoverPending) {
      this.elements.takeover.textContent = actionLabel;
      this.elements.takeover.disabled = false;
    }
    this.show(this.elements.presence);
    this.hide(this.elements.final);
    this.setComposerEnabled(false);
  }

  onStatus(message) {
    this.upstreamStatus = message.status;
    this.panel.dataset.upstream = message.status;
    this.status.setUpstream(message);
    if (message.status === "disconnected") {
      this.stopMic("off");
      this.playback.flush();
      this.setComposerEnabled(false);
      if (this.role !== "viewer" && message.reason !== "device_switch") {
        this.showFinal(message.reason);
      }
      return;
    }
    this.hide(this.elements.final);
    this.elements.resume.disabled = false;
    this.setComposerEnabled(this.role === "owner" && message.status !== "disconnecting");
  }

  showFinal(reason) {
    const text = FINAL_TEXT[reason] || "The conversation is not connected to Live.";
    this.elements.finalText.textContent = text;
    this.elements.resume.hidden = !RESUMABLE_REASONS.has(reason) && Boolean(reason);
    this.elements.resume.disabled = false;
    this.elements.resume.textContent = "Resume";
    this.show(this.elements.final);
    if (this.focusResumeOnFinal) {
      this.focusResumeOnFinal = false;
      this.elements.resume.focus();
    }
  }

  onSessionCreated(message) {
    this.panel.dataset.runId = String(message.run_id);
    // A new upstream connection: a turn that was streaming on the old one is
    // asked again from its start, so its half caption and audio must go.
    this.transcript.clearCaption("assistant");
    this.transcript.clearCaption("user");
    this.playback.flush();
    if (this.role !== "owner") return;
    if (message.resumed && Number(message.run_id) >= 1) {
      this.toasts.show(`Reconnected to Live (reconnection ${message.run_id}).`, {
        key: "session",
      });
    }
  }

  onContextRestored(message) {
    const items = Array.isArray(message.items) ? message.items : [];
    for (const item of items) this.onItem(item);
    const text =
      message.source === "transcript"
        ? "Context rebuilt from the saved transcript: Live starts fresh with the conversation so far."
        : "Context restored: Live kept the conversation's memory.";
    this.panel.dataset.contextSource = message.source || "";
    if (this.role === "owner") this.toasts.show(text, { key: "context" });
  }

  onItem(item) {
    this.transcript.addItem(item);
    // The acknowledgement of a typed turn, whichever way it came: live, in the
    // replay after hello, in a restored context, or as the answer to a re-send.
    if (item.id) {
      this.turns.acknowledge(String(item.id));
      this.transcript.settleTurn(item.id);
    }
  }

  onDelta(message) {
    const role = message.role === "user" ? "user" : "assistant";
    this.transcript.appendCaption(role, String(message.text ?? ""));
  }

  onTurnComplete() {
    const caption = this.transcript.captionElements.assistant;
    if (caption && caption.dataset.pending === "true") this.transcript.clearCaption("assistant");
  }

  onInterrupted() {
    this.playback.flush();
    this.transcript.markCaptionInterrupted("assistant");
  }

  onError(message) {
    const text = message.message || "Something went wrong.";
    if (message.code === "takeover_failed") {
      this.takeoverPending = false;
      if (this.reclaiming) {
        this.reclaiming = false;
        this.becomeViewer("This conversation is live on another device or tab.", "Continue here");
      }
      this.elements.takeover.disabled = false;
      this.elements.takeover.textContent = this.movedAway ? "Take it back" : "Continue here";
    }
    this.toasts.show(text, { kind: "error", timeoutMs: 10000 });
    const caption = this.transcript.captionElements.assistant;
    if (caption && caption.dataset.pending === "true") this.transcript.clearCaption("assistant");
  }

  onFatal(reason) {
    this.role = null;
    this.stopMic("off");
    this.playback.flush();
    this.setComposerEnabled(false);
    this.hide(this.elements.presence);
    this.elements.finalText.textContent = FATAL_TEXT[reason] || FATAL_TEXT.protocol;
    this.elements.resume.hidden = true;
    this.elements.signIn.hidden = reason !== "signed_out";
    this.show(this.elements.final);
    this.panel.dataset.fatal = reason;
  }

  // -- controls ----------------------------------------------------------------
  bindControls() {
    const { composer, text, mic, end, takeover, resume } = this.elements;
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitText();
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submitText();
      }
    });
    end.addEventListener("click", () => {
      this.stopMic("off");
      this.playback.flush();
      this.focusResumeOnFinal = true;
      this.sendWhenOwner({ type: "end" });
      end.disabled = true;
    });
    takeover.addEventListener("click", () => {
      if (this.send({ type: "takeover" })) {
        this.takeoverPending = true;
        takeover.disabled = true;
        takeover.textContent = "Taking over…";
      } else {
        this.toasts.show("Not connected yet. Try again in a moment.", { kind: "warning" });
      }
    });
    resume.addEventListener("click", () => {
      resume.disabled = true;
      resume.textContent = "Resuming…";
      this.sendWhenOwner({ type: "resume" });
    });
    if (this.mic) {
      mic.addEventListener("click", () => this.toggleMic());
      this.mic.addEventListener("statechange", (event) => this.onMicState(event.detail));
      this.mic.addEventListener("level", (event) => {
        mic.style.setProperty("--mic-level", Math.min(1, event.detail * 2).toFixed(2));
      });
    }
    this.playback.addEventListener("speaking", () => (this.panel.dataset.speaking = "true"));
    this.playback.addEventListener("idle", () => (this.panel.dataset.speaking = "false"));
    this.playback.addEventListener("blocked", () =>
      this.toasts.show("Sound is held back by the browser. Click anywhere on the page to hear replies.", {
        key: "sound",
        kind: "warning",
      }),
    );
  }

  submitText() {
    const { text } = this.elements;
    const value = text.value.trim();
    if (!value || this.elements.controls.disabled) return;
    if (value.length > MAX_TEXT_LENGTH) {
      this.toasts.show(`A message has at most ${MAX_TEXT_LENGTH} characters.`, { kind: "error" });
      return;
    }
    const turn = this.turns.add(value);
    this.transcript.addPendingTurn(turn);
    // A socket that may be dead is fine: a lost turn goes out again after the
    // reconnect, and one that arrived twice is stored once.
    if (this.role === "owner") this.sendTurn(turn);
    if (!this.transcript.hasCaption("assistant")) this.transcript.showPending("assistant", "…");
    text.value = "";
    text.focus();
  }

  setComposerEnabled(enabled) {
    this.elements.controls.disabled = !enabled;
    this.elements.end.disabled = !enabled;
    this.panel.dataset.composer = enabled ? "enabled" : "disabled";
    if (enabled && this.focusComposerNext) {
      this.focusComposerNext = false;
      this.elements.text.focus();
    }
  }

  // -- microphone ----------------------------------------------------------------
  async toggleMic() {
    if (this.mic.active) {
      this.pausedForBackground = false;
      this.stopMic("off");
      return;
    }
    const started = await this.mic.start();
    if (!started && this.mic.state === "denied") {
      this.toasts.show(
        "The browser blocked the microphone. Allow it in this site's settings to talk.",
        { kind: "error", key: "mic" },
      );
    } else if (!started && this.mic.state === "unavailable") {
      this.toasts.show("No microphone could be opened on this device.", { kind: "error", key: "mic" });
    }
  }

  stopMic(nextState) {
    if (this.mic && (this.mic.active || this.mic.state === "paused")) this.mic.stop(nextState);
  }

  onMicState({ state, previous }) {
    const { mic, micLabel, micState } = this.elements;
    const on = state === "live" || state === "starting";
    mic.setAttribute("aria-pressed", on ? "true" : "false");
    micLabel.textContent = on ? "Stop talking" : "Talk";
    micState.textContent = MIC_TEXT[state] || "";
    micState.dataset.mic = state;
    this.panel.dataset.mic = state;
    if (state === "live") {
      this.send({ type: "mic", state: "live" });
    } else if (previous === "live") {
      this.send({ type: "audio.end" });
      this.send({ type: "mic", state: "paused" });
      mic.style.setProperty("--mic-level", "0");
      if (state === "paused" && !this.pausedForBackground) {
        this.toasts.show("The microphone stopped. Press Talk to carry on.", { kind: "warning", key: "mic" });
      }
    }
  }

  // -- page lifecycle --------------------------------------------------------------
  bindPageLifecycle() {
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.onHidden();
      else this.onVisible();
    });
    window.addEventListener("pagehide", () => this.onHidden());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        this.socket.refresh();
        this.onVisible();
      }
    });
  }

  onHidden() {
    if (!this.mic || !this.mic.active) return;
    this.pausedForBackground = true;
    this.mic.stop("paused");
    this.elements.background.textContent = BACKGROUND_NOTE;
    this.show(this.elements.background);
    this.panel.dataset.background = "true";
  }

  async onVisible() {
    this.panel.dataset.background = "false";
    this.socket.reconnectNow();
    if (!this.pausedForBackground || !this.mic) return;
    this.pausedForBackground = false;
    if (this.role !== "owner" || this.upstreamStatus === "disconnected") {
      this.hide(this.elements.background);
      this.mic.stop("off");
      return;
    }
    const started = await this.mic.start();
    this.hide(this.elements.background);
    if (started) {
      this.toasts.show(
        "Welcome back. Voice was paused while the page was in the background; the microphone is on again.",
        { key: "mic" },
      );
    } else {
      this.toasts.show("Press Talk to switch the microphone back on.", { kind: "warning", key: "mic" });
    }
  }

  // -- helpers -----------------------------------------------------------------
  show(element) {
    element.hidden = false;
  }

  hide(element) {
    element.hidden = true;
  }

  exposeDiagnostics() {
    // Read-only view of what the page did, for support and for end-to-end checks.
    const conversation = this;
    window.continuum = {
      get role() {
        return conversation.role;
      },
      get status() {
        return conversation.status.current;
      },
      get statusLog() {
        return conversation.status.log.slice();
      },
      get playback() {
        return { ...conversation.playback.stats };
      },
      get mic() {
        return conversation.mic ? conversation.mic.state : "none";
      },
      get micChunksSent() {
        return conversation.mic ? conversation.mic.chunksSent : 0;
      },
      get lastSeq() {
        return conversation.transcript.lastSeq;
      },
      get socket() {
        return conversation.socket.state;
      },
      get pendingTurns() {
        return conversation.turns.all;
      },
    };
  }
}
