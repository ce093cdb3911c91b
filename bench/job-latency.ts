/**
 * Benchmark: end-to-end latency of a dubbing job through Foley (POST /v1/jobs → preflight → fal
 * emulator → both files into S3 → GET says completed) against the baseline of calling the emulator
 * directly with the real fal client (`subscribe`, then downloading both outputs) for the same video.
 * The ratio is Foley's overhead over the bare model call. Real Redis, local S3 server, in-process API
 * and worker; the emulator runs real ffmpeg.
 *
 *   pnpm exec tsx scripts/bench-job-latency.ts [--jobs 10] [--delay 1000]
 */
import { createFoleyFalClient } from '@foley/shared/fal/client';
import { MODEL_ENDPOINT } from '@foley/shared/jobs/model';
import { startStack } from '../test/support/stack';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const jobs = arg('jobs', 10);
const delayMs = arg('delay', 1000);

const stack = await startStack({
  emulator: { delayMs, concurrency: 4 },
  env: { FAL_POLL_FIRST: '250ms', FAL_POLL_MAX: '1s', LOG_LEVEL: 'silent' },
});
const video = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
const fal = createFoleyFalClient({ falKey: 'bench', baseUrl: stack.emulator.url });

async function direct(i: number): Promise<number> {
  const started = performance.now();
  const { data } = await fal.subscribe(MODEL_ENDPOINT, {
    input: { video_url: video, sound_effect_prompt: `direct ${i}` },
    pollInterval: 250,
  });
  const out = data as { video: { url: string }; audio: { url: string } };
  for (const file of [out.video, out.audio]) await (await fetch(file.url)).arrayBuffer();
  return performance.now() - started;
}

async function viaFoley(i: number): Promise<number> {
  const started = performance.now();
  const res = await stack.http('POST', '/v1/jobs', { video_url: video, sound_effect_prompt: `foley ${i}` });
  if (res.status !== 202) throw new Error(`submit failed: ${JSON.stringify(res.body)}`);
  const job = await stack.waitForJob(res.body.id, undefined, 120_000);
  if (job.status !== 'completed') throw new Error(`job ${job.id} ended ${job.status}`);
  return performance.now() - started;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

try {
  // Warm-up: ffmpeg caches, the sample rendering, TLS-free HTTP keep-alive.
  await direct(-1);
  await viaFoley(-1);
  const base: number[] = [];
  const foley: number[] = [];
  for (let i = 0; i < jobs; i++) {
    base.push(await direct(i));
    foley.push(await viaFoley(i));
  }
  const b = stats(base);
  const f = stats(foley);
  const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;
  console.log(`jobs ${jobs} sequential, emulator delay ${delayMs} ms, 5 s 640x360 sample`);
  console.log('path                         p50      p95      mean');
  console.log(`direct fal client (baseline) ${ms(b.p50)}  ${ms(b.p95)}  ${ms(b.mean)}`);
  console.log(`through Foley                ${ms(f.p50)}  ${ms(f.p95)}  ${ms(f.mean)}`);
  console.log(
    `ratio Foley/baseline p50 ${(f.p50 / b.p50).toFixed(2)}x, mean ${(f.mean / b.mean).toFixed(2)}x`,
  );
} finally {
  await stack.close();
}
