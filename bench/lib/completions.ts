import { QueueEvents } from 'bullmq';

/**
 * Listens to a queue's events and notes when each job completed (or failed), as seen by a client of
 * the same Redis: the moment "learn of completion" is measured to, for Foley and baselines alike.
 */
export async function watchCompletions(redisUrl: string, prefix: string, queue = 'dubbing') {
  const events = new QueueEvents(queue, { connection: { url: redisUrl }, prefix });
  await events.waitUntilReady();
  const completed = new Map<string, number>();
  const failed = new Map<string, string>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  events.on('completed', ({ jobId }) => {
    completed.set(jobId, performance.now());
    wake();
  });
  events.on('failed', ({ jobId, failedReason }) => {
    failed.set(jobId, failedReason);
    wake();
  });

  /** Resolves when `count` jobs ended or `timeoutMs` passed (then with what ended so far). */
  async function waitFor(count: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (completed.size + failed.size < count && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, Math.min(500, deadline - performance.now())));
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Resolves the completion time of `jobId` (throws if it failed or took longer than `timeoutMs`). */
  async function waitForJob(jobId: string, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const at = completed.get(jobId);
      if (at !== undefined) return at;
      const reason = failed.get(jobId);
      if (reason !== undefined) throw new Error(`job ${jobId} failed: ${reason}`);
      await waitFor(completed.size + failed.size + 1, Math.min(500, deadline - performance.now()));
    }
    throw new Error(`job ${jobId} did not complete in ${timeoutMs} ms`);
  }

  return { completed, failed, waitFor, waitForJob, close: () => events.close() };
}
