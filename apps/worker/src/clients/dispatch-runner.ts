import type { Logger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { FalDispatch } from './fal-dispatch';

/**
 * Runs every account's free-slot pass when the API nudges (new work listed) and on a timer (leases that
 * ran out, slowed or paused accounts whose time came, grants whose promote was lost). Every worker runs
 * one; passes are atomic in Redis, so several at once are safe, and one that dies loses nothing.
 */
export interface DispatchRunner {
  /** Runs a pass now (coalesced with one already running). */
  kick(): void;
  close(): Promise<void>;
}

export function startDispatchRunner(opts: {
  subscriber: RedisClient;
  nudgeChannel: string;
  accounts: FalDispatch[];
  tickMs: number;
  logger: Logger;
}): DispatchRunner {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const pass = async () => {
    await Promise.all(
      opts.accounts.map((a) =>
        a
          .tick()
          .catch((err: unknown) => opts.logger.warn({ err, account: a.account }, 'dispatch pass failed')),
      ),
    );
  };
  const kick = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        kick();
      }
    });
  };

  const timer = setInterval(kick, opts.tickMs);
  timer.unref();
  opts.subscriber.on('message', (channel) => {
    if (channel === opts.nudgeChannel) kick();
  });
  opts.subscriber.subscribe(opts.nudgeChannel).catch((err: unknown) => {
    opts.logger.warn({ err }, 'dispatch nudge subscription failed; passes run on the timer only');
  });
  kick();

  return {
    kick,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      opts.subscriber.disconnect();
    },
  };
}
