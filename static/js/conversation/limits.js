// The server's limits, as the page template renders them on the conversation
// root (`data-max-turn-chars`), so the page never keeps a copy of its own.

function positiveInteger(value) {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : null;
}

/** `{ maxTurnChars }` from the root's dataset; null where the page was not told. */
export function readLimits(dataset) {
  return { maxTurnChars: positiveInteger(dataset.maxTurnChars) };
}
