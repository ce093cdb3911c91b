/** When and how long to wait before trying a request again (pure, so tests pin the clock and dice). */

export interface RetryPolicy {
  /** Extra attempts after the first (0 = never retry). */
  retries: number;
  /** First backoff step; each further attempt doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

/** A longer `Retry-After` than this is not waited out: the error goes to the caller instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Only "busy, come back later" answers are retried; everything else is the caller's to handle. */
export const isRetryableStatus = (status: number) => status === 429 || status === 503;

/** Full jitter: a random delay in [0, min(max, base·2^attempt)], so many clients do not retry in step. */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/** `Retry-After` as delta-seconds or an HTTP date → milliseconds from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The delay before attempt `attempt + 1`: the server's `Retry-After` when it gave one (never shorter),
 * else jittered backoff. undefined = do not retry.
 */
export function nextDelayMs(opts: {
  attempt: number;
  policy: RetryPolicy;
  retryAfterMs?: number | undefined;
  random?: () => number;
}): number | undefined {
  if (opts.attempt >= opts.policy.retries) return undefined;
  if (opts.retryAfterMs !== undefined) {
    return opts.retryAfterMs > MAX_RETRY_AFTER_MS ? undefined : opts.retryAfterMs;
  }
  return backoffDelayMs(opts.attempt, opts.policy, opts.random);
}
