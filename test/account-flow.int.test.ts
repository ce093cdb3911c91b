import type { RunningWorker } from '@foley/worker/start-worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// fal account flow control end to end: a locked account and a 429 storm pause or slow dispatch; no job fails.
let stack: Stack;
let worker: RunningWorker | undefined;
beforeAll(async () => {
  stack = await startStack({ worker: false, emulator: { delayMs: 200 } });
  worker = await stack.startWorker({ FAL_CONCURRENCY: '2', WORKER_CONCURRENCY: '4' });
});
afterEach(async () => {
  await emulator('/account', { locked: false });
});
afterAll(async () => {
  await worker?.close();
  await stack?.close();
});

/** The emulator's control plane (fal's account lock, faults). */
async function emulator(path: string, body: unknown) {
  const res = await fetch(`${stack.emulator.url}/_emulator${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
}
const refusedSubmits = async () =>
  (await stack.emulatorRequests()).filter((r) => r.reason === 'account locked').length;

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;
async function submit(prompt: string) {
  const res = await stack.http('POST', '/v1/jobs', { video_url: sample(), sound_effect_prompt: prompt });
  expect(res.status).toBe(202);
  return res.body.id as string;
}
const acceptedSubmits = async (prompt: string) =>
  (await stack.emulatorRequests()).filter(
    (r) => r.input?.sound_effect_prompt === prompt && r.status !== 'rejected',
  );

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('fal account flow control', () => {
  it('a locked account pauses dispatch: no job fails, /v1/status says why, all complete after unlock', async () => {
    // The key works (a paused account needs a key that worked before for a 401; a lock needs nothing).
    expect((await stack.waitForJob(await submit('lock-warmup'))).status).toBe('completed');
    expect((await stack.http('GET', '/v1/status')).body.dispatch).toEqual({
      account: 'default',
      state: 'active',
    });

    await emulator('/account', { locked: true, reason: 'Exhausted balance' });
    const ids = await Promise.all([1, 2, 3, 4, 5].map((i) => submit(`lock-${i}`)));
    const paused = await until('dispatch paused', async () => {
      const status = (await stack.http('GET', '/v1/status')).body;
      return status.dispatch.state === 'paused' ? status : undefined;
    });
    expect(paused.dispatch).toMatchObject({
      account: 'default',
      state: 'paused',
      reason: 'fal_account_locked',
    });
    expect(Date.parse(paused.dispatch.since)).toBeGreaterThan(0);
    // Another key sees the same account state; the API keeps taking work and stays ready.
    expect(
      (await stack.http('GET', '/v1/status', undefined, { key: 'test_key_tenant_b_0002' })).body.dispatch
        .state,
    ).toBe('paused');
    expect((await fetch(`${stack.api.url}/readyz`)).status).toBe(200);
    // Jobs wait; none failed, and only probes reached fal while it stayed locked.
    await new Promise((r) => setTimeout(r, 6_000));
    const views = await Promise.all(ids.map(async (id) => (await stack.http('GET', `/v1/jobs/${id}`)).body));
    // Queued, or `processing` for the one probe on its way to fal.
    expect(views.filter((v) => v.status === 'queued').length).toBeGreaterThanOrEqual(4);
    expect(views.every((v) => v.status === 'queued' || v.status === 'processing')).toBe(true);
    expect(await refusedSubmits()).toBeGreaterThanOrEqual(1);
    expect(await refusedSubmits()).toBeLessThanOrEqual(4);

    await emulator('/account', { locked: false });
    const done = await Promise.all(ids.map((id) => stack.waitForJob(id, undefined, 60_000)));
    expect(done.map((j) => j.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    for (let i = 1; i <= 5; i++) expect(await acceptedSubmits(`lock-${i}`)).toHaveLength(1);
    expect((await stack.http('GET', '/v1/status')).body.dispatch.state).toBe('active');
  }, 120_000);

  it('a 429 storm on submit slows dispatch; every job completes, each submitted once', async () => {
    await emulator('/faults', { op: 'submit', status: 429, retry_after: 1, times: 10 });
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => submit(`storm-${i}`)));
    const done = await Promise.all(ids.map((id) => stack.waitForJob(id, undefined, 90_000)));
    expect(done.map((j) => j.status)).toEqual(Array(6).fill('completed'));
    for (let i = 1; i <= 6; i++) expect(await acceptedSubmits(`storm-${i}`)).toHaveLength(1);
    const rejected = (await stack.emulatorRequests()).filter(
      (r) => String(r.input?.sound_effect_prompt ?? '').startsWith('storm-') && r.status === 'rejected',
    );
    expect(rejected.length).toBe(10);
  }, 120_000);
});
