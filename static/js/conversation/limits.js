// The server's limits, as the page template renders them on the conversation
// root (`data-max-turn-chars`), so the page never keeps a copy of its own, and
// how the page tells them apart from failures.

function positiveInteger(value) {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : null;
}

/** `{ maxTurnChars }` from the root's dataset; null where the page was not told. */
export function readLimits(dataset) {
  return { maxTurnChars: positiveInteger(dataset.maxTurnChars) };
}

/**
 * The upstream status a `status` message means to the page: the server lets a
 * quiet conversation's Live session go (reason `idle`), which is a pause the
 * next message or word undoes, not an ending.
 */
export function upstreamStatus(message) {
  const stopping = message.status === "disconnecting" || message.status === "disconnected";
  return stopping && message.reason === "idle" ? "paused" : message.status;
}
