// AudioWorklet processor: microphone input at the context's rate, out as
// PCM16 little-endian mono at the target rate (16 kHz), in fixed-size chunks.
//
// Downsampling averages the input samples that fall into each output period
// (a box filter), which keeps aliasing low enough for speech without a
// heavier FIR filter; the fractional step keeps long runs drift-free.
//
// Each chunk carries its peak and RMS, which the page's level meter shows:
// measured here on the samples already captured, so the meter needs nothing more.

class Pcm16CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.targetRate = opts.targetRate || 16000;
    this.step = sampleRate / this.targetRate;
    this.chunkSamples = Math.max(
      160,
      Math.round((this.targetRate * (opts.chunkMs || 40)) / 1000),
    );
    this.chunk = new Int16Array(this.chunkSamples);
    this.filled = 0;
    this.peak = 0;
    this.squares = 0;
    this.sum = 0;
    this.count = 0;
    this.position = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === "flush") this.flush();
      if (event.data === "stop") {
        this.flush();
        this.running = false;
      }
    };
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    if (!input || input.length === 0 || input[0].length === 0) return true;
    const channels = input.length;
    const frames = input[0].length;
    for (let i = 0; i < frames; i += 1) {
      let sample = 0;
      for (let c = 0; c < channels; c += 1) sample += input[c][i];
      this.sum += sample / channels;
      this.count += 1;
      this.position += 1;
      if (this.position >= this.step) {
        this.position -= this.step;
        this.emit(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }

  emit(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    const magnitude = Math.abs(clamped);
    if (magnitude > this.peak) this.peak = magnitude;
    this.squares += clamped * clamped;
    this.chunk[this.filled] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.filled += 1;
    if (this.filled === this.chunkSamples) this.flush();
  }

  flush() {
    if (this.filled === 0) return;
    const pcm = this.chunk.slice(0, this.filled).buffer;
    const rms = Math.sqrt(this.squares / this.filled);
    this.port.postMessage({ pcm, peak: this.peak, rms }, [pcm]);
    this.filled = 0;
    this.peak = 0;
    this.squares = 0;
  }
}

registerProcessor("pcm16-capture", Pcm16CaptureProcessor);
