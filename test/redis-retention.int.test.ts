import { newId } from '@foley/shared/ids';
import { foleyKeys } from '@foley/shared/infra/keys';
import { JOB_RETENTION } from '@foley/shared/queues/catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

const DAY = 24 * 3600 * 1000;

/** Every key Foley writes for a job expires with it: nothing grows without bound in a `noeviction` Redis. */
describe('Redis retention of Foley keys', () => {
  let stack: Stack;
  let keys: ReturnType<typeof foleyKeys>;
  beforeAll(async () => {
    stack = await startStack({ emulator: { delayMs: 200 } });
    keys = foleyKeys(stack.prefix);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('trims the tenant index to retention on every write and lets it expire', async () => {
    const index = keys.tenantJobs('tenant-a');
    const expired = newId('job', Date.now() - JOB_RETENTION.failedSeconds * 1000 - DAY);
    const recent = newId('job', Date.now() - DAY);
    await stack.redis.zadd(index, 0, expired, 0, recent);
    await stack.redis.persist(index);

    const res = await stack.http('POST', '/v1/jobs', { video_url: 'https://cdn.example.com/a.mp4' });
    expect(res.status).toBe(202);
    const members = await stack.redis.zrange(index, 0, -1);
    expect(members).toContain(res.body.id);
    expect(members).toContain(recent);
    expect(members).not.toContain(expired);
    const ttl = await stack.redis.ttl(index);
    expect(ttl).toBeGreaterThan(JOB_RETENTION.failedSeconds - 60);
    expect(ttl).toBeLessThanOrEqual(JOB_RETENTION.failedSeconds);
  });

  it('drops the fal submit claim once the job completed', async () => {
    const video = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
    const res = await stack.http('POST', '/v1/jobs', { video_url: video });
    expect(res.status).toBe(202);
    const job = await stack.waitForJob(res.body.id, undefined, 30_000);
    expect(job.status).toBe('completed');
    expect(job.fal_request_id).toEqual(expect.any(String));
    expect(await stack.redis.exists(keys.falSubmitClaim(job.id))).toBe(0);
    // And no Foley key of this job is left without a TTL.
    const own = await stack.redis.keys(`${stack.prefix}:foley:*${job.id}*`);
    const ttls = await Promise.all(own.map((k) => stack.redis.ttl(k)));
    expect(ttls.filter((t) => t === -1)).toEqual([]);
  });

  it('leaves no Foley key of the deployment without a TTL once its jobs completed (dispatch state and registry included)', async () => {
    const video = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
    const res = await stack.http('POST', '/v1/jobs', { video_url: video });
    expect(res.status).toBe(202);
    expect((await stack.waitForJob(res.body.id, undefined, 30_000)).status).toBe('completed');
    const all = await stack.redis.keys(`${stack.prefix}:foley:*`);
    const ttls = await Promise.all(all.map((k) => stack.redis.ttl(k)));
    // An empty ZSET or HASH (the ready list, free slots) is deleted by Redis itself. A tenant's open-job
    // counter lives while the tenant has unfinished jobs (the first test's job is still retrying its
    // unreachable video) and is deleted when it reaches 0.
    const open = keys.tenantOpenJobs('tenant-a');
    const lasting = all.filter((k, i) => ttls[i] === -1 && k !== open);
    expect(lasting).toEqual([]);
    if (all.includes(open) && ttls[all.indexOf(open)] === -1)
      expect(Number(await stack.redis.get(open))).toBeGreaterThan(0);
  });
});
