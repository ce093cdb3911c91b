import { freePort } from '@foley/testkit/listen';
import { watchCompletions } from '../lib/completions';
import { type BenchContext, benchPrefix, foleyEnv } from '../lib/context';
import { enqueue, foleyJobData, sampleResult } from '../lib/jobs';
import { type RoleProcess, startEmulatorProcess, startRole } from '../lib/processes';
import { delta, keysWithoutTtl, type RedisCounters, readCounters, topCommands } from '../lib/redis-meter';
import { fmt, type PairResult } from '../lib/rows';
import { median, spread } from '../lib/stats';

interface Run {
  jobsPerSecond: number;
  ofIdeal: number;
  completed: number;
  failed: number;
  redis: RedisCounters;
  workerCpuMsPerJob: number;
  emulatorCpuMsPerJob: number;
  /** CPU of the S3 server (its own process) per job: Foley copies two objects per job, the bare worker none. */
  s3CpuMsPerJob: number;
  keysWithoutTtlPerJob: number;
}

interface Shape {
  jobs: number;
  concurrency: number;
  modelMs: number;
  processes: number;
}

/** The emulator's media mode: reuse unless FAL_EMULATOR_MEDIA in the bench's env says otherwise. */
const mediaOf = (ctx: BenchContext) => ctx.emulatorEnv.FAL_EMULATOR_MEDIA ?? 'reuse';

const idealSeconds = (s: Shape) => (Math.ceil(s.jobs / s.concurrency) * s.modelMs) / 1000;

async function timed(
  ctx: BenchContext,
  prefix: string,
  shape: Shape,
  jobs: Array<Record<string, unknown> & { id: string }>,
  procs: RoleProcess[],
  capMs: number,
  foley = false,
) {
  const watch = await watchCompletions(ctx.redisUrl, prefix);
  const before = await readCounters(ctx.redis);
  const cpuBefore = procs.map((p) => p.cpuSeconds());
  const started = performance.now();
  await enqueue(ctx.redisUrl, prefix, jobs, foley ? { redis: ctx.redis } : undefined);
  await watch.waitFor(shape.jobs, capMs);
  const last = Math.max(started, ...watch.completed.values());
  // Settle: the last completions' own writes (events, metrics) land before the counters are read.
  await new Promise((r) => setTimeout(r, 200));
  const redis = delta(before, await readCounters(ctx.redis));
  const cpu = procs.map((p, i) => p.cpuSeconds() - (cpuBefore[i] as number));
  await watch.close();
  const seconds = (last - started) / 1000;
  const completed = watch.completed.size;
  return { completed, failed: watch.failed.size, seconds, redis, cpu, failures: [...watch.failed.values()] };
}

async function bareRun(ctx: BenchContext, shape: Shape): Promise<Run> {
  const prefix = benchPrefix('bare-orch');
  const env = {
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    BENCH_CONCURRENCY: String(Math.ceil(shape.concurrency / shape.processes)),
    BENCH_MODEL_MS: String(shape.modelMs),
    BENCH_RESULT: JSON.stringify(sampleResult('job_01jd2bench0000000000000000')),
  };
  const workers = await Promise.all(
    Array.from({ length: shape.processes }, () => startRole('bare-worker', env)),
  );
  try {
    const jobs = Array.from({ length: shape.jobs }, () => foleyJobData('https://cdn.example.com/clip.mp4'));
    const t = await timed(ctx, prefix, shape, jobs, workers, 60_000);
    const cpu = t.cpu.reduce((a, b) => a + b, 0);
    return {
      jobsPerSecond: t.completed / t.seconds,
      ofIdeal: t.completed === shape.jobs ? idealSeconds(shape) / t.seconds : Number.NaN,
      completed: t.completed,
      failed: t.failed,
      redis: t.redis,
      workerCpuMsPerJob: (cpu * 1000) / shape.jobs,
      emulatorCpuMsPerJob: 0,
      s3CpuMsPerJob: 0,
      keysWithoutTtlPerJob: 0,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function foleyRun(ctx: BenchContext, shape: Shape): Promise<Run> {
  const prefix = benchPrefix('orch');
  const emulator = await startEmulatorProcess(
    {
      FAL_EMULATOR_DELAY_MS: String(shape.modelMs),
      FAL_EMULATOR_CONCURRENCY: String(shape.concurrency),
      ...ctx.emulatorEnv,
      FAL_EMULATOR_MEDIA: mediaOf(ctx),
    },
    await freePort(),
  );
  const video = `${emulator.url}/_emulator/samples/sample.mp4`;
  await (await fetch(video)).arrayBuffer(); // renders the sample once, before the clock starts
  const env = foleyEnv(ctx, prefix, {
    FAL_BASE_URL: emulator.url,
    WORKER_CONCURRENCY: String(Math.ceil(shape.concurrency / shape.processes)),
    FAL_CONCURRENCY: String(shape.concurrency),
  });
  const workers = await Promise.all(Array.from({ length: shape.processes }, () => startRole('worker', env)));
  try {
    const jobs = Array.from({ length: shape.jobs }, () => foleyJobData(video));
    const capMs = Math.max(30_000, idealSeconds(shape) * 1000 * 8);
    const s3Before = ctx.s3.cpuSeconds();
    const t = await timed(ctx, prefix, shape, jobs, [...workers, emulator], capMs, true);
    const s3Cpu = ctx.s3.cpuSeconds() - s3Before;
    if (t.failed > 0) console.warn(`orchestration: ${t.failed} Foley jobs failed, e.g. ${t.failures[0]}`);
    const workerCpu = t.cpu.slice(0, -1).reduce((a, b) => a + b, 0);
    const noTtl = await keysWithoutTtl(ctx.redis, `${prefix}:foley:*`);
    if (noTtl.length)
      console.warn(`orchestration: Foley keys without a TTL: ${noTtl.slice(0, 10).join(', ')}`);
    return {
      jobsPerSecond: t.completed / t.seconds,
      ofIdeal: t.completed === shape.jobs ? idealSeconds(shape) / t.seconds : Number.NaN,
      completed: t.completed,
      failed: t.failed,
      redis: t.redis,
      workerCpuMsPerJob: (workerCpu * 1000) / shape.jobs,
      emulatorCpuMsPerJob: ((t.cpu.at(-1) as number) * 1000) / shape.jobs,
      s3CpuMsPerJob: (s3Cpu * 1000) / shape.jobs,
      keysWithoutTtlPerJob: noTtl.length / shape.jobs,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await emulator.stop();
  }
}

/**
 * Worker orchestration: N jobs at concurrency C with a fixed model time, through Foley's worker and
 * the fal emulator vs bare sleeping BullMQ workers, with 1, 2 and 4 processes. The same runs give the
 * Redis cost per job (commands, bytes on the wire, memory kept).
 */
export async function orchestrationPair(ctx: BenchContext): Promise<PairResult> {
  // Without the emulator's media reuse every request renders real media with ffmpeg: at concurrency
  // 100 on a small machine the renders starve everything (submits time out), so the pair runs smaller
  // and says the emulator was the bound.
  const reuse = mediaOf(ctx) === 'reuse';
  const base = ctx.smoke
    ? { jobs: 4, concurrency: 4, modelMs: 300 }
    : reuse
      ? { jobs: 300, concurrency: 100, modelMs: 2000 }
      : { jobs: 60, concurrency: 20, modelMs: 2000 };
  const plan: Array<{ processes: number; rounds: number }> = ctx.smoke
    ? [{ processes: 1, rounds: 1 }]
    : [
        { processes: 1, rounds: 3 },
        { processes: 2, rounds: 1 },
        { processes: 4, rounds: 1 },
      ]
        .filter((p) => !ctx.orchestrationProcesses || ctx.orchestrationProcesses.includes(p.processes))
        .map((p) => (ctx.orchestrationProcesses ? { ...p, rounds: 1 } : p));
  const rows: PairResult['rows'] = [];
  const details: string[] = [];
  const facts: Record<string, number> = {};
  for (const { processes, rounds } of plan) {
    const shape = { ...base, processes };
    const f: Run[] = [];
    const b: Run[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        b.push(await bareRun(ctx, shape));
        f.push(await foleyRun(ctx, shape));
      } else {
        f.push(await foleyRun(ctx, shape));
        b.push(await bareRun(ctx, shape));
      }
    }
    const ratios = f.map((x, i) => x.jobsPerSecond / (b[i] as Run).jobsPerSecond);
    const m = (xs: Run[], pick: (r: Run) => number) => median(xs.map(pick));
    const failed = f.reduce((n, x) => n + x.failed, 0);
    const jobsPerSecond = (xs: Run[]) =>
      fmt(
        m(xs, (x) => x.jobsPerSecond),
        1,
      );
    const ofIdeal = (xs: Run[]) =>
      fmt(
        m(xs, (x) => x.ofIdeal),
        2,
      );
    rows.push({
      path: `worker orchestration, ${processes} process${processes > 1 ? 'es' : ''} (jobs/s)`,
      foley: `${jobsPerSecond(f)} (${ofIdeal(f)} of ideal)${failed ? `, **${failed} failed**` : ''}`,
      baseline: `${fmt(
        m(b, (x) => x.jobsPerSecond),
        1,
      )} (${fmt(
        m(b, (x) => x.ofIdeal),
        2,
      )} of ideal)`,
      ratio: median(ratios),
      ratioSpread: spread(ratios),
      goal: '≥ 0.9×',
      met: median(ratios) >= 0.9 && failed === 0,
    });
    if (!reuse && processes === 1 && !ctx.smoke) {
      details.push(
        'Orchestration ran with FAL_EMULATOR_MEDIA=render: the emulator rendered real media (ffmpeg) for every request, ' +
          `${fmt(m(f, (x) => x.emulatorCpuMsPerJob))} ms of its CPU per request, so the emulator, not Foley, was the bound; ` +
          'the shape was cut to 60 jobs at concurrency 20 (at 100 the renders starved the machine and submits timed out).',
      );
    }
    details.push(
      `Orchestration, ${processes} process(es): ${shape.jobs} jobs, concurrency ${shape.concurrency} in total, ` +
        `model ${shape.modelMs} ms, ${rounds} pair(s). CPU per job: Foley workers ${fmt(
          m(f, (x) => x.workerCpuMsPerJob),
          1,
        )} ms, ` +
        `emulator ${fmt(
          m(f, (x) => x.emulatorCpuMsPerJob),
          1,
        )} ms, S3 server ${fmt(
          m(f, (x) => x.s3CpuMsPerJob),
          1,
        )} ms, bare workers ${fmt(
          m(b, (x) => x.workerCpuMsPerJob),
          1,
        )} ms.`,
    );
    if (processes === 1) {
      const memF = m(f, (x) => x.redis.usedMemory / shape.jobs);
      const memB = m(b, (x) => x.redis.usedMemory / shape.jobs);
      const memRatios = f.map((x, i) => x.redis.usedMemory / (b[i] as Run).redis.usedMemory);
      const noTtl = m(f, (x) => x.keysWithoutTtlPerJob);
      rows.push({
        path: 'Redis memory per kept completed job',
        foley: `${fmt(memF)} B`,
        baseline: `${fmt(memB)} B`,
        ratio: median(memRatios),
        ratioSpread: spread(memRatios),
        goal: '≤ 1.3×, every key expiring',
        met: median(memRatios) <= 1.3 && noTtl === 0,
      });
      const cmdF = m(f, (x) => x.redis.commands / shape.jobs);
      const cmdB = m(b, (x) => x.redis.commands / shape.jobs);
      const bytesF = m(f, (x) => (x.redis.netInBytes + x.redis.netOutBytes) / shape.jobs);
      const bytesB = m(b, (x) => (x.redis.netInBytes + x.redis.netOutBytes) / shape.jobs);
      details.push(
        `Redis per job (same runs): commands Foley ${fmt(cmdF, 1)} / bare ${fmt(cmdB, 1)}; bytes on the wire ` +
          `Foley ${fmt(bytesF)} / bare ${fmt(bytesB)}; Foley keys without a TTL after the run: ${fmt(noTtl * shape.jobs)}. ` +
          `Most called per job (scripts' own calls included), Foley: ${topCommands((f[0] as Run).redis.byCommand, shape.jobs)}; ` +
          `bare: ${topCommands((b[0] as Run).redis.byCommand, shape.jobs)}.`,
      );
      Object.assign(facts, {
        orchFoleyJobsPerSecond: m(f, (x) => x.jobsPerSecond),
        orchOfIdeal: m(f, (x) => x.ofIdeal),
        orchWorkerCpuMsPerJob: m(f, (x) => x.workerCpuMsPerJob),
        orchEmulatorCpuMsPerJob: m(f, (x) => x.emulatorCpuMsPerJob),
        orchS3CpuMsPerJob: m(f, (x) => x.s3CpuMsPerJob),
        redisCommandsPerJob: cmdF,
        redisWireBytesPerJob: bytesF,
        redisMemoryPerJob: memF,
        redisCpuMsPerJob: m(f, (x) => (x.redis.cpuSeconds * 1000) / shape.jobs),
        concurrency: shape.concurrency,
        modelMs: shape.modelMs,
      });
    }
    facts[`orchJobsPerSecond${processes}`] = m(f, (x) => x.jobsPerSecond);
  }
  return { name: 'orchestration', rows, details, facts };
}
