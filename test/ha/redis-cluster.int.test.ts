import { randomBytes } from 'node:crypto';
import { loadConfig } from '@foley/shared/infra/config';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis, waitUntilReady } from '@foley/shared/infra/redis';
import { redisEnvSchema, redisSettingsOf } from '@foley/shared/infra/redis-config';
import { startRedisCluster, type TestCluster } from '@foley/testkit/redis-topologies';
import { createJobSignals } from '@foley/worker/clients/job-signals';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANSWER_BOUND_MS, runFailoverDrill } from '../support/failover-drill';
import { type Stack, startStack } from '../support/stack';

// Redis Cluster for real: 3 masters + 3 replicas on loopback. Jobs run through the API and a worker
// while the master holding Foley's hash slot is killed; a replica takes over, nothing is lost or paid twice.
const JOBS = Number(process.env.FAILOVER_JOBS ?? 50);
let cluster: TestCluster | undefined;
let stack: Stack | undefined;
const prefix = `{test-cluster-${randomBytes(4).toString('hex')}}`;

beforeAll(async () => {
  cluster = await startRedisCluster();
  stack = await startStack({
    env: {
      ...cluster.env,
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: '8',
      FAL_CONCURRENCY: '8',
      ADMIN_USER: 'ops',
      ADMIN_PASSWORD: 'ops-password-cluster',
    },
    emulator: { delayMs: 200, concurrency: 8, media: 'reuse' },
  });
}, 60_000);
afterAll(async () => {
  // Bounded: a failed-over topology must not hold the suite (every server is killed below either way).
  await Promise.race([stack?.close().catch(() => {}), new Promise((r) => setTimeout(r, 40_000))]);
  await cluster?.stop();
}, 60_000);

it('survives losing the master of its slot: 503s meanwhile, every job completed, one fal submit each', async () => {
  const s = stack as Stack;
  const c = cluster as TestCluster;
  const victim = await c.masterOf(prefix);
  const drill = await runFailoverDrill(s, {
    jobs: JOBS,
    label: 'cluster',
    kill: async () => {
      await victim.kill();
      await c.waitHealthy(prefix, 30_000);
    },
  });
  expect(victim.alive).toBe(false);
  expect((await c.masterOf(prefix)).port).not.toBe(victim.port);

  // The API saw the failover (a 503, or an answer held while ioredis moved to the new master)…
  expect(drill.probes.some((p) => p.status === 503 || p.ms >= 500)).toBe(true);
  // …and never answered anything else, nor took more than 10 s.
  expect(drill.probes.every((p) => p.status === 200 || p.status === 503)).toBe(true);
  expect(Math.max(...drill.probes.map((p) => p.ms))).toBeLessThan(ANSWER_BOUND_MS);
  expect(drill.recoveredAfterMs).toBeGreaterThan(0);
  expect(drill.final.filter((j) => j.status !== 'completed')).toEqual([]);
  expect(drill.submitsPerJob).toEqual(drill.jobIds.map(() => 1));
  expect(drill.totalSubmits).toBe(JOBS);
  console.info(
    `cluster failover: ${JOBS} jobs, ${drill.probes.filter((p) => p.status === 503).length} × 503 of ${drill.probes.length} probes, ` +
      `slowest answer ${Math.max(...drill.probes.map((p) => p.ms))} ms, recovered after ${drill.recoveredAfterMs} ms, ${drill.submitRetries} submit retries`,
  );
}, 150_000);

/** Runs `op`, again every 250 ms for up to 10 s while the cluster client says it is not ready. */
async function whenReady<T>(op: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await op();
    } catch (error) {
      if (tries >= 40 || !/isn't ready/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

it('carries job signals (pub/sub) across the cluster after the failover', async () => {
  const settings = redisSettingsOf(
    loadConfig(redisEnvSchema, { ...(cluster as TestCluster).env, QUEUE_PREFIX: prefix }),
  );
  const keys = foleyKeys(prefix);
  const subscriber = createRedis(settings, 'subscriber');
  const publisher = createRedis(settings, 'producer');
  const signals = createJobSignals(subscriber, keys.jobEvents);
  await Promise.all([waitUntilReady(subscriber, 10_000), waitUntilReady(publisher, 10_000)]);
  try {
    for (let i = 0; i < 3; i++) {
      const woken = signals.wait(`job_signal${i}`, 5_000);
      // Published through another node's connection than the subscriber's, maybe: Cluster pub/sub is global.
      await new Promise((r) => setTimeout(r, 300));
      // A producer answers "not ready" while the cluster client refreshes its slots after the failover
      // (the API turns that into a 503); the signal must get through once it is ready again.
      await whenReady(() =>
        publisher.publish(keys.jobEvents(`job_signal${i}`), JSON.stringify({ type: 'cancel' })),
      );
      expect(await woken).toBe('cancel');
    }
  } finally {
    await signals.close();
    publisher.disconnect();
  }
});

it('serves Bull Board from the cluster', async () => {
  const s = stack as Stack;
  const res = await fetch(`${s.api.url}/admin/queues/api/queues`, {
    headers: { authorization: `Basic ${Buffer.from('ops:ops-password-cluster').toString('base64')}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
  const dubbing = body.queues.find((q) => q.name === 'dubbing');
  expect(dubbing?.counts.completed).toBeGreaterThanOrEqual(JOBS);
});
