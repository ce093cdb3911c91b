/**
 * The whole Foley stack in one test process, on real parts: Redis (own key prefix), an S3-compatible
 * server (own bucket), the fal emulator (driven through the real @fal-ai/client), the API over HTTP and
 * a worker. Each suite gets its own; `close()` removes everything it made.
 */

import { apiConfigSchema } from '@foley/api/config';
import { type RunningApi, startApi } from '@foley/api/server';
import { startEmulator } from '@foley/fal-emulator/server';
import { loadConfig } from '@foley/shared/infra/config';
import { createLogger } from '@foley/shared/infra/logger';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { redisSettingsOf } from '@foley/shared/infra/redis-config';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { startTestS3, type TestS3 } from '@foley/testkit/s3';
import { workerConfigSchema } from '@foley/worker/config';
import { type RunningWorker, startWorker } from '@foley/worker/start-worker';

export const API_KEY_A = 'test_key_tenant_a_0001';
export const API_KEY_B = 'test_key_tenant_b_0002';

export interface StackOptions {
  /** Extra env for API and worker (wins over the defaults below). */
  env?: Record<string, string>;
  emulator?: Parameters<typeof startEmulator>[0];
  /** Start a worker in-process (default true). */
  worker?: boolean;
}

export interface Stack {
  api: RunningApi;
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  s3: TestS3;
  bucket: string;
  redis: RedisClient;
  prefix: string;
  env: Record<string, string>;
  worker?: RunningWorker;
  startWorker(extra?: Record<string, string>): Promise<RunningWorker>;
  http(method: string, path: string, body?: unknown, opts?: HttpOptions): Promise<HttpResult>;
  waitForJob(id: string, statuses?: string[], timeoutMs?: number): Promise<Record<string, any>>;
  emulatorRequests(): Promise<Array<Record<string, any>>>;
  /** Queues an emulator fault (`POST /_emulator/faults`); throws unless the emulator took it. */
  emulatorFault(spec: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface HttpOptions {
  key?: string | null;
  headers?: Record<string, string>;
  raw?: string;
}
export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

const logger = createLogger({ name: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const otherTopology = opts.env?.REDIS_CLUSTER_NODES || opts.env?.REDIS_SENTINELS;
  const redisUrl = otherTopology ? undefined : (opts.env?.REDIS_URL ?? (await resolveTestRedisUrl()));
  const prefix = opts.env?.QUEUE_PREFIX ?? testPrefix('stack');
  const s3 = await startTestS3();
  const bucket = await s3.createBucket();
  const emulator = await startEmulator({ port: 0, delayMs: 300, ...opts.emulator });
  const env: Record<string, string> = {
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    QUEUE_PREFIX: prefix,
    S3_BUCKET: bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    FAL_KEY: 'test-fal-key',
    FAL_BASE_URL: emulator.url,
    API_KEYS: `tenant-a:${API_KEY_A},tenant-b:${API_KEY_B}`,
    URL_ALLOWLIST: '127.0.0.1,localhost,::1',
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    FAL_POLL_FIRST: '100ms',
    FAL_POLL_MAX: '300ms',
    JOB_LOCK_DURATION: '5s',
    STALLED_INTERVAL: '2s',
    SHUTDOWN_GRACE: '5s',
    WEBHOOK_SECRET: 'whsec_dGVzdC1zZWNyZXQtZm9yLWZvbGV5LXRlc3Rz',
    WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
    ...opts.env,
  };
  const apiConfig = loadConfig(apiConfigSchema, env);
  const api = await startApi(apiConfig, logger);
  const redis = createRedis(redisSettingsOf(apiConfig), 'worker');
  const workers: RunningWorker[] = [];
  const launchWorker = async (extra: Record<string, string> = {}) => {
    const w = await startWorker(loadConfig(workerConfigSchema, { ...env, ...extra }), logger);
    workers.push(w);
    return w;
  };
  const worker = opts.worker === false ? undefined : await launchWorker();

  const http: Stack['http'] = async (method, path, body, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? API_KEY_A : o.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined = o.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${api.url}${path}`, { method, headers, body: payload ?? null });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, headers: res.headers, body: parsed };
  };

  return {
    api,
    emulator,
    s3,
    bucket,
    redis,
    prefix,
    env,
    ...(worker ? { worker } : {}),
    startWorker: launchWorker,
    http,
    async waitForJob(id, statuses = ['completed', 'failed', 'canceled'], timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: HttpResult | undefined;
      while (Date.now() < deadline) {
        last = await http('GET', `/v1/jobs/${id}`);
        if (last.status === 200 && statuses.includes(last.body.status)) return last.body;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(
        `job ${id} did not reach ${statuses.join('|')} in ${timeoutMs} ms: ${JSON.stringify(last?.body)}`,
      );
    },
    async emulatorRequests() {
      return (await fetch(`${emulator.url}/_emulator/requests`)).json() as Promise<
        Array<Record<string, any>>
      >;
    },
    async emulatorFault(spec) {
      const res = await fetch(`${emulator.url}/_emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      if (res.status !== 201) throw new Error(`emulator fault ${JSON.stringify(spec)}: HTTP ${res.status}`);
    },
    async close() {
      await Promise.all(workers.map((w) => w.close().catch(() => {})));
      await api.close();
      await emulator.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await s3.close();
    },
  };
}
