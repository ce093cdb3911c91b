import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis } from '@foley/shared/infra/redis';
import { freePort } from '@foley/testkit/listen';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface DevStack {
  api: string;
  emulator: string;
  apiKey: string;
  env: Record<string, string>;
  output: () => string;
  /** True while any process of the `pnpm dev` process group is alive. */
  groupAlive(): boolean;
  stop(): Promise<number | null>;
}

/** Runs `pnpm dev` exactly as a user would, on free ports and its own Redis prefix. */
export async function startDevStack(extra: Record<string, string> = {}): Promise<DevStack> {
  const [port, emuPort, s3Port, metricsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'foley-e2e-'));
  const apiKey = 'e2e_key_0123456789';
  const env: Record<string, string> = {
    REDIS_URL: await resolveTestRedisUrl(),
    PORT: String(port),
    FAL_EMULATOR_PORT: String(emuPort),
    LOCAL_S3_PORT: String(s3Port),
    LOCAL_S3_DIR: dataDir,
    METRICS_PORT: String(metricsPort),
    QUEUE_PREFIX: testPrefix('e2e'),
    API_KEYS: `e2e:${apiKey}`,
    FAL_EMULATOR_DELAY_MS: '500',
    LOG_PRETTY: 'false',
    LOG_LEVEL: 'warn',
    ...extra,
  };
  const child: ChildProcess = spawn('pnpm', ['dev'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() can send SIGINT to all of it, as Ctrl-C in a terminal does.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('Foley is running')) {
    if (child.exitCode !== null) throw new Error(`pnpm dev exited early:\n${output}`);
    if (Date.now() > deadline) {
      process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`pnpm dev did not come up in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stopping: Promise<number | null> | undefined;
  return {
    api: `http://127.0.0.1:${port}`,
    emulator: `http://127.0.0.1:${emuPort}`,
    apiKey,
    env,
    output: () => output,
    groupAlive,
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };

  function groupAlive(): boolean {
    try {
      process.kill(-(child.pid as number), 0);
      return true;
    } catch {
      return false;
    }
  }

  async function stopAll(): Promise<number | null> {
    process.kill(-(child.pid as number), 'SIGINT');
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {}
    }, 20_000);
    const code = await exited;
    // pnpm exits first; its children finish their own shutdown (and last Redis writes) after it.
    for (let i = 0; i < 100 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 200));
    clearTimeout(timer);
    const redis = createRedis(env.REDIS_URL as string, 'worker');
    await deleteKeys(redis, env.QUEUE_PREFIX as string);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  }
}
