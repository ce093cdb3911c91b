/**
 * `pnpm dev`: the whole offline stack in the foreground — local S3 server, fal emulator, API, worker —
 * each its own process, output prefixed by name. A crashed worker is restarted (with backoff); Ctrl-C
 * stops everything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@foley/shared/infra/config';
import { createRedis } from '@foley/shared/infra/redis';
import {
  describeRedis,
  type RedisSettings,
  redisEnvSchema,
  redisSettingsOf,
} from '@foley/shared/infra/redis-config';
import { devEnv, userRedisSet } from './dev-env';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = devEnv(process.env);

interface Part {
  name: string;
  entry: string;
  color: number;
  restart: boolean;
  port?: string;
}
const parts: Part[] = [
  { name: 's3', entry: 'scripts/local-s3.ts', color: 35, restart: false, port: env.LOCAL_S3_PORT },
  {
    name: 'fal-emulator',
    entry: 'apps/fal-emulator/src/main.ts',
    color: 36,
    restart: false,
    port: env.FAL_EMULATOR_PORT,
  },
  { name: 'api', entry: 'apps/api/src/main.ts', color: 32, restart: false, port: env.PORT },
  { name: 'worker', entry: 'apps/worker/src/main.ts', color: 33, restart: true },
];

const children = new Map<string, ChildProcess>();
let stopping = false;

async function main() {
  // The same variables and checks as the API and worker: standalone URL, Cluster or Sentinel, TLS.
  const redis = redisSettingsOf(loadConfig(redisEnvSchema, env));
  const answers = await redisAnswers(redis);
  if (!answers && (userRedisSet(process.env) || !(await startLocalRedis(env.REDIS_URL!, redis)))) {
    console.error(
      `Redis does not answer at ${describeRedis(redis)}.\n` +
        'Start one, e.g.: redis-server --port 6379 --appendonly yes --daemonize yes\n' +
        '  (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis; or: docker run -p 6379:6379 redis:7)\n' +
        'or point REDIS_URL (or REDIS_CLUSTER_NODES, or REDIS_SENTINELS + REDIS_SENTINEL_NAME) at yours.',
    );
    process.exit(1);
  }
  for (const part of parts) {
    start(part, 0);
    if (part.port) await waitForPort(Number(part.port), part.name);
  }
  const api = `http://127.0.0.1:${env.PORT}`;
  const key = env.API_KEYS!.split(',')[0]!.split(':').pop();
  console.log(
    [
      '',
      'Foley is running (offline):',
      `  API            ${api}        (docs ${api}/docs, dashboard ${api}/admin/queues as ${env.ADMIN_USER})`,
      `  fal emulator   ${env.FAL_BASE_URL || '(real fal.ai)'}`,
      `  S3 (local)     ${env.S3_ENDPOINT}  bucket ${env.S3_BUCKET}`,
      `  worker         metrics http://127.0.0.1:${env.METRICS_PORT}/metrics`,
      `  Redis          ${describeRedis(redis)}  prefix ${env.QUEUE_PREFIX}`,
      `  API key        ${key}`,
      '',
      'Try it:',
      `  curl -s -X POST ${api}/v1/jobs -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' \\`,
      `    -d '{"video_url":"http://127.0.0.1:${env.FAL_EMULATOR_PORT}/_emulator/samples/sample.mp4"}'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

function start(
  part: Part,
  restarts: number,
  command: [string, string[]] = [process.execPath, ['--import', 'tsx', part.entry]],
) {
  const child = spawn(command[0], command[1], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(part.name, child);
  const prefix = `\x1b[${part.color}m${part.name.padEnd(12)}\x1b[0m │ `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    children.delete(part.name);
    if (stopping) return;
    console.error(`${prefix}exited (${signal ?? `code ${code}`})`);
    if (part.restart && restarts < 5) {
      const delay = 1000 * 2 ** restarts;
      console.error(`${prefix}restarting in ${delay / 1000} s`);
      setTimeout(() => start(part, restarts + 1), delay);
    } else if (part.restart) {
      console.error(
        `${prefix}gave up after 5 restarts; start one by hand: pnpm --filter ./apps/worker start`,
      );
    } else {
      console.error(`${prefix}is needed by the stack; stopping.`);
      void stop(1);
    }
  });
}

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  const exits = [...children.values()].map((c) => new Promise((resolve) => c.once('exit', resolve)));
  for (const child of children.values()) child.kill('SIGTERM');
  const timeout = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, 15_000);
  await Promise.all(exits);
  clearTimeout(timeout);
  process.exit(code);
}

/** No Redis answering on a loopback URL, but redis-server is installed: run one for the stack (AOF on). */
async function startLocalRedis(url: string, settings: RedisSettings): Promise<boolean> {
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost'].includes(hostname) || !commandExists('redis-server')) return false;
  const dir = `${root}.data/redis`;
  mkdirSync(dir, { recursive: true });
  const part: Part = { name: 'redis', entry: '', color: 31, restart: false, port: port || '6379' };
  start(part, 0, [
    'redis-server',
    [
      '--port',
      part.port!,
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
    ],
  ]);
  await waitForPort(Number(part.port), 'redis');
  return redisAnswers(settings);
}

function commandExists(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(`${d}/${name}`));
}

/** PING through the factory the processes use, so TLS (`rediss://`), Cluster and Sentinel are spoken too. */
async function redisAnswers(settings: RedisSettings): Promise<boolean> {
  const client = createRedis(settings, 'producer', { retryStrategy: () => null, connectTimeout: 1_500 });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), 3_000);
  });
  const ready = new Promise<void>((resolve) => {
    if (client.status === 'ready') resolve();
    else client.once('ready', () => resolve());
  });
  try {
    const ping = ready.then(() => client.ping()).then((reply) => reply === 'PONG');
    return await Promise.race([ping.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

async function waitForPort(port: number, name: string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !stopping) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!stopping) {
    console.error(`${name} did not start listening on port ${port} within 60 s`);
    await stop(1);
  }
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
await main();
