import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../lib/context';
import { fmt, type PairResult } from '../lib/rows';
import type { CopyMode, CopyRun } from '../lib/s3-copy-run';
import { median, spread } from '../lib/stats';

const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL('../lib/s3-copy-child.ts', import.meta.url));

function copyInChild(ctx: BenchContext, mode: CopyMode, bytes: number): Promise<CopyRun> {
  const proc = spawn(
    process.execPath,
    [...process.execArgv, CHILD, mode, ctx.s3.endpoint, ctx.s3.bucket, String(bytes)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
    proc.once('error', reject);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as CopyRun);
      else reject(new Error(`${mode} copy exited with code ${code}: ${out}`));
    });
  });
}

/** S3 copy: Foley's ObjectStore.upload vs a raw lib-storage Upload, each in a fresh process, alternating. */
export async function s3CopyPair(ctx: BenchContext): Promise<PairResult> {
  const sizes = ctx.smoke ? [8] : [100, 300];
  const rounds = ctx.smoke ? 1 : 3;
  const rows: PairResult['rows'] = [];
  const details: string[] = [];
  const growth = (r: CopyRun) => r.peakRssMiB - r.startRssMiB;
  for (const mib of sizes) {
    const f: CopyRun[] = [];
    const b: CopyRun[] = [];
    for (let r = 0; r < rounds; r++) {
      const order: CopyMode[] = r % 2 === 0 ? ['raw', 'foley'] : ['foley', 'raw'];
      for (const mode of order) (mode === 'foley' ? f : b).push(await copyInChild(ctx, mode, mib * MiB));
    }
    const speed = (x: CopyRun) => x.bytes / MiB / x.seconds;
    const ratios = f.map((x, i) => speed(x) / speed(b[i] as CopyRun));
    rows.push({
      path: `S3 copy ${mib} MiB (throughput)`,
      foley: `${fmt(median(f.map(speed)), 1)} MiB/s, RSS +${fmt(median(f.map(growth)))} MiB`,
      baseline: `${fmt(median(b.map(speed)), 1)} MiB/s, RSS +${fmt(median(b.map(growth)))} MiB`,
      ratio: median(ratios),
      ratioSpread: spread(ratios),
      goal: '≥ 0.9×, RSS growth ≤ bare',
      met: median(ratios) >= 0.9 && median(f.map(growth)) <= median(b.map(growth)) * 1.1,
    });
    details.push(
      `S3 copy ${mib} MiB: ${rounds} pair(s), each copy in a fresh process against the in-process s3rver; ` +
        `S3 requests per object Foley ${median(f.map((x) => x.requests))}, raw ${median(b.map((x) => x.requests))}. ` +
        `RSS growth is peak − start (GC garbage included), compared within 10%.`,
    );
  }
  return { name: 's3', rows, details, facts: {} };
}
