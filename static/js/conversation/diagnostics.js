// `window.continuum`: a read-only view of what the conversation page did, for
// support and for end-to-end checks.

export function exposeDiagnostics(page) {
  window.continuum = {
    get role() {
      return page.handover.role;
    },
    get status() {
      return page.status.current;
    },
    get statusLog() {
      return page.status.log.slice();
    },
    get playback() {
      return { ...page.playback.stats };
    },
    get mic() {
      return page.voice ? page.voice.state : "none";
    },
    get micChunksSent() {
      return page.voice ? page.voice.chunksSent : 0;
    },
    get lastSeq() {
      return page.transcript.lastSeq;
    },
    get socket() {
      return page.socket.state;
    },
    get pendingTurns() {
      return page.composer.pendingTurns;
    },
    get toasts() {
      return page.toasts.log.map((toast) => ({ ...toast }));
    },
    get speaking() {
      return page.speaking.speaking;
    },
    get micLevel() {
      return page.voice ? page.voice.level : 0;
    },
  };
}
