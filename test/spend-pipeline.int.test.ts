import { fileURLToPath } from 'node:url';
import { createFoleyClient } from '@foley/client';
import { foleyKeys } from '@foley/shared/infra/keys';
import type { DubJobData } from '@foley/shared/jobs/contract';
import { QUEUES } from '@foley/shared/queues/catalog';
import { startVideoServer } from '@foley/testkit/video-server';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runFoley } from './support/foley-cli';
import { API_KEY_A, type Stack, startStack } from './support/stack';

// Costs through the whole pipeline: a dry run reads nothing and enqueues nothing; finished jobs carry
// `cost` (from fal's X-Fal-Billable-Units), their webhook too; the costs add up to GET /v1/usage.
let stack: Stack;
let videos: Awaited<ReturnType<typeof startVideoServer>>;
let queue: Queue<DubJobData>;

beforeAll(async () => {
  videos = await startVideoServer({ 'clip.mp4': { segments: [{ zeros: 4096 }], contentType: 'video/mp4' } });
  stack = await startStack({ env: { TENANT_BUDGETS: 'tenant-a:10/day' } });
  queue = new Queue(QUEUES.dubbing.name, { connection: stack.redis, prefix: stack.prefix });
}, 60_000);
afterAll(async () => {
  await queue?.close();
  await stack?.close();
  await videos?.close();
});

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;
const jobCount = async () => {
  const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  return Object.values(c).reduce((a, b) => a + b, 0);
};

describe('spend through the pipeline', () => {
  it('dry runs of a job and a batch: the estimate, no video read, nothing enqueued or reserved', async () => {
    const url = `${videos.base}/clip.mp4`;
    const job = await stack.http('POST', '/v1/jobs?dry_run=true', { video_url: url });
    expect(job.status).toBe(200);
    expect(job.body).toEqual({
      accepted: 1,
      rejected: 0,
      errors: [],
      estimated_cost: { amount: 0.035, currency: 'USD', unit_price: 0.035, videos: 1 },
    });
    const batch = await stack.http('POST', '/v1/batches?dry_run=true', {
      items: [{ video_url: url }, { video_url: url }, { video_url: 'ftp://nope' }, { video_url: url }],
    });
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({
      accepted: 3,
      rejected: 1,
      errors: [expect.objectContaining({ index: 2 })],
      estimated_cost: { amount: 0.105, currency: 'USD', videos: 3 },
    });
    const bad = await stack.http('POST', '/v1/jobs?dry_run=maybe', { video_url: url });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toContainEqual(expect.objectContaining({ field: 'query.dry_run' }));
    // Give a wrongly enqueued job time to be picked up and read its video.
    await new Promise((r) => setTimeout(r, 500));
    expect(videos.requests).toEqual([]);
    expect(await jobCount()).toBe(0);
    expect((await stack.http('GET', '/v1/usage')).body).toMatchObject({ spent: 0, reserved: 0, jobs: {} });
  });

  it('completed jobs cost units × price from fal, in the view and the webhook; usage adds them up', async () => {
    const single = await stack.http('POST', '/v1/jobs', {
      video_url: sample(),
      webhook_url: `${videos.base}/hook`,
    });
    const batch = await stack.http('POST', '/v1/batches', {
      items: [{ video_url: sample() }, { video_url: sample(), sound_effect_prompt: 'rain' }],
    });
    expect(single.status).toBe(202);
    expect(batch.status).toBe(202);
    const ids = [single.body.id as string];
    const listed = await stack.http('GET', `/v1/jobs?batch_id=${batch.body.id}`);
    ids.push(...listed.body.data.map((j: { id: string }) => j.id));
    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id)));
    for (const job of jobs) {
      expect(job).toMatchObject({
        status: 'completed',
        cost: { amount: 0.035, currency: 'USD', billable_units: 1, source: 'fal' },
      });
    }
    // The job.completed event's signed body carries the same cost as the view.
    const keys = foleyKeys(stack.prefix);
    const [eventId] = await stack.redis.zrange(keys.resourceWebhooks('job', single.body.id), 0, 0);
    const body = JSON.parse((await stack.redis.hget(keys.webhookEvent(eventId as string), 'body')) as string);
    expect(body).toMatchObject({ type: 'job.completed', data: { id: single.body.id, cost: jobs[0]?.cost } });

    const usage = await waitForUsage((u) => u.jobs.completed === 3);
    const sum = jobs.reduce((s, j) => s + Math.round(j.cost.amount * 1e6), 0) / 1e6;
    expect(usage).toMatchObject({ spent: sum, reserved: 0, currency: 'USD', jobs: { completed: 3 } });
    const byBatch = (await stack.http('GET', '/v1/usage?group_by=batch')).body;
    expect(byBatch.groups).toEqual([{ key: batch.body.id, spent: 0.07, jobs: 2 }]);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await stack.http('GET', `/v1/usage?from=${today}&to=${today}&group_by=day`)).body;
    expect(byDay).toMatchObject({
      from: today,
      to: today,
      spent: sum,
      groups: [{ key: today, spent: sum, jobs: 3 }],
    });
  });

  it('rejects bad usage queries with 422 naming the field', async () => {
    for (const [q, field] of [
      ['from=2026-13-01', 'query.from'],
      ['from=2026-12-10&to=2026-12-01', 'query.to'],
      ['from=2024-01-01&to=2026-01-01', 'query.to'],
      ['group_by=hour', 'query.group_by'],
    ]) {
      const res = await stack.http('GET', `/v1/usage?${q}`);
      expect(res.status, q).toBe(422);
      expect(res.body.error.details, q).toContainEqual(expect.objectContaining({ field }));
    }
  });
});

function foley(args: string[]): Promise<CliRun> {
  return runFoley(args, { FOLEY_API_URL: stack.api.url, FOLEY_API_KEY: API_KEY_A }, 60_000);
}

describe('the CLI on the SDK', () => {
  it('foley submit --dry-run prints the estimate and submits nothing; foley usage prints the table', async () => {
    const before = (await stack.http('GET', '/v1/usage')).body;
    const dry = await foley(['submit', '--dry-run', sample(), `${sample()}?b=1`]);
    expect(dry.stderr).toBe('');
    expect(dry.stdout.trim()).toBe(
      'dry run: 2 item(s) would be accepted, 0 rejected; estimated cost 0.07 USD (2 × 0.035)',
    );
    expect(dry.code).toBe(0);
    const local = await foley(['submit', '--dry-run', fileURLToPath(import.meta.url)]);
    expect(local.code).not.toBe(0);
    expect((await stack.http('GET', '/v1/usage')).body).toEqual(before);

    const sdk = createFoleyClient({ apiUrl: stack.api.url, apiKey: API_KEY_A });
    expect(await sdk.jobs.create({ video_url: sample() }, { dryRun: true })).toMatchObject({
      accepted: 1,
      estimated_cost: { amount: 0.035 },
    });
    expect(await sdk.usage.get({ groupBy: 'day' })).toMatchObject({
      spent: before.spent,
      groups: [expect.any(Object)],
    });
    expect((await stack.http('GET', '/v1/usage')).body).toEqual(before);

    const table = await foley(['usage', '--group-by', 'batch']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`spent ${before.spent} USD, reserved 0 USD`);
    expect(table.stdout).toMatch(/BATCH\s+SPENT \(USD\)\s+JOBS/);
    expect(table.stdout).toMatch(/bat_\w+\s+0\.07\s+2/);
    const json = await foley(['--json', 'usage']);
    expect(JSON.parse(json.stdout)).toEqual(before);
  });
});

async function waitForUsage(done: (u: any) => boolean) {
  const deadline = Date.now() + 10_000;
  let last: any;
  while (Date.now() < deadline) {
    last = (await stack.http('GET', '/v1/usage')).body;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`usage never settled: ${JSON.stringify(last)}`);
}
