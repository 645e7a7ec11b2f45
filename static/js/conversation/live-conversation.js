// The conversation page once it is live: wires the socket to the transcript,
// the status indicator, presence (which device holds the conversation, in
// handover.js), the composer, voice, playback and the final banner, and acts
// on what the server says. Each part keeps its own elements; this decides
// who does what.

import { resumeAudioOnGesture } from "./audio-context.js";
import { Composer } from "./composer.js";
import { exposeDiagnostics } from "./diagnostics.js";
import { FinalBanner } from "./final-banner.js";
import { Handover } from "./handover.js";
import { readLimits, upstreamStatus } from "./limits.js";
import { watchPageLifecycle } from "./page-lifecycle.js";
import { PlaybackQueue } from "./playback.js";
import { RunGate } from "./runs.js";
import { ConversationSocket, socketUrl } from "./socket.js";
import { SpeakingIndicator } from "./speaking.js";
import { StatusIndicator } from "./status.js";
import { Toaster } from "./toasts.js";
import { TranscriptView, scrollToBottom } from "./transcript.js";
import { VoiceControls } from "./voice.js";

const NOTICES = {
  restored: "Connection restored — nothing was lost.",
  rebuilt: "Rebuilt from your saved conversation.",
};
// How long after Live comes back a restored context still belongs to that return.
const CONTEXT_NOTICE_WINDOW_MS = 5000;

export class LiveConversation {
  constructor(root, panel) {
    this.panel = panel;
    const conversationId = root.dataset.conversationId;
    this.upstreamStatus = "connecting";
    // Only `end` and `resume` wait here; typed turns wait in the composer.
    this.outbox = [];
    const send = (message) => this.socket.send(message);
    const isOwner = () => this.handover.role === "owner";

    this.transcript = new TranscriptView(document.getElementById("transcript"), {
      emptyNotice: document.getElementById("empty-transcript"),
      initialLastSeq: Number(root.dataset.lastSeq) || 0,
    });
    this.runs = new RunGate();
    this.toasts = new Toaster(panel.querySelector("#toasts"));
    this.liveAt = 0;
    // A context rebuilt from the transcript, to be told once Live shows.
    this.rebuilt = false;
    this.status = new StatusIndicator(panel.querySelector("#status"), {
      onLive: (after) => this.onLive(after),
      // Whatever was said about the connection no longer holds.
      onTrouble: () => this.toasts.dismiss("connection"),
    });
    this.playback = new PlaybackQueue({ sampleRate: 24000 });
    this.speaking = new SpeakingIndicator(panel.querySelector("#speaking"), { panel });
    this.socket = new ConversationSocket(socketUrl(root.dataset.wsPath, window.location), {
      hello: () => ({ type: "hello", last_seq: this.transcript.lastSeq }),
    });
    this.composer = new Composer(panel, {
      transcript: this.transcript,
      toasts: this.toasts,
      storageKey: `continuum:turns:${conversationId}`,
      maxChars: readLimits(root.dataset).maxTurnChars,
      send,
      isOwner,
    });
    const talks = root.dataset.mode === "voice" && panel.querySelector("#mic");
    this.voice = talks
      ? new VoiceControls(panel, {
          toasts: this.toasts,
          send,
          sendAudio: (pcm) => {
            if (isOwner()) this.socket.sendAudio(pcm);
          },
          canTalk: () => isOwner() && this.upstreamStatus !== "disconnected",
        })
      : null;
    this.handover = new Handover(panel, {
      conversationId,
      status: this.status,
      toasts: this.toasts,
      send,
      isOpen: () => this.socket.isOpen,
      onOwner: (change) => this.becomeOwner(change),
      onViewer: () => this.becomeViewer(),
    });
    this.final = new FinalBanner(panel);
    this.handlers = {
      presence: (message) => this.handover.heard(message),
      status: (message) => this.onStatus(message),
      "session.created": (message) => this.onSessionCreated(message),
      "context.restored": (message) => this.onContextRestored(message),
      "transcript.delta": (message) => this.onDelta(message),
      "transcript.item": (message) => this.onItem(message),
      "turn.complete": () => this.transcript.clearPendingReply(),
      interrupted: () => this.onInterrupted(),
      "device.replaced": () => this.handover.replaced(),
      error: (message) => this.onError(message),
      warning: (message) => this.toasts.show(message.message || "Heads up.", { kind: "warning" }),
    };
  }

  start() {
    this.bindSocket();
    this.bindControls();
    watchPageLifecycle({
      onHidden: () => this.voice?.pauseForBackground(),
      onVisible: () => this.onVisible(),
      onRestored: () => this.socket.refresh(),
    });
    resumeAudioOnGesture();
    this.composer.showPendingTurns();
    this.composer.setEnabled(true);
    exposeDiagnostics(this);
    scrollToBottom();
    this.socket.start();
  }

  bindSocket() {
    this.socket.addEventListener("statechange", (event) => {
      this.status.setBrowser(event.detail);
      this.panel.dataset.socket = event.detail.state;
    });
    this.socket.addEventListener("open", () => {
      this.handover.opened();
      this.status.setUpstream({ status: "connecting" });
    });
    this.socket.addEventListener("message", (event) => {
      const message = event.detail;
      if (!this.runs.admit(message)) return;
      const handler = this.handlers[message.type];
      if (handler) handler(message);
    });
    this.socket.addEventListener("audio", (event) => {
      if (this.handover.role === "owner") this.playback.enqueue(event.detail);
      this.panel.dataset.playedSamples = String(this.playback.stats.scheduledSamples);
    });
    this.socket.addEventListener("fatal", (event) => this.onFatal(event.detail.reason));
  }

  bindControls() {
    this.composer.bind({ onEnd: () => this.end() });
    this.handover.bind();
    this.final.bind(() => this.sendWhenOwner({ type: "resume" }));
    this.voice?.bind();
    this.playback.addEventListener("speaking", () => {
      this.speaking.set(true);
      this.toasts.dismiss("sound");
    });
    this.playback.addEventListener("idle", () => this.speaking.set(false));
    this.playback.addEventListener("blocked", () =>
      this.toasts.show("Sound is held back by the browser. Click anywhere on the page to hear replies.", {
        key: "sound",
        kind: "warning",
      }),
    );
  }

  send(message) {
    return this.socket.send(message);
  }

  /** Send `end` or `resume` now if this page holds the conversation, otherwise once it does. */
  sendWhenOwner(message) {
    // Offline, an "open" socket may be a dead one: hold the message until it is back.
    if (this.handover.role === "owner" && navigator.onLine && this.send(message)) return;
    this.outbox.push(message);
  }

  // -- presence (see handover.js) ---------------------------------------------------
  becomeOwner({ requested, fresh }) {
    if (requested) this.composer.focusAfterTakeover();
    this.composer.setEnabled(this.upstreamStatus !== "disconnected");
    // A new socket, or this page just took over: whatever was typed and not
    // acknowledged may never have reached the server.
    if (fresh) this.composer.resendTurns();
    for (const message of this.outbox.splice(0)) this.send(message);
    this.voice?.announce();
  }

  becomeViewer() {
    this.outbox = [];
    this.transcript.clearReply();
    this.composer.holdTurns();
    this.silence();
    this.final.hide();
    this.composer.setEnabled(false);
  }

  // -- the conversation ----------------------------------------------------------
  onStatus(message) {
    const status = upstreamStatus(message);
    this.upstreamStatus = status;
    this.panel.dataset.upstream = status;
    this.status.setUpstream({ ...message, status });
    if (status === "paused") {
      // Nothing to do: the next message or word brings Live back.
      this.final.dismiss();
      this.composer.setEnabled(this.handover.role === "owner");
      return;
    }
    if (status === "disconnected") {
      this.silence();
      this.composer.setEnabled(false);
      // A viewer's banner already says where the conversation is.
      if (this.handover.role !== "viewer" && message.reason !== "device_switch") {
        this.final.showStopped(message.reason);
      }
      return;
    }
    this.final.dismiss();
    this.composer.setEnabled(this.handover.role === "owner" && message.status !== "disconnecting");
  }

  onSessionCreated(message) {
    this.panel.dataset.runId = String(message.run_id);
    // A new upstream connection: a turn that was streaming on the old one is
    // asked again from its start, so its half captions and audio must go.
    this.transcript.clearCaptions();
    this.playback.flush();
  }

  onContextRestored(message) {
    const items = Array.isArray(message.items) ? message.items : [];
    for (const item of items) this.onItem(item);
    this.panel.dataset.contextSource = message.source || "";
    // A new Live session seeded from the transcript is worth a word when Live
    // comes back from an outage or a pause the user saw (the server says so
    // just before it reports Live); after a reload or a blip it is not.
    if (message.source !== "transcript" || this.handover.role !== "owner") return;
    const calm = this.status.calm;
    if (calm.shown?.status !== "connected") {
      this.rebuilt = true;
    } else if (!calm.holding && ["drop", "rest"].includes(calm.returnedFrom)) {
      if (Date.now() - this.liveAt < CONTEXT_NOTICE_WINDOW_MS) this.showRecovered(NOTICES.rebuilt);
    }
  }

  /** Live is on screen again (see calm.js): one word after an outage or a pause the user saw. */
  onLive(after) {
    this.liveAt = Date.now();
    const rebuilt = this.rebuilt;
    this.rebuilt = false;
    if (rebuilt && after !== "first") this.showRecovered(NOTICES.rebuilt);
    else if (after === "drop") this.showRecovered(NOTICES.restored);
  }

  showRecovered(text) {
    this.toasts.show(text, { topic: "connection", timeoutMs: 6000 });
  }

  onItem(item) {
    this.transcript.addItem(item);
    // The acknowledgement of a typed turn, whichever way it came: live, in the
    // replay after hello, in a restored context, or as the answer to a re-send.
    if (item.id) this.composer.acknowledge(item.id);
  }

  onDelta(message) {
    const role = message.role === "user" ? "user" : "assistant";
    this.transcript.appendCaption(role, String(message.text ?? ""));
  }

  onInterrupted() {
    this.playback.flush();
    this.transcript.markReplyInterrupted();
  }

  onError(message) {
    // The socket closes next, and the page goes to the sign-in page.
    if (message.code === "signed_out") return;
    if (message.code === "takeover_failed" || message.code === "live_limit") this.handover.failed();
    this.toasts.show(message.message || "Something went wrong.", { kind: "error", timeoutMs: 10000 });
    // A turn the server refused gets no reply.
    this.transcript.clearPendingReply();
  }

  onFatal(reason) {
    this.handover.stopped();
    this.silence();
    this.composer.setEnabled(false);
    this.final.showFatal(reason);
    this.panel.dataset.fatal = reason;
    // Signed out (here, in another tab, or by a password change): sign in again,
    // then come back here. Typed turns not yet stored wait in this browser.
    if (reason === "signed_out") window.location.assign(this.final.signIn.href);
  }

  // -- controls and the page -------------------------------------------------------
  /** Stop the microphone and the assistant's voice. */
  silence() {
    this.voice?.stop();
    this.playback.flush();
    this.speaking.stop();
  }

  end() {
    this.silence();
    this.final.focusResumeNext = true;
    this.sendWhenOwner({ type: "end" });
  }

  onVisible() {
    this.panel.dataset.background = "false";
    this.socket.reconnectNow();
    this.voice?.resumeFromBackground();
  }
}
