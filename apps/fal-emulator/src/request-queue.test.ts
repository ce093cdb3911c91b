import { describe, expect, it } from 'vitest';
import { RunFailureError } from './errors';
import { createRequestQueue, type FalRequest, type Outcome, type RunFn } from './request-queue';

const OUTPUT = { video: { url: 'v' }, audio: { url: 'a' } };

/** A run that waits until the test releases it (or it is aborted). */
function controllableRun() {
  const releases = new Map<string, () => void>();
  const started: string[] = [];
  const run: RunFn = (req, signal, log) =>
    new Promise<Outcome>((resolve, reject) => {
      started.push(req.id);
      log('started');
      releases.set(req.id, () => resolve({ ok: true, output: OUTPUT }));
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  return { run, started, release: (id: string) => releases.get(id)?.() };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const submitTo = (queue: ReturnType<typeof createRequestQueue>) =>
  queue.submit({ endpointId: 'fal-ai/kling-video/video-to-audio', appId: 'fal-ai/kling-video', input: {} });

describe('createRequestQueue', () => {
  it('runs at most `concurrency` requests, FIFO, with 0-based positions', async () => {
    const { run, started, release } = controllableRun();
    const completed: string[] = [];
    const queue = createRequestQueue({ concurrency: 2, run, onCompleted: (r) => completed.push(r.id) });
    const [a, b, c, d] = [submitTo(queue), submitTo(queue), submitTo(queue), submitTo(queue)];
    expect(queue.position(a.id)).toBe(0); // still queued until the next tick
    await tick();
    expect(started).toEqual([a.id, b.id]);
    expect([a.state, b.state, c.state]).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'IN_QUEUE']);
    expect([queue.position(c.id), queue.position(d.id), queue.position(a.id)]).toEqual([0, 1, undefined]);
    expect(a.logs[0]).toMatchObject({ message: 'started', level: 'INFO', source: 'USER' });

    release(b.id);
    await tick();
    expect(b.state).toBe('COMPLETED');
    expect(b.outcome).toEqual({ ok: true, output: OUTPUT });
    expect(started).toEqual([a.id, b.id, c.id]);
    expect(queue.position(d.id)).toBe(0);
    expect(completed).toEqual([b.id]);
    await queue.close();
  });

  it('cancels queued and running requests into COMPLETED with a 499 client_cancelled outcome', async () => {
    const { run } = controllableRun();
    const queue = createRequestQueue({ concurrency: 1, run });
    const a = submitTo(queue);
    const b = submitTo(queue);
    await tick();
    const seen: string[] = [];
    queue.onChange(b.id, (r: FalRequest) => seen.push(r.state));

    expect(queue.cancel(b.id)).toBe('CANCELLATION_REQUESTED');
    expect(b.state).toBe('COMPLETED');
    expect(seen).toEqual(['COMPLETED']);
    expect(queue.cancel(a.id)).toBe('CANCELLATION_REQUESTED');
    await tick();
    expect(a.state).toBe('COMPLETED');
    for (const r of [a, b]) {
      expect(r.canceled).toBe(true);
      const failure = r.outcome?.ok === false ? r.outcome.failure : undefined;
      expect(failure).toBeInstanceOf(RunFailureError);
      expect(failure?.status).toBe(499);
      expect(failure?.errorType).toBe('client_cancelled');
    }
    expect(queue.cancel(a.id)).toBe('ALREADY_COMPLETED');
    expect(queue.cancel('nope')).toBe('NOT_FOUND');
    await queue.close();
  });

  it('turns a crashing run into a 500 internal_error outcome and keeps going', async () => {
    const queue = createRequestQueue({
      concurrency: 1,
      run: async () => {
        throw new Error('ffmpeg exploded');
      },
    });
    const a = submitTo(queue);
    await tick();
    await tick();
    expect(a.outcome?.ok === false && a.outcome.failure.status).toBe(500);
    expect(a.outcome?.ok === false && a.outcome.failure.body).toMatchObject({ error_type: 'internal_error' });
    await queue.close();
  });
});
