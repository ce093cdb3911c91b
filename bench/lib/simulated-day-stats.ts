/**
 * One reading of the simulated day: seconds since the start, Redis memory above the idle start (less
 * BullMQ's event stream, which is capped by entry count and read apart), keys.
 */
export interface MemorySample {
  t: number;
  usedMemory: number;
  streamBytes: number;
  streamEntries: number;
  keys: number;
  keptCompleted: number;
  ended: number;
}

export interface PeriodEnd {
  period: number;
  usedMemory: number;
  streamBytes: number;
  streamEntries: number;
  keys: number;
  keptCompleted: number;
}

/**
 * Memory is flat when, after the first retention period (by then the oldest jobs have started to
 * expire), the last period ends within ±10 % of the one before, in bytes and in keys.
 */
export function levelsOff(samples: MemorySample[], retentionSeconds: number) {
  const ends = new Map<number, PeriodEnd>();
  for (const s of samples) {
    const period = Math.floor(s.t / retentionSeconds) + 1;
    const { usedMemory, streamBytes, streamEntries, keys, keptCompleted } = s;
    ends.set(period, { period, usedMemory, streamBytes, streamEntries, keys, keptCompleted });
  }
  const periods = [...ends.values()].sort((a, b) => a.period - b.period);
  const last = periods.at(-1);
  const before = periods.at(-2);
  const growth = (a: number, b: number) => (b > 0 ? (a - b) / b : Number.NaN);
  const lastGrowth = last && before ? growth(last.usedMemory, before.usedMemory) : Number.NaN;
  const lastKeyGrowth = last && before ? growth(last.keys, before.keys) : Number.NaN;
  const flat = periods.length >= 3 && Math.abs(lastGrowth) <= 0.1 && Math.abs(lastKeyGrowth) <= 0.1;
  return { periods, lastGrowth, lastKeyGrowth, flat };
}
