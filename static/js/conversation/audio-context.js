// One AudioContext for the page, shared by capture and playback.
//
// Browsers start a context suspended until the user interacts with the page,
// so the first click or key press anywhere resumes it.

let context = null;

export function audioSupported() {
  return typeof window.AudioContext === "function" && "audioWorklet" in AudioContext.prototype;
}

export function getAudioContext() {
  if (!context && typeof window.AudioContext === "function") {
    context = new AudioContext({ latencyHint: "interactive" });
  }
  return context;
}

export async function resumeAudio() {
  const ctx = getAudioContext();
  if (ctx && ctx.state === "suspended") {
    try {
      await ctx.resume();
    } catch {
      // Still waiting for a user gesture; the next one will try again.
    }
  }
  return ctx;
}

export function resumeAudioOnGesture(target = document) {
  const handler = () => {
    const ctx = getAudioContext();
    if (ctx && ctx.state === "running") return;
    resumeAudio();
  };
  target.addEventListener("pointerdown", handler, { capture: true });
  target.addEventListener("keydown", handler, { capture: true });
}
