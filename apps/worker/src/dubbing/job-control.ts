/**
 * Control-flow signals from a processor to its BullMQ adapter. Neither is a failure: neither uses up an
 * attempt.
 */

/** Not now: all fal slots are taken. The job goes back to the queue and runs again after `delayMs`. */
export class JobDeferredError extends Error {
  constructor(readonly delayMs: number) {
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
