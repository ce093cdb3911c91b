/**
 * Delay before retry number `attemptsMade` (1 = after the first failure): the schedule's entry plus up to
 * 10 % jitter (capped at 1 min) so endpoints that come back are not hit by every queued event at once.
 */
export function webhookRetryDelay(
  schedule: readonly number[],
  attemptsMade: number,
  random: () => number = Math.random,
): number {
  const base = schedule[Math.min(Math.max(attemptsMade, 1), schedule.length) - 1] ?? 0;
  return base + Math.floor(random() * Math.min(base * 0.1, 60_000));
}
