import { FoleyWaitTimeoutError } from './errors.js';
import { sleep as realSleep, type Sleep } from './sleep.js';

export interface WaitOptions<T> {
  signal?: AbortSignal;
  /** Between reads; default 1000 ms. */
  intervalMs?: number;
  /** Give up after this long with `FoleyWaitTimeoutError`; default: wait as long as it takes. */
  timeoutMs?: number;
  /** Called with every state read while waiting (the last one included). */
  onUpdate?: (state: T) => void;
}

/**
 * Reads `id` until `done(state)`. Transient failures are already retried by the transport; what reaches
 * here is final (a 404, a key without access), so it ends the wait.
 */
export async function pollUntil<T>(
  id: string,
  read: (signal?: AbortSignal) => Promise<T>,
  done: (state: T) => boolean,
  opts: WaitOptions<T> & { sleep?: Sleep; now?: () => number },
): Promise<T> {
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? realSleep;
  const interval = opts.intervalMs ?? 1000;
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + opts.timeoutMs;
  let last: T | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    last = await read(opts.signal);
    opts.onUpdate?.(last);
    if (done(last)) return last;
    if (now() + interval > deadline) throw new FoleyWaitTimeoutError(id, last, opts.timeoutMs ?? 0);
    await wait(interval, opts.signal);
  }
}
