import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@foley/testkit/listen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_A, API_KEY_B, type Stack, startStack } from './support/stack';

// Per-tenant quotas and the per-key rate limit (no worker runs: submitted jobs stay queued).
let stack: Stack;
const root = fileURLToPath(new URL('..', import.meta.url));

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: { TENANT_MAX_QUEUED: '*:1000,tenant-a:3', API_RATE_LIMIT: '1000', API_RATE_BURST: '1000' },
  });
});
afterAll(async () => stack?.close());

const job = () => ({ video_url: `${stack.emulator.url}/_emulator/samples/sample.mp4` });
const batch = (n: number, key = API_KEY_A) =>
  stack.http('POST', '/v1/batches', { items: Array.from({ length: n }, job) }, { key });

describe('TENANT_MAX_QUEUED', () => {
  it('allows exactly the limit, refuses a batch that would pass it whole, and frees room when a job ends', async () => {
    expect((await stack.http('POST', '/v1/jobs', job())).status).toBe(202);
    const over = await batch(3);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({
      code: 'quota_exceeded',
      details: { limit: 3, current: 1, requested: 3 },
    });
    expect(over.body.error.message).toContain('TENANT_MAX_QUEUED');
    expect((await stack.http('GET', '/v1/jobs?limit=100')).body.data).toHaveLength(1); // nothing of it enqueued
    expect((await batch(2)).status).toBe(202); // 1 + 2 = the limit exactly
    const single = await stack.http('POST', '/v1/jobs', job());
    expect(single.status).toBe(429);
    expect(single.body.error).toMatchObject({ code: 'quota_exceeded', details: { limit: 3, current: 3 } });
    expect((await stack.http('GET', '/v1/status')).body.quota).toEqual({
      unfinished_jobs: 3,
      max_unfinished_jobs: 3,
    });
    // Another tenant has its own count and limit.
    expect((await batch(5, API_KEY_B)).status).toBe(202);
    // A canceled job is finished: room for one more.
    const [first] = (await stack.http('GET', '/v1/jobs?limit=100')).body.data;
    expect((await stack.http('POST', `/v1/jobs/${first.id}/cancel`)).status).toBe(200);
    expect((await stack.http('POST', '/v1/jobs', job())).status).toBe(202);
    expect((await stack.http('POST', '/v1/jobs', job())).status).toBe(429);
  });
});

function spawnApi(port: number, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...stack.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitUp(url: string) {
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start`);
}

describe('API_RATE_LIMIT across two API processes', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('one bucket per key shared by both replicas, with RateLimit headers and Retry-After', async () => {
    const env = { API_RATE_LIMIT: '2', API_RATE_BURST: '6' };
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      children.push(spawnApi(port, env));
      urls.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(urls.map(waitUp));
    const started = Date.now();
    const answers: Response[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push(
        await fetch(`${urls[i % 2]}/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${API_KEY_B}` } }),
      );
    }
    const elapsedS = (Date.now() - started) / 1000;
    const ok = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    // One shared bucket: the burst plus what refilled meanwhile, not a burst per replica.
    expect(ok.length).toBeGreaterThanOrEqual(6);
    expect(ok.length).toBeLessThanOrEqual(6 + Math.ceil(elapsedS * 2));
    expect(ok.length).toBeLessThan(12);
    expect(new Set(ok.map((r) => r.url.split('/v1')[0])).size).toBe(2);
    const refusal = limited[0] as Response;
    expect(refusal.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(refusal.headers.get('ratelimit-policy')).toBe('"burst";q=6;w=3');
    expect(refusal.headers.get('ratelimit')).toMatch(/^"burst";r=0;t=\d+$/);
    const body = (await refusal.json()) as { error: unknown };
    expect(body.error).toMatchObject({ code: 'rate_limited', details: { limit_per_second: 2, burst: 6 } });
    expect(ok[0]?.headers.get('ratelimit')).toMatch(/^"burst";r=\d+;t=\d+$/);
    // Another key has its own bucket.
    const other = await fetch(`${urls[0]}/v1/jobs?limit=1`, {
      headers: { authorization: `Bearer ${API_KEY_A}` },
    });
    expect(other.status).toBe(200);
    // After Retry-After, the key may send again.
    await new Promise((r) => setTimeout(r, Number(refusal.headers.get('retry-after')) * 1000));
    expect(
      (await fetch(`${urls[1]}/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${API_KEY_B}` } }))
        .status,
    ).toBe(200);
  }, 60_000);
});
