import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '@foley/testkit/listen';
import type { RunningWorker } from '@foley/worker/start-worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// fal account flow control end to end: a locked account and a 429 storm pause or slow dispatch; no job fails.
let stack: Stack;
let worker: RunningWorker | undefined;
let proxy: Server;
let proxyUrl = '';
let locked = false;
let refusedSubmits = 0;

const LOCKED_BODY = JSON.stringify({
  detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing',
});

beforeAll(async () => {
  stack = await startStack({ worker: false, emulator: { delayMs: 200 } });
  // Until the emulator's account lock lands (issue 11): a loopback proxy in front of it that answers a
  // submit (a POST that names no request) as fal does for a locked account, and forwards everything else.
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (locked && req.method === 'POST' && !req.url?.includes('/requests/')) {
      refusedSubmits++;
      res.writeHead(403, { 'content-type': 'application/json' }).end(LOCKED_BODY);
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k]) => !['host', 'content-length', 'connection', 'transfer-encoding'].includes(k),
      ),
    ) as Record<string, string>;
    const upstream = await fetch(`${stack.emulator.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      body: chunks.length ? Buffer.concat(chunks) : null,
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
    });
    res.writeHead(upstream.status, out).end(body);
  });
  proxyUrl = (await listenOnLoopback(proxy)).url;
  worker = await stack.startWorker({ FAL_BASE_URL: proxyUrl, FAL_CONCURRENCY: '2', WORKER_CONCURRENCY: '4' });
});
afterEach(() => {
  locked = false;
});
afterAll(async () => {
  await worker?.close();
  await stack?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
});

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

    locked = true;
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
    expect(refusedSubmits).toBeGreaterThanOrEqual(1);
    expect(refusedSubmits).toBeLessThanOrEqual(4);

    locked = false;
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
    const res = await fetch(`${stack.emulator.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'submit', status: 429, retry_after: 1, times: 10 }),
    });
    expect(res.status).toBe(201);
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
