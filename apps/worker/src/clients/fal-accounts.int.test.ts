import { createReadyList, PARK_MS } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createLogger } from '@foley/shared/infra/logger';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { QUEUES } from '@foley/shared/queues/catalog';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FalGateway } from './fal';
import { createFalAccounts } from './fal-accounts';

// The dispatcher's promote against real BullMQ: a granted parked job leaves `delayed`; a granted job that
// no longer exists gives its slot back to the next one.
let redis: RedisClient;
const prefix = testPrefix('accts');
beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'worker');
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe('fal accounts (real Redis and BullMQ)', () => {
  it('promotes granted parked jobs, and a vanished one frees its slot for the next', async () => {
    const keys = foleyKeys(prefix);
    const queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
    const accounts = await createFalAccounts({
      accounts: [{ name: 'default', key: 'k', concurrency: 1 }],
      config: {
        TENANT_FAL_ACCOUNTS: { byTenant: {} },
        TENANT_WEIGHTS: { byTenant: {} },
        TENANT_MAX_RUNNING: { byTenant: {} },
      },
      redis,
      keys,
      queue,
      gateway: () => ({}) as FalGateway,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    const park = (id: string) => queue.add(QUEUES.dubbing.jobs.dub, { id }, { jobId: id, delay: PARK_MS });
    const ready = createReadyList({ redis, keys });
    // The first in line vanishes (canceled while queued) after it was listed.
    await park('job_00000001gone');
    await park('job_00000002next');
    await ready.add('acme', [
      { id: 'job_00000001gone', tenant: 'acme' },
      { id: 'job_00000002next', tenant: 'acme' },
    ]);
    await queue.remove('job_00000001gone');

    const dispatch = accounts.dispatchers[0];
    await dispatch?.tick();
    await new Promise((r) => setTimeout(r, 100)); // the slot given back promotes the next at once
    expect(await queue.getJobState('job_00000002next')).toBe('waiting');
    expect(await dispatch?.count()).toBe(1);
    await queue.close();
  });
});
