/**
 * Control-flow signals from a processor to its BullMQ adapter. Neither is a failure: neither uses up an
 * attempt.
 */

/**
 * Not now: no fal slot for the job (or its account refused it). It parks in `delayed` for `delayMs` (a
 * safety net: dispatch promotes it when a slot is its). `recheck`, run once it is parked, closes the race
 * with a grant made while it was parking: true means it holds a slot now and must run at once.
 */
export class JobDeferredError extends Error {
  constructor(
    readonly delayMs: number,
    readonly recheck?: () => Promise<boolean>,
  ) {
    super(`deferred for ${delayMs} ms`);
    this.name = 'JobDeferredError';
  }
}

/** The worker is shutting down while the job waits on fal: hand it back; any worker resumes its request. */
export class JobReleasedError extends Error {
  constructor() {
    super('released on shutdown');
    this.name = 'JobReleasedError';
  }
}

export const isControlSignal = (e: unknown): e is JobDeferredError | JobReleasedError =>
  e instanceof JobDeferredError || e instanceof JobReleasedError;
