/**
 * Benchmark: what a dubbing job costs Redis, and what the replica acknowledgement (WAIT) costs a submit.
 *
 * 1. Per job: a private standalone `redis-server` (loopback, ports 7100–7399), the in-process stack
 *    (API, worker, emulator, S3) on it; Redis's own counters (`INFO stats`, `INFO commandstats`) are
 *    read before and after `--jobs` jobs, minus the same stack's idle traffic over the same time.
 *    Two paths: polling only, and with an outbound webhook per job.
 * 2. WAIT: a primary + one replica; `--rounds` submit claims (`SET NX EX`) alone vs followed by the
 *    worker's confirmation (`INFO replication` + `WAIT 1`), one after another.
 *
 *   pnpm exec tsx bench/redis-cost.ts [--jobs 20] [--rounds 2000] [--smoke]
 */
import { createServer } from 'node:http';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { redisServerGroup } from '@foley/testkit/redis-servers';
import { createReplicaAck } from '@foley/worker/clients/replica-ack';
import { startStack } from '../test/support/stack';

const smoke = process.argv.includes('--smoke');
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const jobs = arg('jobs', smoke ? 1 : 20);
const rounds = arg('rounds', smoke ? 100 : 2000);

interface Counters {
  commands: number;
  bytesIn: number;
  bytesOut: number;
  byCommand: Record<string, number>;
}

async function counters(redis: RedisClient): Promise<Counters> {
  const stats = await redis.info('stats');
  const num = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(stats)?.[1] ?? 0);
  const byCommand: Record<string, number> = {};
  for (const m of (await redis.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
    byCommand[m[1]!] = Number(m[2]);
  }
  return {
    commands: num('total_commands_processed'),
    bytesIn: num('total_net_input_bytes'),
    bytesOut: num('total_net_output_bytes'),
    byCommand,
  };
}

const minus = (a: Counters, b: Counters): Counters => ({
  commands: a.commands - b.commands,
  bytesIn: a.bytesIn - b.bytesIn,
  bytesOut: a.bytesOut - b.bytesOut,
  byCommand: Object.fromEntries(
    Object.keys(a.byCommand).map((k) => [k, a.byCommand[k]! - (b.byCommand[k] ?? 0)]),
  ),
});

async function measureJobs(url: string) {
  // A customer endpoint for the webhook path; it only answers 200.
  const receiver = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const stack = await startStack({
    env: { REDIS_URL: url, FAL_POLL_FIRST: '250ms', FAL_POLL_MAX: '1s', LOG_LEVEL: 'silent' },
    emulator: { delayMs: smoke ? 200 : 1000, concurrency: 4 },
  });
  const probe = createRedis(url, 'worker');
  try {
    const video = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
    const run = async (label: string, extra: Record<string, unknown>) => {
      const before = await counters(probe);
      const started = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < jobs; i++) {
        const res = await stack.http('POST', '/v1/jobs', {
          video_url: video,
          sound_effect_prompt: `${label} ${i}`,
          ...extra,
        });
        if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.id);
      }
      // Not through GET /v1/jobs/:id: a client's polling is its own traffic, not the job's. One ZCARD
      // of BullMQ's completed set every 250 ms instead (subtracted below).
      const completed = `${stack.prefix}:dubbing:completed`;
      const target = (await probe.zcard(completed)) + jobs;
      let waits = 0;
      for (const deadline = Date.now() + 120_000; (await probe.zcard(completed)) < target; waits++) {
        if (Date.now() > deadline) throw new Error(`${label}: jobs did not complete within 120 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
      for (const id of ids) {
        const res = await stack.http('GET', `/v1/jobs/${id}`);
        if (res.body.status !== 'completed') throw new Error(`job ${id} ended ${res.body.status}`);
      }
      // Let the webhook deliveries finish and be recorded.
      await new Promise((r) => setTimeout(r, smoke ? 300 : 1_000));
      const elapsed = Date.now() - started;
      const busy = minus(await counters(probe), before);
      // Our own probes: the ZCARDs and the final GETs (each GET is a few reads; counted as measured below).
      busy.commands -= waits + 1;
      busy.byCommand.zcard = (busy.byCommand.zcard ?? 0) - waits - 1;
      // The same stack doing nothing (workers' blocking waits, stalled checks), scaled to the same time.
      const idleMs = Math.min(elapsed, smoke ? 1_000 : 10_000);
      const idleBefore = await counters(probe);
      await new Promise((r) => setTimeout(r, idleMs));
      const idleRaw = minus(await counters(probe), idleBefore);
      const scale = elapsed / idleMs;
      const idle = {
        ...idleRaw,
        commands: idleRaw.commands * scale,
        bytesIn: idleRaw.bytesIn * scale,
        bytesOut: idleRaw.bytesOut * scale,
      };
      const perJob = (n: number, idleN: number) => Math.round((n - idleN) / jobs);
      const top = Object.entries(busy.byCommand)
        .map(([k, v]) => [k, (v - (idle.byCommand[k] ?? 0) * scale) / jobs] as const)
        .filter(([, v]) => v >= 1)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`);
      return {
        path: label,
        elapsed_ms: elapsed,
        commands_per_job: perJob(busy.commands, idle.commands),
        bytes_in_per_job: perJob(busy.bytesIn, idle.bytesIn),
        bytes_out_per_job: perJob(busy.bytesOut, idle.bytesOut),
        idle_commands_per_s: Math.round((idleRaw.commands / idleMs) * 1000),
        top_commands_per_job: top,
      };
    };
    return [await run('poll', {}), await run('webhook', { webhook_url: hook })];
  } finally {
    probe.disconnect();
    await stack.close();
    receiver.close();
  }
}

async function measureWait(url: string) {
  const redis = createRedis(url, 'worker');
  try {
    // Wait for the replica link before measuring.
    for (let i = 0; i < 100 && !/slave0:.*state=online/.test(await redis.info('replication')); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ack = createReplicaAck({ redis, replicas: 1, timeoutMs: 1_000 });
    const time = async (withAck: boolean) => {
      const samples: number[] = [];
      let unacked = 0;
      for (let i = 0; i < rounds; i++) {
        const key = `bench-wait:${withAck ? 'ack' : 'plain'}:${i}`;
        const t0 = performance.now();
        await redis.set(key, '1', 'EX', 60, 'NX');
        if (withAck && !(await ack.confirm(key))) unacked++;
        samples.push(performance.now() - t0);
      }
      samples.sort((a, b) => a - b);
      const q = (p: number) =>
        Number(samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(3));
      return { p50_ms: q(0.5), p99_ms: q(0.99), max_ms: q(1), unacked };
    };
    return { claim_alone: await time(false), claim_with_wait: await time(true) };
  } finally {
    redis.disconnect();
  }
}

const group = redisServerGroup({ label: 'bench-redis', portRange: [7100, 7399] });
const flags = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];
try {
  const [standalonePort, primaryPort, replicaPort] = await group.ports(3);
  await group.start('standalone', standalonePort!, ['--port', String(standalonePort), ...flags]);
  const perJob = await measureJobs(`redis://127.0.0.1:${standalonePort}`);
  await group.start('primary', primaryPort!, ['--port', String(primaryPort), ...flags]);
  await group.start('replica', replicaPort!, [
    '--port',
    String(replicaPort),
    '--replicaof',
    '127.0.0.1',
    String(primaryPort),
    ...flags,
  ]);
  const wait = await measureWait(`redis://127.0.0.1:${primaryPort}`);
  console.log(JSON.stringify({ jobs, rounds, perJob, wait }, null, 2));
} finally {
  await group.stop();
}
