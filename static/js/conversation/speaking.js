// "Assistant speaking" while the assistant's voice plays. The playback queue
// goes idle for a moment between chunks that arrive late; the indicator waits
// a little before it goes, so the live region does not announce every gap.

export const SPEAKING_TEXT = "Assistant speaking";

export class SpeakingIndicator {
  constructor(element, { panel, lingerMs = 400 } = {}) {
    this.element = element;
    this.panel = panel;
    this.lingerMs = lingerMs;
    this.timer = null;
    this.speaking = false;
  }

  /** The assistant's voice started (true) or stopped (false). */
  set(speaking) {
    window.clearTimeout(this.timer);
    this.timer = null;
    if (speaking) {
      this.render(true);
    } else if (this.speaking) {
      this.timer = window.setTimeout(() => this.render(false), this.lingerMs);
    }
  }

  /** Stopped at once (the user interrupted, or the page stopped the voice). */
  stop() {
    window.clearTimeout(this.timer);
    this.timer = null;
    this.render(false);
  }

  render(speaking) {
    // Unchanged, the live region is left alone: writing the same text again
    // would have it announced again.
    if (speaking === this.speaking) return;
    this.speaking = speaking;
    if (this.panel) this.panel.dataset.speaking = speaking ? "true" : "false";
    if (!this.element) return;
    this.element.dataset.speaking = speaking ? "true" : "false";
    this.element.textContent = speaking ? SPEAKING_TEXT : "";
  }
}
