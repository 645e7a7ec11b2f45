// The microphone's input level, from what the capture worklet measured in each
// chunk it sends (its RMS), as a number from 0 (silence) to 1 (loud) that a
// meter can show. Decibels, because loudness is heard on a log scale: a quiet
// voice still moves the meter, a loud one does not pin it.

export const FLOOR_DB = -60;
export const CEILING_DB = -6;

/** The level 0…1 of a chunk whose RMS (of samples in -1…1) is `rms`. */
export function levelFromRms(rms, { floorDb = FLOOR_DB, ceilingDb = CEILING_DB } = {}) {
  const value = Number(rms);
  if (!Number.isFinite(value) || value <= 0) return 0;
  const db = 20 * Math.log10(value);
  return Math.min(1, Math.max(0, (db - floorDb) / (ceilingDb - floorDb)));
}

/**
 * The meter's next reading: it rises quickly with the voice and falls back
 * slowly, so it follows speech without flickering between syllables.
 */
export function smoothLevel(previous, next, { attack = 0.7, release = 0.25 } = {}) {
  const rate = next > previous ? attack : release;
  const value = previous + (next - previous) * rate;
  return value < 0.005 ? 0 : value;
}
