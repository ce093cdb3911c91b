/**
 * One benchmark role per process, so each one's CPU is its own (read from /proc by the parent):
 *   api | worker | bare-intake | bare-worker | s3 (the emulator runs its own main.ts: see processes.ts)
 * The S3 server (s3rver) runs as a role of its own, not in the runner: in the runner its CPU (about as
 * much per job as Foley's worker) was shared with the completion watchers and counted nowhere.
 * Configured by env (the apps' own variables; BENCH_* for the baselines). Sends `{ ready, url }` over
 * IPC when it serves, stops on SIGTERM.
 */
import { apiConfigSchema } from '@foley/api/config';
import { startApi } from '@foley/api/server';
import { loadConfig } from '@foley/shared/infra/config';
import { createLogger } from '@foley/shared/infra/logger';
import { startLocalS3Server } from '@foley/testkit/s3';
import { workerConfigSchema } from '@foley/worker/config';
import { startWorker } from '@foley/worker/start-worker';
import { startBareIntake } from './baselines/bare-intake';
import { startBareWorker } from './baselines/bare-worker';

const env = process.env as Record<string, string>;
const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};
const logger = createLogger({ name: 'bench', level: env.LOG_LEVEL ?? 'warn' });

async function start(role: string): Promise<{ url?: string; close(): Promise<unknown> }> {
  switch (role) {
    case 'api':
      return startApi(loadConfig(apiConfigSchema, env), logger);
    case 'worker':
      return startWorker(loadConfig(workerConfigSchema, env), logger);
    case 'bare-intake':
      return startBareIntake({ redisUrl: need('REDIS_URL'), prefix: need('QUEUE_PREFIX') });
    case 'bare-worker': {
      const w = startBareWorker({
        redisUrl: need('REDIS_URL'),
        prefix: need('QUEUE_PREFIX'),
        concurrency: Number(env.BENCH_CONCURRENCY),
        modelMs: Number(env.BENCH_MODEL_MS ?? 0),
        ...(env.BENCH_RESULT ? { result: JSON.parse(env.BENCH_RESULT) as unknown } : {}),
      });
      await w.ready;
      return w;
    }
    case 's3': {
      const s3 = await startLocalS3Server();
      return { url: s3.endpoint, close: () => s3.close() };
    }
    default:
      throw new Error(`unknown role ${role}`);
  }
}

const role = process.argv[2] ?? '';
const running = await start(role);
process.send?.({ ready: true, url: running.url ?? '' });
process.once('SIGTERM', () => {
  running.close().finally(() => process.exit(0));
});
