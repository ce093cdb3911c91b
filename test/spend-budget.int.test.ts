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
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post(bases[i % 2] as string, '/v1/jobs', { video_url: VIDEO })),
    );
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(50);
    // Both processes accepted some: the race really was between two replicas.
    expect(new Set(results.map((r, i) => (r.status === 202 ? i % 2 : -1)).filter((x) => x >= 0)).size).toBe(
      2,
    );
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
    const again = await Promise.all([
      post(stack.api.url, '/v1/jobs', { video_url: VIDEO }),
      post(second.url, '/v1/jobs', { video_url: VIDEO }),
    ]);
    expect(again.map((r) => r.status).sort()).toEqual([202, 402]);
  });
});
