// Voice controls of a voice conversation: the Talk button, the microphone's
// state line and level meter, and the microphone pausing while the page is in
// the background (phones cut the microphone of pages nobody can see) and
// coming back after. The meter is for the eyes only: the state line says
// "Listening" once, and screen readers are not told every level.

import { levelFromRms, smoothLevel } from "./level.js";
import { Microphone } from "./microphone.js";

const MIC_TEXT = {
  off: "",
  starting: "Starting the microphone…",
  live: "Listening",
  paused: "Microphone paused",
  denied: "Microphone blocked",
  unavailable: "No microphone available",
};
const BACKGROUND_NOTE =
  "Voice is paused while this page is in the background: phones switch the microphone " +
  "off for pages you cannot see. It comes back on when you return.";

/** How the Talk button and the state line show a microphone state. */
export function micView(state) {
  const on = state === "live" || state === "starting";
  return {
    pressed: on,
    label: on ? "Stop talking" : "Talk",
    text: Object.hasOwn(MIC_TEXT, state) ? MIC_TEXT[state] : "",
  };
}

export class VoiceControls {
  /**
   * `send(message)` sends a JSON frame, `sendAudio(pcm)` a chunk of audio;
   * `canTalk()` says whether the microphone may come back on after the background.
   */
  constructor(panel, { toasts, send, sendAudio, canTalk }) {
    const find = (selector) => panel.querySelector(selector);
    this.elements = {
      button: find("#mic"),
      label: find("#mic-label"),
      stateLine: find("#mic-state"),
      meter: find("#mic-level"),
      background: find("#background-note"),
    };
    this.level = 0;
    this.panel = panel;
    this.toasts = toasts;
    this.send = send;
    this.canTalk = canTalk;
    this.pausedForBackground = false;
    this.mic = new Microphone({ workletUrl: panel.dataset.workletUrl, onChunk: sendAudio });
  }

  get state() {
    return this.mic.state;
  }

  get chunksSent() {
    return this.mic.chunksSent;
  }

  bind() {
    const { button } = this.elements;
    button.addEventListener("click", () => this.toggle());
    this.mic.addEventListener("statechange", (event) => this.onState(event.detail));
    this.mic.addEventListener("level", (event) => this.showLevel(levelFromRms(event.detail.rms)));
  }

  /** Move the meter towards `target` (0…1); 0 resets it at once. */
  showLevel(target) {
    this.level = target === 0 && this.mic.state !== "live" ? 0 : smoothLevel(this.level, target);
    const value = this.level.toFixed(2);
    this.elements.button.style.setProperty("--mic-level", value);
    const { meter } = this.elements;
    if (meter) {
      meter.style.setProperty("--level", value);
      meter.dataset.level = value;
    }
  }

  async toggle() {
    if (this.mic.active) {
      this.pausedForBackground = false;
      this.stop();
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

  /** Switch the microphone off (or to `nextState`) if it is on or paused. */
  stop(nextState = "off") {
    if (this.mic.active || this.mic.state === "paused") this.mic.stop(nextState);
  }

  /** A socket that just became the owner hears that the microphone is on. */
  announce() {
    if (this.mic.state === "live") this.send({ type: "mic", state: "live" });
  }

  onState({ state, previous }) {
    const { button, label, stateLine } = this.elements;
    const view = micView(state);
    button.setAttribute("aria-pressed", view.pressed ? "true" : "false");
    label.textContent = view.label;
    stateLine.textContent = view.text;
    stateLine.dataset.mic = state;
    this.panel.dataset.mic = state;
    if (state === "live") {
      this.send({ type: "mic", state: "live" });
      // What the notice said (stopped, blocked) is over.
      this.toasts.dismiss("mic");
    } else if (previous === "live") {
      this.send({ type: "audio.end" });
      this.send({ type: "mic", state: "paused" });
      this.showLevel(0);
      if (state === "paused" && !this.pausedForBackground) {
        this.toasts.show("The microphone stopped. Press Talk to carry on.", { kind: "warning", key: "mic" });
      }
    }
  }

  /** The page went to the background: pause a live microphone, to resume on return. */
  pauseForBackground() {
    if (!this.mic.active) return;
    this.pausedForBackground = true;
    this.mic.stop("paused");
    this.elements.background.textContent = BACKGROUND_NOTE;
    this.elements.background.hidden = false;
    this.panel.dataset.background = "true";
  }

  /** The page is visible again: switch back on what the background paused. */
  async resumeFromBackground() {
    if (!this.pausedForBackground) return;
    this.pausedForBackground = false;
    if (!this.canTalk()) {
      this.elements.background.hidden = true;
      this.mic.stop("off");
      return;
    }
    const started = await this.mic.start();
    this.elements.background.hidden = true;
    if (started) {
      this.toasts.show(
        "Welcome back. Voice was paused while the page was in the background; the microphone is on again.",
        { key: "mic" },
      );
    } else {
      this.toasts.show("Press Talk to switch the microphone back on.", { kind: "warning", key: "mic" });
    }
  }
}
