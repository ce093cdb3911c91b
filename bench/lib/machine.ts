import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';

/** Where and with what a run happened, for the report's header. */
export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  loadAtStart: number[];
  node: string;
  redis: string;
  commit: string;
  versions: Record<string, string>;
}

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    // Resolved from the workspace package that depends on it, as the apps do.
    const path = require.resolve(`${pkg}/package.json`, {
      paths: [
        new URL('../../apps/worker', import.meta.url).pathname,
        new URL('../../apps/api', import.meta.url).pathname,
      ],
    });
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export function describeMachine(redisVersion: string): Machine {
  let commit = '?';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {}
  return {
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    redis: redisVersion,
    commit,
    versions: Object.fromEntries(
      ['bullmq', 'ioredis', 'express', '@fal-ai/client', '@aws-sdk/lib-storage'].map((p) => [
        p,
        versionOf(p),
      ]),
    ),
  };
}
