/** Exponential backoff with full jitter in [delay/2, delay], capped; honours a server's Retry-After. */
export function backoffDelay(
  attempt: number,
  opts: { baseMs: number; maxMs: number; retryAfterMs?: number | undefined; random?: () => number },
): number {
  const random = opts.random ?? Math.random;
  const exponential = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(exponential / 2 + (random() * exponential) / 2);
  return opts.retryAfterMs !== undefined ? Math.max(opts.retryAfterMs, jittered) : jittered;
}

/** The polling cadence while fal works: quick at first, then settling at `maxMs`. */
export function pollDelay(pollCount: number, opts: { firstMs: number; maxMs: number }): number {
  return Math.min(opts.maxMs, Math.round(opts.firstMs * 1.5 ** pollCount));
}
