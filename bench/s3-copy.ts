/**
 * Benchmark: copying a large body into S3 by streaming it through ObjectStore.upload (multipart, what
 * the worker does) vs the naive baseline of buffering it whole, then one PutObject. Each mode runs in a
 * fresh child process against an in-process local S3 server, so peak RSS is the copier's alone.
 *
 *   pnpm exec tsx scripts/bench-s3-copy.ts [--mib 500] [--only stream|buffer]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// Relative imports: the workspace root has no dependency on @foley/shared.
import { ensureBucket } from '@foley/shared/infra/s3';
import { localS3Client, startLocalS3Server } from '@foley/testkit/s3';
import { type CopyMode, type CopyRun, runCopy } from './s3-copy-run';

const MiB = 1024 * 1024;
const MODES: CopyMode[] = ['stream', 'buffer'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function child(mode: CopyMode) {
  const run = await runCopy(mode, {
    endpoint: arg('endpoint')!,
    bucket: arg('bucket')!,
    bytes: Number(arg('mib')) * MiB,
  });
  console.log(JSON.stringify(run));
}

function runChild(mode: CopyMode, endpoint: string, bucket: string, mib: number): Promise<CopyRun> {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--child', mode, '--endpoint', endpoint, '--bucket', bucket];
  const proc = spawn(process.execPath, [...args, '--mib', String(mib)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as CopyRun);
      else reject(new Error(`${mode} run exited with code ${code}: ${out}`));
    });
  });
}

function table(runs: CopyRun[]): string {
  const rows = runs.map((r) => [
    r.mode,
    `${(r.bytes / MiB).toFixed(0)} MiB`,
    `${r.seconds.toFixed(2)} s`,
    `${(r.bytes / MiB / r.seconds).toFixed(1)} MiB/s`,
    `${r.startRssMiB.toFixed(0)} MiB`,
    `${r.peakRssMiB.toFixed(0)} MiB`,
    `${(r.peakRssMiB - r.startRssMiB).toFixed(0)} MiB`,
  ]);
  const header = ['mode', 'body', 'time', 'throughput', 'RSS start', 'RSS peak', 'RSS growth'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main() {
  const mode = arg('child');
  if (mode) return child(mode as CopyMode);

  const mib = Number(arg('mib') ?? 500);
  if (!Number.isInteger(mib) || mib < 1) throw new Error('--mib must be a positive whole number');
  const server = await startLocalS3Server();
  const client = localS3Client(server.endpoint);
  try {
    await ensureBucket(client, 'bench');
    const only = arg('only');
    const runs: CopyRun[] = [];
    for (const m of MODES.filter((m) => !only || m === only)) {
      runs.push(await runChild(m, server.endpoint, 'bench', mib));
    }
    console.log(`S3 copy benchmark, ${mib} MiB generated body, local s3rver (${server.endpoint})\n`);
    console.log(table(runs));
    const [stream, buffer] = runs as [CopyRun, CopyRun | undefined];
    if (!buffer) return;
    const growth = (r: CopyRun) => Math.max(1, r.peakRssMiB - r.startRssMiB);
    const speed = (r: CopyRun) => r.bytes / r.seconds;
    console.log(
      `\nratios: buffer/stream RSS growth ${(growth(buffer) / growth(stream)).toFixed(1)}x, ` +
        `peak RSS ${(buffer.peakRssMiB / stream.peakRssMiB).toFixed(1)}x; ` +
        `stream/buffer throughput ${(speed(stream) / speed(buffer)).toFixed(2)}x`,
    );
  } finally {
    client.destroy();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
