/**
 * `pnpm bench`: every pair (Foley vs a bare baseline, same run, alternating) on a private Redis, a
 * local S3 server and the fal emulator; prints the table and rewrites the results block of
 * BENCHMARKS.md. `pnpm bench --smoke`: the same scripts with tiny sizes, in seconds, writing nothing
 * (CI runs it so the scripts never rot). `--only intake,batch,orchestration,e2e,s3` runs some pairs.
 * FAL_EMULATOR_* variables (e.g. FAL_EMULATOR_MEDIA=reuse) reach every emulator it starts.
 */
import { fileURLToPath } from 'node:url';
import { ensureBucket } from '@foley/shared/infra/s3';
import { spawnRedisServer } from '@foley/testkit/redis';
import { localS3Client } from '@foley/testkit/s3';
import { Redis } from 'ioredis';
import { type BenchContext, benchPrefix, emulatorEnvFrom } from './lib/context';
import { describeMachine } from './lib/machine';
import { startRole } from './lib/processes';
import { renderResults, table, writeBenchmarks } from './lib/report';
import type { PairResult } from './lib/rows';
import { batchPair } from './pairs/batch';
import { e2ePair } from './pairs/e2e';
import { intakePair, startFoleyApi } from './pairs/intake';
import { orchestrationPair } from './pairs/orchestration';
import { s3CopyPair } from './pairs/s3-copy';

const PAIRS = ['intake', 'batch', 'orchestration', 'e2e', 's3'] as const;
const smoke = process.argv.includes('--smoke');
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const only = process.argv.includes('--only') && onlyArg ? onlyArg.split(',') : [...PAIRS];
const unknown = only.filter((p) => !(PAIRS as readonly string[]).includes(p));
if (unknown.length)
  throw new Error(`--only: unknown pair(s) ${unknown.join(', ')}; choose from ${PAIRS.join(', ')}`);

// Ctrl-C or a SIGTERM still runs the exit hooks that stop the private Redis and every child process.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const started = performance.now();
const server = await spawnRedisServer();
if (!server)
  throw new Error('pnpm bench needs redis-server on PATH (it starts a private one on a free port)');
const redis = new Redis(server.url);
// In its own process, so its CPU is measured apart from the runner's (see roles.ts).
const s3 = await startRole('s3', {});
const s3Client = localS3Client(s3.url);
await ensureBucket(s3Client, 'bench');
const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
const machine = describeMachine(redisVersion);
const ctx: BenchContext = {
  smoke,
  redisUrl: server.url,
  redis,
  s3: { endpoint: s3.url, bucket: 'bench', cpuSeconds: () => s3.cpuSeconds() },
  emulatorEnv: emulatorEnvFrom(process.env),
  orchestrationProcesses: process.env.BENCH_ORCH_PROCESSES?.split(',').map(Number),
};

const results: PairResult[] = [];
try {
  const wants = (p: (typeof PAIRS)[number]) => only.includes(p);
  if (wants('intake') || wants('batch')) {
    const api = await startFoleyApi(ctx, benchPrefix('intake'));
    try {
      if (wants('intake')) results.push(await report(await intakePair(ctx, api)));
      if (wants('batch')) results.push(await report(await batchPair(ctx, api)));
    } finally {
      await api.stop();
    }
  }
  if (wants('orchestration')) results.push(await report(await orchestrationPair(ctx)));
  if (wants('e2e')) {
    results.push(await report(await e2ePair(ctx)));
    results.push(await report(await e2ePair(ctx, { pinInputs: false })));
  }
  if (wants('s3')) results.push(await report(await s3CopyPair(ctx)));

  const rows = results.flatMap((r) => r.rows);
  const broken = rows.filter((r) => !Number.isFinite(r.ratio));
  if (broken.length) throw new Error(`rows without a ratio: ${broken.map((r) => r.path).join(', ')}`);
  console.log(`\n${table(rows)}\n`);
  console.log(`${rows.length} rows in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (!smoke && only.length === PAIRS.length && !ctx.orchestrationProcesses) {
    const ctxEnv = Object.entries(ctx.emulatorEnv)
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    const path = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
    writeBenchmarks(path, renderResults(results, machine, `${ctxEnv}pnpm bench`));
    console.log(`wrote ${path}`);
  }
} finally {
  redis.disconnect();
  s3Client.destroy();
  await s3.stop();
  server.stop();
}

async function report(result: PairResult): Promise<PairResult> {
  console.log(`\n[${result.name}] ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (const r of result.rows)
    console.log(
      `  ${r.path}: Foley ${r.foley}, bare ${r.baseline}, ratio ${r.ratio.toFixed(2)}× (${r.ratioSpread})`,
    );
  for (const d of result.details) console.log(`  ${d}`);
  return result;
}
