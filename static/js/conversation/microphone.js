// Microphone capture: getUserMedia → AudioWorklet → PCM16 16 kHz chunks.
//
// States: off, starting, live, paused (stopped by the page going to the
// background or the track ending, to come back on its own), denied,
// unavailable. The state is separate from the connection state because a
// phone revokes the microphone while the socket still looks healthy.

import { resumeAudio } from "./audio-context.js";

const CONSTRAINTS = {
  audio: {
    channelCount: 1,
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
  },
};

export class Microphone extends EventTarget {
  constructor({ workletUrl, onChunk, chunkMs = 40 }) {
    super();
    this.workletUrl = workletUrl;
    this.onChunk = onChunk;
    this.chunkMs = chunkMs;
    this.state = "off";
    this.generation = 0;
    this.stream = null;
    this.source = null;
    this.node = null;
    this.sink = null;
    this.moduleLoaded = null;
    this.chunksSent = 0;
  }

  get active() {
    return this.state === "live" || this.state === "starting";
  }

  async start() {
    if (this.active) return this.state === "live";
    const generation = ++this.generation;
    this.setState("starting");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.setState("unavailable");
      return false;
    }
    const ctx = await resumeAudio();
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
    } catch (error) {
      if (generation === this.generation) {
        const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
        this.setState(denied ? "denied" : "unavailable");
      }
      return false;
    }
    if (generation !== this.generation) {
      stream.getTracks().forEach((track) => track.stop());
      return false;
    }
    try {
      await this.loadModule(ctx);
    } catch {
      stream.getTracks().forEach((track) => track.stop());
      if (generation === this.generation) this.setState("unavailable");
      return false;
    }
    if (generation !== this.generation) {
      stream.getTracks().forEach((track) => track.stop());
      return false;
    }
    this.connectGraph(ctx, stream);
    this.setState("live");
    return true;
  }

  stop(nextState = "off") {
    this.generation += 1;
    this.release();
    if (this.state !== nextState) this.setState(nextState);
  }

  loadModule(ctx) {
    if (!this.moduleLoaded) {
      this.moduleLoaded = ctx.audioWorklet.addModule(this.workletUrl).catch((error) => {
        this.moduleLoaded = null;
        throw error;
      });
    }
    return this.moduleLoaded;
  }

  connectGraph(ctx, stream) {
    this.stream = stream;
    this.source = ctx.createMediaStreamSource(stream);
    this.node = new AudioWorkletNode(ctx, "pcm16-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { targetRate: 16000, chunkMs: this.chunkMs },
    });
    this.node.port.onmessage = (event) => {
      this.chunksSent += 1;
      this.onChunk(event.data.pcm);
      const { peak = 0, rms = 0 } = event.data;
      this.dispatchEvent(new CustomEvent("level", { detail: { peak, rms } }));
    };
    // A muted path to the destination keeps the worklet pulled by the graph.
    this.sink = ctx.createGain();
    this.sink.gain.value = 0;
    this.source.connect(this.node);
    this.node.connect(this.sink);
    this.sink.connect(ctx.destination);
    for (const track of stream.getAudioTracks()) {
      track.addEventListener("ended", () => {
        if (this.stream === stream) this.stop("paused");
      });
    }
  }

  release() {
    if (this.node) {
      this.node.port.onmessage = null;
      this.node.port.postMessage("stop");
      this.node.disconnect();
    }
    if (this.source) this.source.disconnect();
    if (this.sink) this.sink.disconnect();
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.node = null;
    this.source = null;
    this.sink = null;
    this.stream = null;
  }

  setState(state) {
    const previous = this.state;
    this.state = state;
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state, previous } }));
  }
}

