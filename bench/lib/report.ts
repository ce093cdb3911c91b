import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Machine } from './machine';
import { fmt, type PairResult, type Row } from './rows';

const START = '<!-- bench:results:start (written by `pnpm bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

export function table(rows: Row[]): string {
  const head = ['path', 'Foley', 'bare baseline (same run)', 'ratio', 'ratio spread', 'goal', 'met'];
  const lines = rows.map((r) => [
    r.path,
    r.foley,
    r.baseline,
    `${fmt(r.ratio, 2)}×`,
    r.ratioSpread,
    r.goal,
    r.met ? 'yes' : '**no**',
  ]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The operators' figures: the measured ones, then what they imply at fal's latency. */
function operators(facts: Record<string, number>): string {
  const f = (k: string) => facts[k] ?? Number.NaN;
  const cpuMs = f('orchWorkerCpuMsPerJob');
  const redisCpuMs = f('redisCpuMsPerJob');
  const overheadS = f('e2eP50') / 1000;
  const concurrency = 8; // WORKER_CONCURRENCY's default
  const lines = [
    "## For operators: a fleet at fal's real latency",
    '',
    'Measured in this run (orchestration pair, 1 worker process; end-to-end pair):',
    '',
    `- worker CPU per job: ${fmt(cpuMs, 1)} ms (preflight, submit, waiting, both copies to S3); the emulator's CPU per request: ${fmt(f('orchEmulatorCpuMsPerJob'), 1)} ms`,
    `- Redis per job: ${fmt(f('redisCommandsPerJob'), 1)} commands, ${fmt(f('redisWireBytesPerJob'))} bytes on the wire, ${fmt(f('redisMemoryPerJob'))} bytes kept per completed job, ${fmt(redisCpuMs, 3)} ms of Redis CPU`,
    `- overhead above the model's time at low load: p50 ${fmt(f('e2eP50'))} ms, p99 ${fmt(f('e2eP99'))} ms (with \`PIN_INPUTS=false\`: p50 ${fmt(f('e2eUnpinnedP50'))} ms, p99 ${fmt(f('e2eUnpinnedP99'))} ms)`,
    `- intake: ${fmt(f('intakeFoleyRps'))} POST/s on one API process at ${fmt(f('intakeFoleyCpuMs'), 3)} ms CPU each, ${fmt(f('intakeCommandsPerPost'), 2)} Redis commands each; batches ${fmt(f('batchItemsPerSecond'))} items/s`,
    '',
    "Arithmetic from those figures (model time T is fal's, per job; the worker default is `WORKER_CONCURRENCY=8`):",
    '',
    '| T (fal model time) | jobs/hour per worker process (slot-bound: 8 × 3600 / (T + overhead)) | CPU-bound ceiling per process (3600 s / CPU per job) | fal slot-seconds held per model-second |',
    '|---|---|---|---|',
  ];
  for (const t of [30, 60, 120]) {
    lines.push(
      `| ${t} s | ${fmt((concurrency * 3600) / (t + overheadS))} | ${fmt((3600 * 1000) / cpuMs)} (raise WORKER_CONCURRENCY until this binds) | ≤ ${fmt((t + overheadS) / t, 3)} |`,
    );
  }
  const redisJobsPerSecond = 1000 / redisCpuMs;
  lines.push(
    '',
    `One Redis primary is one core: at ${fmt(redisCpuMs, 3)} ms of its CPU per job it saturates near ${fmt(redisJobsPerSecond)} jobs/s ` +
      `(${fmt(redisJobsPerSecond * 3600)} jobs/hour), ignoring API reads; at T = 60 s that is ${fmt(redisJobsPerSecond * 60)} fal requests in flight, ` +
      'far above any fal account concurrency. Memory: completed jobs are kept 7 days, so 100,000 jobs a day keep about ' +
      `${fmt((100_000 * 7 * f('redisMemoryPerJob')) / 2 ** 30, 2)} GiB (and nothing else grows: every Foley key expires with its job, and BullMQ's event stream stops at its 10,000 entries, about 1.8 MiB; ` +
      'the simulated day below shows it flat). ' +
      "The slot-seconds column is an upper bound: the slot is freed when fal's result is fetched, before the S3 copy, so only the part of the overhead before the result counts.",
  );
  return lines.join('\n');
}

export function renderResults(results: PairResult[], machine: Machine, command: string): string {
  const rows = results.flatMap((r) => r.rows);
  const facts = Object.assign({}, ...results.map((r) => r.facts)) as Record<string, number>;
  const loadEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const shared = Math.max(...machine.loadAtStart, ...loadEnd) > machine.cores * 0.5;
  return [
    START,
    '',
    `Run of \`${command}\` on ${machine.date}, commit ${machine.commit}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ` +
      `Node ${machine.node}, Redis ${machine.redis} (a private \`redis-server\` on loopback, no persistence), the in-process s3rver as S3, the fal emulator in its own process; ` +
      Object.entries(machine.versions)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ') +
      `. Load average at start ${machine.loadAtStart.join(' / ')}, at end ${loadEnd.join(' / ')}` +
      (shared
        ? ' — **a shared, busy machine**: wall-clock pairs swing, trust a pair where req/s and CPU per request agree.'
        : '.'),
    '',
    table(rows),
    '',
    ...results.flatMap((r) => r.details.map((d) => `- ${d}`)),
    '',
    operators(facts),
    '',
    END,
  ].join('\n');
}

/** Replaces the generated block of BENCHMARKS.md (or appends it), keeping the hand-written text around it. */
export function writeBenchmarks(path: string, block: string): void {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {}
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const next =
    a !== -1 && b > a
      ? `${text.slice(0, a)}${block}${text.slice(b + END.length)}`
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
