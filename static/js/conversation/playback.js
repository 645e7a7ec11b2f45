// Playback of the assistant's voice: PCM16 24 kHz mono chunks scheduled back
// to back on the AudioContext clock, so network jitter never becomes gaps or
// overlaps. `flush()` silences everything at once (barge-in).

import { getAudioContext } from "./audio-context.js";

const LEAD_SECONDS = 0.08;

export class PlaybackQueue extends EventTarget {
  constructor({ sampleRate = 24000 } = {}) {
    super();
    this.sampleRate = sampleRate;
    this.sources = new Set();
    this.nextStart = 0;
    this.output = null;
    this.stats = { scheduledSamples: 0, chunks: 0, flushes: 0, droppedSamples: 0 };
  }

  get speaking() {
    return this.sources.size > 0;
  }

  enqueue(arrayBuffer) {
    const samples = Math.floor(arrayBuffer.byteLength / 2);
    if (samples === 0) return;
    const ctx = getAudioContext();
    if (!ctx || ctx.state !== "running") {
      // Scheduling on a stopped clock would play stale speech later in a burst.
      this.stats.droppedSamples += samples;
      this.dispatchEvent(new Event("blocked"));
      return;
    }
    const pcm = new Int16Array(arrayBuffer, 0, samples);
    const buffer = ctx.createBuffer(1, samples, this.sampleRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples; i += 1) channel[i] = pcm[i] / 0x8000;

    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.destination(ctx));
    // After an underrun, restart with a small lead to absorb the next jitter.
    const earliest = ctx.currentTime + LEAD_SECONDS;
    if (this.nextStart < ctx.currentTime) this.nextStart = earliest;
    source.start(this.nextStart);
    this.nextStart += buffer.duration;

    const wasSpeaking = this.speaking;
    this.sources.add(source);
    source.onended = () => {
      this.sources.delete(source);
      if (!this.speaking) this.dispatchEvent(new Event("idle"));
    };
    this.stats.scheduledSamples += samples;
    this.stats.chunks += 1;
    if (!wasSpeaking) this.dispatchEvent(new Event("speaking"));
  }

  flush() {
    const hadAudio = this.speaking;
    for (const source of this.sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // Already stopped.
      }
      source.disconnect();
    }
    this.sources.clear();
    this.nextStart = 0;
    this.stats.flushes += 1;
    if (hadAudio) this.dispatchEvent(new Event("idle"));
  }

  destination(ctx) {
    if (!this.output || this.output.context !== ctx) {
      this.output = ctx.createGain();
      this.output.connect(ctx.destination);
    }
    return this.output;
  }
}
