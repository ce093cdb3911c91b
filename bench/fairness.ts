/**
 * Benchmark: the fal dispatcher (apps/worker/src/clients/fal-dispatch.ts, its Lua on a real Redis) under
 * a big backlog. fal is simulated: every dispatched job holds its slot for `--service` ms, then frees it
 * (what a real job does when fal is done). Measures:
 *  1. two tenants: "big" has `--backlog` jobs waiting; "small" submits 100 afterwards. The share of
 *     dispatches "small" gets in each window of 50 made while both have work waiting.
 *  2. a single job of an idle tenant under the same backlog: the time from listing to dispatch, against
 *     one slot turnover (the service time: the longest until some held slot frees).
 *  3. the Redis cost of waiting: Lua calls and ms per dispatch with 100 and with `--backlog` waiting.
 *
 *   pnpm exec tsx bench/fairness.ts [--backlog 10000] [--concurrency 10] [--service 20] [--smoke]
 */

import { createReadyList } from '@foley/shared/dispatch/ready-entry';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis } from '@foley/shared/infra/redis';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { createFalDispatch, type FalDispatch } from '@foley/worker/clients/fal-dispatch';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const smoke = process.argv.includes('--smoke');
const backlog = arg('backlog', smoke ? 1_000 : 10_000);
const concurrency = arg('concurrency', 10);
const serviceMs = arg('service', 20);

const redis = createRedis(await resolveTestRedisUrl(), 'worker');
const prefixes: string[] = [];
let seq = 0;
const id = (tenant: string) => `job_${String(++seq).padStart(9, '0')}${tenant}`;

interface Run {
  dispatch: FalDispatch;
  log: Array<{ id: string; at: number }>;
  list(tenant: string, n: number): Promise<string[]>;
  evals(): number;
  evalMs(): number;
}

function setup(): Run {
  const prefix = testPrefix('bench-fair');
  prefixes.push(prefix);
  const keys = foleyKeys(prefix);
  const log: Run['log'] = [];
  let evals = 0;
  let evalMs = 0;
  const counted = new Proxy(redis, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      // The dispatcher's scripts are commands defined on the connection (EVALSHA): foleyDispatch*.
      const script = prop === 'eval' || (typeof prop === 'string' && prop.startsWith('foleyDispatch'));
      if (!script || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        evals++;
        const started = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          evalMs += performance.now() - started;
        }
      };
    },
  });
  const dispatch: FalDispatch = createFalDispatch({
    redis: counted,
    keys,
    account: 'main',
    concurrency,
    tenants: { mode: 'out', list: [] },
    weights: { byTenant: {} },
    maxRunning: { byTenant: {} },
    // The "job": holds its slot for the service time, then frees it (which dispatches the next).
    promote: async (jobId) => {
      log.push({ id: jobId, at: performance.now() });
      setTimeout(() => void dispatch.release(jobId).catch(() => {}), serviceMs);
      return 'promoted';
    },
    staleGrantMs: 1e9,
  });
  const ready = createReadyList({ redis, keys });
  return {
    dispatch,
    log,
    evals: () => evals,
    evalMs: () => evalMs,
    async list(tenant, n) {
      const tickets = Array.from({ length: n }, () => ({ id: id(tenant), tenant }));
      for (let i = 0; i < n; i += 1000) await ready.add(tenant, tickets.slice(i, i + 1000));
      return tickets.map((t) => t.id);
    },
  };
}

const until = async (done: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (!done()) throw new Error('timed out');
};

// 1. Two tenants.
{
  const run = setup();
  await run.list('big', backlog);
  await run.dispatch.tick();
  await until(() => run.log.length >= concurrency * 3, 30_000);
  const small = new Set(await run.list('small', 100));
  await until(() => [...small].every((s) => run.log.some((l) => l.id === s)), 120_000);
  const afterSmall = run.log.slice(run.log.findIndex((l) => small.has(l.id)));
  const lastSmall = afterSmall.map((l) => small.has(l.id)).lastIndexOf(true);
  const both = afterSmall.slice(0, lastSmall + 1);
  const shares: number[] = [];
  for (let w = 0; w + 50 <= both.length; w += 50)
    shares.push(both.slice(w, w + 50).filter((l) => small.has(l.id)).length / 50);
  console.log(
    `two tenants (big: ${backlog} waiting, small: 100 after): ${both.length} dispatches while both waited; ` +
      `small's share per window of 50: ${shares.map((s) => `${Math.round(s * 100)}%`).join(', ')} ` +
      `(min ${Math.round(Math.min(...shares) * 100)}%, max ${Math.round(Math.max(...shares) * 100)}%)`,
  );
}

// 2. A single job of an idle tenant under the backlog.
{
  const run = setup();
  await run.list('big', backlog);
  await run.dispatch.tick();
  await until(() => run.log.length >= concurrency * 3, 30_000);
  const delays: number[] = [];
  for (let i = 0; i < (smoke ? 3 : 10); i++) {
    const listed = performance.now();
    const [single] = await run.list(`idle${i}`, 1);
    await until(() => run.log.some((l) => l.id === single), 30_000);
    delays.push((run.log.find((l) => l.id === single)?.at ?? 0) - listed);
    await new Promise((r) => setTimeout(r, serviceMs * 2));
  }
  const max = Math.max(...delays);
  console.log(
    `single job of an idle tenant behind ${backlog}: start delay mean ${(delays.reduce((a, b) => a + b, 0) / delays.length).toFixed(1)} ms, ` +
      `max ${max.toFixed(1)} ms; one slot turnover (the longest a held slot takes to free) = ${serviceMs} ms`,
  );
}

// 3. What waiting costs Redis: the same 150 dispatches with few and with many jobs waiting.
for (const waiting of [100, backlog]) {
  const run = setup();
  await run.list('a', waiting);
  await run.list('b', waiting);
  await run.dispatch.tick();
  await until(() => run.log.length >= concurrency, 30_000);
  const before = run.log.length;
  const [evalsBefore, msBefore] = [run.evals(), run.evalMs()];
  await until(() => run.log.length >= before + 150, 60_000);
  const dispatched = run.log.length - before;
  const evals = run.evals() - evalsBefore;
  console.log(
    `${waiting * 2} waiting: ${(evals / dispatched).toFixed(2)} Lua calls per dispatch, ` +
      `${((run.evalMs() - msBefore) / evals).toFixed(2)} ms per call (round trip included)`,
  );
}

for (const p of prefixes) await deleteKeys(redis, p);
redis.disconnect();
process.exit(0);
