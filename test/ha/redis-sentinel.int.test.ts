import { randomBytes } from 'node:crypto';
import { startRedisSentinel, type TestSentinel } from '@foley/testkit/redis-topologies';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANSWER_BOUND_MS, runFailoverDrill } from '../support/failover-drill';
import { type Stack, startStack } from '../support/stack';

// Redis Sentinel for real: a master, a replica and three sentinels on loopback. Jobs run through the API
// and a worker while the master is killed; the sentinels promote the replica, nothing is lost or paid twice.
const JOBS = Number(process.env.FAILOVER_JOBS ?? 50);
let sentinel: TestSentinel | undefined;
let stack: Stack | undefined;
const prefix = `test-sentinel-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  stack = await startStack({
    env: { ...sentinel.env, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: '8', FAL_CONCURRENCY: '8' },
    emulator: { delayMs: 200, concurrency: 8, media: 'reuse' },
  });
}, 60_000);
afterAll(async () => {
  // Bounded: a failed-over topology must not hold the suite (every server is killed below either way).
  await Promise.race([stack?.close().catch(() => {}), new Promise((r) => setTimeout(r, 40_000))]);
  await sentinel?.stop();
}, 60_000);

it('survives losing its master: 503s meanwhile, every job completed, one fal submit each', async () => {
  const s = stack as Stack;
  const t = sentinel as TestSentinel;
  const victim = t.master;
  const drill = await runFailoverDrill(s, {
    jobs: JOBS,
    label: 'sentinel',
    kill: async () => {
      await victim.kill();
      await t.waitForNewMaster(victim, 30_000);
    },
  });
  expect(victim.alive).toBe(false);

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
    `sentinel failover: ${JOBS} jobs, ${drill.probes.filter((p) => p.status === 503).length} × 503 of ${drill.probes.length} probes, ` +
      `slowest answer ${Math.max(...drill.probes.map((p) => p.ms))} ms, recovered after ${drill.recoveredAfterMs} ms, ${drill.submitRetries} submit retries`,
  );
}, 150_000);
