/**
 * Benchmark: the fal emulator at fal's scale. Starts the emulator as its own process (so its CPU is its
 * own), drives it through the real `@fal-ai/client` on loopback — submit, status stream until COMPLETED,
 * result — and reports submits/s, requests in flight and the emulator's CPU per request. The CPU figure
 * comes from /proc/<emulator pid>/stat (utime+stime+cutime+cstime: the process and the ffmpeg children
 * it waited for), read before and after the measured phase, so it does not depend on how loaded the
 * machine is; throughput does.
 *
 *   pnpm exec tsx bench/emulator-scale.ts [--requests 3000] [--delay 5000] [--submitters 24]
 *                                         [--render-requests 12] [--max-seconds 180] [--smoke]
 *
 *   --requests N         requests in the measured `reuse` run (bounded: the run stops at N)
 *   --delay MS           the emulator's model time per request (FAL_EMULATOR_DELAY_MS)
 *   --submitters K       submits in flight from the client at once
 *   --render-requests M  requests of the `render` baseline run (0 skips it)
 *   --max-seconds S      hard limit per run; requests still open then are abandoned and counted
 *   --smoke              a few seconds in all: 60 requests, 1 s model time, no render baseline
 *
 * Exported for `pnpm bench`: `runEmulatorScale(options)` returns the figures as an object.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createFoleyFalClient } from '@foley/shared/fal/client';

const ENDPOINT = 'fal-ai/kling-video/video-to-audio';
const MAIN = fileURLToPath(new URL('../apps/fal-emulator/src/main.ts', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ScaleOptions {
  media: 'render' | 'reuse';
  requests: number;
  delayMs: number;
  submitters: number;
  maxSeconds: number;
}

export interface ScaleRun {
  media: ScaleOptions['media'];
  requests: number;
  completed: number;
  failed: number;
  abandoned: number;
  delayMs: number;
  submitSeconds: number;
  submitsPerSecond: number;
  totalSeconds: number;
  peakInFlight: number;
  emulatorCpuMsPerRequest: number;
  clientCpuMsPerRequest: number;
  emulatorPeakRssMiB: number;
  loadAverage: [number, number];
}

/** The emulator as a child process on a free loopback port; resolves once it listens. */
async function startEmulatorProcess(media: ScaleOptions['media'], delayMs: number) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      FAL_EMULATOR_PORT: '0',
      FAL_EMULATOR_HOST: '127.0.0.1',
      FAL_EMULATOR_MEDIA: media,
      FAL_EMULATOR_DELAY_MS: String(delayMs),
      FAL_EMULATOR_CONCURRENCY: '10000',
      FAL_EMULATOR_RETAIN: '10m',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator did not start in 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** CPU seconds of a process and its waited-for children, from /proc. */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime=14, stime=15, cutime=16, cstime=17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / CLOCK_TICKS;
}

function procRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const loadAverage = (): [number, number] => {
  const [one, five] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return [Number(one), Number(five)];
};

export async function runEmulatorScale(opts: ScaleOptions): Promise<ScaleRun> {
  const emu = await startEmulatorProcess(opts.media, opts.delayMs);
  try {
    const fal = createFoleyFalClient({ falKey: 'bench', baseUrl: emu.url });
    const input = (i: number) => ({
      video_url: `${emu.url}/_emulator/samples/sample.mp4`,
      // reuse: one prompt, so one render serves every request; render: ffmpeg runs for each anyway.
      sound_effect_prompt: opts.media === 'reuse' ? 'bench rain' : `bench rain ${i}`,
    });

    // Warm-up: the sample video and the one render happen here, outside the measured phase.
    await fal.subscribe(ENDPOINT, { input: input(-1), mode: 'streaming' });

    const deadline = Date.now() + opts.maxSeconds * 1000;
    const stop = AbortSignal.timeout(opts.maxSeconds * 1000);
    setMaxListeners(0, stop); // every open call listens to it: thousands at once, by design
    const cpuBefore = procCpuSeconds(emu.pid);
    const clientBefore = process.cpuUsage();
    let peakRss = procRssMiB(emu.pid);
    const started = performance.now();
    let submitted = 0;
    let inFlight = 0;
    let peakInFlight = 0;
    let completed = 0;
    let failed = 0;
    const waits: Array<Promise<void>> = [];

    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, procRssMiB(emu.pid));
    }, 500);

    const follow = async (requestId: string) => {
      try {
        await fal.queue.subscribeToStatus(ENDPOINT, { requestId, mode: 'streaming', abortSignal: stop });
        await fal.queue.result(ENDPOINT, { requestId, abortSignal: stop });
        completed++;
      } catch {
        failed++;
      } finally {
        inFlight--;
      }
    };

    let next = 0;
    const submitter = async () => {
      while (next < opts.requests && Date.now() < deadline) {
        const i = next++;
        const { request_id } = await fal.queue.submit(ENDPOINT, { input: input(i), abortSignal: stop });
        submitted++;
        inFlight++;
        peakInFlight = Math.max(peakInFlight, inFlight);
        waits.push(follow(request_id));
      }
    };
    await Promise.all(Array.from({ length: opts.submitters }, submitter));
    const submitSeconds = (performance.now() - started) / 1000;
    await Promise.all(waits);
    clearInterval(sampler);
    const totalSeconds = (performance.now() - started) / 1000;
    const cpu = procCpuSeconds(emu.pid) - cpuBefore;
    const client = process.cpuUsage(clientBefore);
    const done = Math.max(1, completed);
    return {
      media: opts.media,
      requests: submitted,
      completed,
      failed,
      abandoned: opts.requests - submitted,
      delayMs: opts.delayMs,
      submitSeconds: round(submitSeconds, 2),
      submitsPerSecond: round(submitted / submitSeconds, 1),
      totalSeconds: round(totalSeconds, 2),
      peakInFlight,
      emulatorCpuMsPerRequest: round((cpu * 1000) / done, 2),
      clientCpuMsPerRequest: round((client.user + client.system) / 1000 / done, 2),
      emulatorPeakRssMiB: round(peakRss, 0),
      loadAverage: loadAverage(),
    };
  } finally {
    await emu.stop();
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

async function main() {
  const smoke = process.argv.includes('--smoke');
  const common = {
    delayMs: arg('delay', smoke ? 1000 : 5000),
    submitters: arg('submitters', smoke ? 8 : 24),
    maxSeconds: arg('max-seconds', smoke ? 30 : 180),
  };
  const runs: ScaleRun[] = [];
  const before = loadAverage();
  runs.push(
    await runEmulatorScale({ ...common, media: 'reuse', requests: arg('requests', smoke ? 60 : 3000) }),
  );
  const renderRequests = arg('render-requests', smoke ? 0 : 12);
  if (renderRequests > 0) {
    runs.push(await runEmulatorScale({ ...common, media: 'render', requests: renderRequests }));
  }
  console.log(`load average before: ${before.join(' / ')} (1 min / 5 min), ${navigatorCores()} cores`);
  console.log(
    '| media | requests | completed | failed | submits/s | peak in flight | emulator CPU/request | client CPU/request | emulator peak RSS | wall |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    console.log(
      `| ${r.media} | ${r.requests} | ${r.completed} | ${r.failed} | ${r.submitsPerSecond} | ${r.peakInFlight} | ${r.emulatorCpuMsPerRequest} ms | ${r.clientCpuMsPerRequest} ms | ${r.emulatorPeakRssMiB} MiB | ${r.totalSeconds} s |`,
    );
  }
  console.log(JSON.stringify({ bench: 'emulator-scale', smoke, runs }));
  if (runs.some((r) => r.failed > 0 || r.completed === 0)) process.exitCode = 1;
}

function navigatorCores(): number {
  return readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s/gm)?.length ?? 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
