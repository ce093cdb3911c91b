import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_A, type Stack, startStack } from './support/stack';

// Budgets are reserved in one Redis script at acceptance: two API processes racing on one tenant's
// budget never accept more than it holds. No worker: accepted jobs stay queued, so all stay reserved.
const root = fileURLToPath(new URL('..', import.meta.url));
const VIDEO = 'https://videos.example.com/clip.mp4';
const PRICE = 0.035;
const BUDGET = 0.35; // exactly 10 videos: reaching the budget is allowed, one more is not
let stack: Stack;
let second: { child: ChildProcess; url: string };

async function spawnApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', LOG_PRETTY: 'false' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  for await (const line of lines) {
    const match = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
    if (match) {
      clearTimeout(timer);
      lines.on('line', () => {}); // keep draining its logs
      return { child, url: match[1] as string };
    }
  }
  throw new Error('the second API process exited before listening');
}

/** `foley_budget_remaining_usd` for tenant-a as one API process's `/metrics` reports it. */
const remainingOn = async (base: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('foley_budget_remaining_usd{') && l.includes('tenant="tenant-a"'));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY_A}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: {
      URL_ALLOWLIST: '',
      TENANT_BUDGETS: `tenant-a:${BUDGET}/month`,
      FAL_PRICE_PER_VIDEO: String(PRICE),
    },
  });
  second = await spawnApi(stack.env);
  // Warm both processes (a dry run reserves nothing), so the race below is between two ready replicas.
  for (const base of [stack.api.url, second.url])
    for (let i = 0; i < 5; i++) await post(base, '/v1/jobs?dry_run=true', { video_url: VIDEO });
}, 60_000);
afterAll(async () => {
  if (second) {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
  await stack?.close();
});

describe('budgets across two API processes', () => {
  it('60 parallel submits split over both processes: exactly the budget is accepted, never a cent more', async () => {
    const bases = [stack.api.url, second.url];
    const wave = (n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) => post(bases[i % 2] as string, '/v1/jobs', { video_url: VIDEO })),
      );
    // 8 parallel (4 on each process) fit the budget, so both replicas hold reservations; then 52 more in
    // parallel race over the last 2 videos' worth.
    const first = await wave(8);
    expect(first.map((r) => r.status)).toEqual(Array(8).fill(202));
    const results = [...first, ...(await wave(52))];
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(50);
    expect(refused[0]?.body.error).toMatchObject({
      code: 'budget_exceeded',
      details: {
        budget: BUDGET,
        period: 'month',
        currency: 'USD',
        requested: PRICE,
        remaining: expect.any(Number),
      },
    });
    for (const r of refused) {
      const d = r.body.error.details;
      expect(d.spent + d.reserved + d.remaining).toBeCloseTo(BUDGET, 9);
      expect(d.remaining).toBeLessThan(PRICE);
    }
    const usage = await stack.http('GET', '/v1/usage');
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ spent: 0, reserved: BUDGET, currency: 'USD', jobs: { queued: 10 } });
    // Each process's gauge is read from Redis at scrape time, so both show what the other reserved.
    expect(await remainingOn(stack.api.url)).toBe(0);
    expect(await remainingOn(second.url)).toBe(0);
  });

  it('a batch that would overshoot is refused whole (402), and nothing of it is enqueued', async () => {
    const items = Array.from({ length: 3 }, () => ({ video_url: VIDEO }));
    const res = await post(second.url, '/v1/batches', { items });
    expect(res.status).toBe(402);
    expect(res.body.error.details).toMatchObject({ budget: BUDGET, requested: 0.105, remaining: 0 });
    const dry = await post(stack.api.url, '/v1/batches?dry_run=true', { items });
    expect(dry.status).toBe(402);
    expect((await stack.http('GET', '/v1/usage')).body.jobs).toEqual({ queued: 10 });
  });

  it('canceling a queued job releases its reservation: the budget has room for exactly one more', async () => {
    const listed = await stack.http('GET', '/v1/jobs?limit=1');
    const id = listed.body.data[0].id as string;
    const canceled = await stack.http('POST', `/v1/jobs/${id}/cancel`);
    expect(canceled.body).toMatchObject({
      status: 'canceled',
      cost: { amount: 0, currency: 'USD', billable_units: 0, source: 'none' },
    });
    const usage = (await stack.http('GET', '/v1/usage')).body;
    expect(usage).toMatchObject({ spent: 0, reserved: 0.315, jobs: { queued: 9, canceled: 1 } });
    expect(await remainingOn(second.url)).toBeCloseTo(PRICE, 9);
    const again = await Promise.all([
      post(stack.api.url, '/v1/jobs', { video_url: VIDEO }),
      post(second.url, '/v1/jobs', { video_url: VIDEO }),
    ]);
    expect(again.map((r) => r.status).sort()).toEqual([202, 402]);
  });
});
