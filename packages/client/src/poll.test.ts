import { describe, expect, it } from 'vitest';
import { FoleyWaitTimeoutError } from './errors.js';
import { pollUntil } from './poll.js';

describe('pollUntil (jobs.wait, batches.wait)', () => {
  const states = (...list: string[]) => {
    let i = 0;
    return async () => ({ status: list[Math.min(i++, list.length - 1)] as string });
  };
  const instant = async () => {};

  it('reads until done, reporting every state', async () => {
    const seen: string[] = [];
    const final = await pollUntil(
      'job_1',
      states('queued', 'processing', 'completed'),
      (s) => s.status === 'completed',
      {
        sleep: instant,
        onUpdate: (s) => seen.push(s.status),
      },
    );
    expect(final.status).toBe('completed');
    expect(seen).toEqual(['queued', 'processing', 'completed']);
  });

  it('throws FoleyWaitTimeoutError with the last state after timeoutMs', async () => {
    let clock = 0;
    const error = await pollUntil('job_1', states('processing'), () => false, {
      intervalMs: 100,
      timeoutMs: 350,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyWaitTimeoutError);
    expect(error).toMatchObject({ id: 'job_1', last: { status: 'processing' } });
    expect(clock).toBe(300);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = pollUntil('job_1', states('processing'), () => false, {
      intervalMs: 60_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('user gave up')), 20);
    await expect(waiting).rejects.toThrow('user gave up');
  });
});
