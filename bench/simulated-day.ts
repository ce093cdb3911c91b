/**
 * Benchmark: a time-compressed day. Is Redis's memory flat once jobs have been kept as long as they are
 * kept? Jobs flow through Foley's worker and the fal emulator at a steady rate for several retention
 * periods, with the retention scaled from days to seconds through the jobs' own BullMQ retention
 * (`removeOnComplete.age` / `removeOnFail.age`, which dubJobOptions sets from JOB_RETENTION); every
 * `--sample` seconds Redis's `used_memory`, its key count and the completed jobs kept are read.
 *
 * A private `redis-server` on a free loopback port (never 6379), the S3 server, the emulator and one
 * worker each in a process of their own, as `pnpm bench` starts them. Bounded: `--periods` × `--retention`
 * seconds of load (defaults: 5 × 30 s), then the last samples; about 3 minutes with the start.
 *
 *   pnpm exec tsx bench/simulated-day.ts [--rate 8] [--retention 30] [--periods 5] [--sample 5] [--smoke]
 *
 * What it does not scale: keys the API writes with day-long TTLs (the tenant index, Idempotency-Key
 * records, the spend ledger) — jobs are enqueued here as the API would enqueue them, not through it.
 */
import { ensureBucket } from '@foley/shared/infra/s3';
import { freePort } from '@foley/testkit/listen';
import { spawnRedisServer } from '@foley/testkit/redis';
import { localS3Client } from '@foley/testkit/s3';
import { Redis } from 'ioredis';
import { watchCompletions } from './lib/completions';
import { type BenchContext, benchPrefix, foleyEnv } from './lib/context';
import { createEnqueuer, foleyJobData } from './lib/jobs';
import { startEmulatorProcess, startRole } from './lib/processes';
import { keysWithoutTtl } from './lib/redis-meter';
import { levelsOff, type MemorySample } from './lib/simulated-day-stats';

const smoke = process.argv.includes('--smoke');
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const rate = arg('rate', smoke ? 4 : 8); // jobs per second
const retentionSeconds = arg('retention', smoke ? 4 : 30);
const periods = arg('periods', smoke ? 3 : 5);
const sampleSeconds = arg('sample', smoke ? 1 : 5);
const modelMs = 500;
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const server = await spawnRedisServer();
if (!server) throw new Error('simulated-day needs redis-server on PATH (it starts a private one)');
const redis = new Redis(server.url);
const s3 = await startRole('s3', {});
const s3Client = localS3Client(s3.url);
await ensureBucket(s3Client, 'bench');
const ctx = {
  smoke,
  redisUrl: server.url,
  redis,
  s3: { endpoint: s3.url, bucket: 'bench', cpuSeconds: () => s3.cpuSeconds() },
  emulatorEnv: {},
} satisfies BenchContext;
const prefix = benchPrefix('day');
const emulator = await startEmulatorProcess(
  { FAL_EMULATOR_DELAY_MS: String(modelMs), FAL_EMULATOR_CONCURRENCY: '200', FAL_EMULATOR_MEDIA: 'reuse' },
  await freePort(),
);
const video = `${emulator.url}/_emulator/samples/sample.mp4`;
await (await fetch(video)).arrayBuffer();
const worker = await startRole(
  'worker',
  foleyEnv(ctx, prefix, { FAL_BASE_URL: emulator.url, WORKER_CONCURRENCY: '50', FAL_CONCURRENCY: '50' }),
);
const watch = await watchCompletions(server.url, prefix);
const enqueuer = await createEnqueuer(server.url, prefix, redis, { retentionSeconds });

const info = async () => {
  const text = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(text)?.[1] ?? Number.NaN);
};
// BullMQ's event stream is capped by entry count (`streams.events.maxLen`, 10,000 by default), not by
// age: at a real day's volume it sits at its cap, a constant. It is sampled apart, so that what grows
// with the jobs kept is seen alone.
const eventsKey = `${prefix}:dubbing:events`;
const streamBytes = async () => ({
  bytes: Number((await redis.call('MEMORY', 'USAGE', eventsKey, 'SAMPLES', '0')) ?? 0),
  entries: await redis.xlen(eventsKey),
});
const samples: MemorySample[] = [];
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const loadSeconds = periods * retentionSeconds;
let added = 0;
try {
  const baseline = await info();
  let nextSample = 0;
  // Steady arrivals: a batch every 250 ms, so `rate` jobs per second on average.
  while (elapsed() < loadSeconds) {
    const due = Math.floor(elapsed() * rate) - added;
    if (due > 0) {
      await enqueuer.add(Array.from({ length: due }, () => foleyJobData(video)));
      added += due;
    }
    if (elapsed() >= nextSample) {
      const stream = await streamBytes();
      samples.push({
        t: elapsed(),
        usedMemory: (await info()) - baseline - stream.bytes,
        streamBytes: stream.bytes,
        streamEntries: stream.entries,
        keys: await redis.dbsize(),
        keptCompleted: await redis.zcard(`${prefix}:dubbing:completed`),
        ended: watch.completed.size + watch.failed.size,
      });
      const s = samples.at(-1) as MemorySample;
      console.log(
        `t=${s.t.toFixed(0).padStart(4)} s  added ${String(added).padStart(5)}  ended ${String(s.ended).padStart(5)}  ` +
          `kept ${String(s.keptCompleted).padStart(5)}  keys ${String(s.keys).padStart(6)}  used_memory +${mib(s.usedMemory)} MiB ` +
          `+ events stream ${mib(s.streamBytes)} MiB (${s.streamEntries} entries)`,
      );
      nextSample += sampleSeconds;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await watch.waitFor(added, 30_000);
  const noTtl = await keysWithoutTtl(redis, `${prefix}:foley:*`);
  const verdict = levelsOff(samples, retentionSeconds);
  console.log(
    `\n${added} jobs at ${rate}/s for ${loadSeconds} s (${periods} retention periods of ${retentionSeconds} s), ` +
      `${watch.completed.size} completed, ${watch.failed.size} failed; Foley keys without a TTL: ${noTtl.length}`,
  );
  console.log(
    '| period | used_memory at its end, less the events stream | keys | completed jobs kept | events stream |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const p of verdict.periods)
    console.log(
      `| ${p.period} | +${mib(p.usedMemory)} MiB | ${p.keys} | ${p.keptCompleted} | ${mib(p.streamBytes)} MiB, ${p.streamEntries} entries |`,
    );
  console.log(
    `growth over the last period: memory ${(verdict.lastGrowth * 100).toFixed(1)} %, keys ${(verdict.lastKeyGrowth * 100).toFixed(1)} % — ` +
      `${verdict.flat ? 'flat' : 'NOT flat'} (flat: both within ±10 % once the first period is over)`,
  );
  if (!verdict.flat && !smoke) process.exitCode = 1;
} finally {
  await watch.close();
  await enqueuer.close();
  await worker.stop();
  await emulator.stop();
  redis.disconnect();
  s3Client.destroy();
  await s3.stop();
  server.stop();
}
