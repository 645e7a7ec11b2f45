// The final banner: the conversation stopped ("Resume"), or the page's socket
// stopped for good ("Sign in", or nothing to offer).

// The `reason` of a `disconnected` status the user can resume from.
const STOPPED_TEXT = {
  user: "The conversation is saved. Resume it whenever you like.",
  gave_up: "Nothing is lost: the conversation is saved. Resume when you are ready.",
  error: "Nothing is lost: the conversation is saved. Try resuming.",
};
const STOPPED_FALLBACK = "The conversation is not connected to Live.";
// Why the page's socket stopped for good (see socket.js).
const FATAL_TEXT = {
  signed_out: "You were signed out. Sign in again to carry on.",
  forbidden: "This conversation is not available to this account.",
  not_found: "This conversation no longer exists.",
};
const FATAL_FALLBACK = "Something went wrong on this page. Reload it to carry on.";

/** What the final banner says after `disconnected` with this reason, and whether Resume shows. */
export function stoppedNotice(reason) {
  const known = Object.hasOwn(STOPPED_TEXT, reason);
  // No reason at all: nothing says it cannot be resumed.
  return { text: known ? STOPPED_TEXT[reason] : STOPPED_FALLBACK, resumable: known || !reason };
}

/** What the final banner says when the socket stopped for good, and whether to offer Sign in. */
export function fatalNotice(reason) {
  const text = Object.hasOwn(FATAL_TEXT, reason) ? FATAL_TEXT[reason] : FATAL_FALLBACK;
  return { text, signIn: reason === "signed_out" };
}

export class FinalBanner {
  constructor(panel) {
    this.banner = panel.querySelector("#final");
    this.text = panel.querySelector("#final-text");
    this.resume = panel.querySelector("#resume");
    this.signIn = panel.querySelector("#sign-in");
    this.focusResumeNext = false;
  }

  /** Pressing Resume calls `onResume`; the button waits until the banner goes. */
  bind(onResume) {
    this.resume.addEventListener("click", () => {
      this.resume.disabled = true;
      this.resume.textContent = "Resuming…";
      onResume();
    });
  }

  /** The conversation stopped (`disconnected`). */
  showStopped(reason) {
    const { text, resumable } = stoppedNotice(reason);
    this.text.textContent = text;
    this.resume.hidden = !resumable;
    this.resume.disabled = false;
    this.resume.textContent = "Resume";
    this.banner.hidden = false;
    if (this.focusResumeNext) {
      // The user pressed End: Resume is where their next step is.
      this.focusResumeNext = false;
      this.resume.focus();
    }
  }

  /** The page's socket stopped for good: no Resume, perhaps Sign in. */
  showFatal(reason) {
    const { text, signIn } = fatalNotice(reason);
    this.text.textContent = text;
    this.resume.hidden = true;
    this.signIn.hidden = !signIn;
    this.banner.hidden = false;
  }

  hide() {
    this.banner.hidden = true;
  }

  /** The conversation is running again: hide, and let Resume work next time. */
  dismiss() {
    this.hide();
    this.resume.disabled = false;
  }
}
