import type { RedisClient } from '@foley/shared/infra/redis';
import { type JobSignalType, parseJobSignal } from '@foley/shared/jobs/signals';

/**
 * Wakes a job that is waiting on fal when something happens to it elsewhere: the API asked to cancel it,
 * or fal's callback reported it done (messages of the protocol in @foley/shared/jobs/signals). One
 * subscriber connection per worker process; channels are subscribed while at least one waiter needs them.
 */
export interface JobSignals {
  /**
   * Resolves with the signal's type ('unknown' for a message the protocol does not define), or undefined
   * after `ms` or when `abort` fires.
   */
  wait(jobId: string, ms: number, abort?: AbortSignal): Promise<JobSignalType | 'unknown' | undefined>;
  close(): Promise<void>;
}

export function createJobSignals(subscriber: RedisClient, channelOf: (jobId: string) => string): JobSignals {
  type Wake = (type: JobSignalType | 'unknown' | undefined) => void;
  const waiters = new Map<string, Set<Wake>>();

  subscriber.on('message', (channel: string, message: string) => {
    const set = waiters.get(channel);
    if (!set) return;
    const type = parseJobSignal(message)?.type ?? 'unknown';
    for (const wake of [...set]) wake(type);
  });

  return {
    wait(jobId, ms, abort) {
      const channel = channelOf(jobId);
      return new Promise((resolve) => {
        let set = waiters.get(channel);
        if (!set) {
          set = new Set();
          waiters.set(channel, set);
          subscriber.subscribe(channel).catch(() => {});
        }
        const done: Wake = (type) => {
          clearTimeout(timer);
          abort?.removeEventListener('abort', onAbort);
          set.delete(done);
          if (set.size === 0) {
            waiters.delete(channel);
            subscriber.unsubscribe(channel).catch(() => {});
          }
          resolve(type);
        };
        const onAbort = () => done(undefined);
        const timer = setTimeout(() => done(undefined), Math.max(0, ms));
        abort?.addEventListener('abort', onAbort, { once: true });
        set.add(done);
        if (abort?.aborted) done(undefined);
      });
    },
    async close() {
      for (const set of waiters.values()) for (const wake of [...set]) wake(undefined);
      await subscriber.quit().catch(() => {});
    },
  };
}
