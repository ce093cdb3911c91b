import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '@foley/shared/infra/logger';
import { createMetrics } from '@foley/shared/infra/metrics';
import { readinessChecks } from '@foley/shared/infra/readiness';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import { createS3ObjectStore, ensureBucket } from '@foley/shared/infra/s3';
import { spawnRedisServer } from '@foley/testkit/redis';
import { type LocalS3Server, localS3Client, startLocalS3Server } from '@foley/testkit/s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type OpsServer, startOpsServer } from './ops-server';

let redisServer: { url: string; stop(): void };
let redis: RedisClient;
let s3Server: LocalS3Server;
let s3: S3Client;
let ops: OpsServer;
const s3Dir = mkdtempSync(join(tmpdir(), 'ops-s3-'));
const metrics = createMetrics({ service: 'worker', processMetrics: false });

beforeAll(async () => {
  const spawned = await spawnRedisServer();
  if (!spawned) throw new Error('these tests need redis-server on PATH');
  redisServer = spawned;
  redis = createRedis(redisServer.url, 'worker');
  s3Server = await startLocalS3Server({ directory: s3Dir });
  s3 = localS3Client(s3Server.endpoint);
  await ensureBucket(s3, 'ops-bucket');
  const store = createS3ObjectStore({ client: s3, bucket: 'ops-bucket', presignTtlSeconds: 60 });
  ops = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    registry: metrics.registry,
    checks: readinessChecks(redis, store),
    logger: createLogger({ name: 'test', level: 'silent' }),
  });
});

afterAll(async () => {
  await ops?.close();
  redis?.disconnect();
  redisServer?.stop();
  s3?.destroy();
  await s3Server?.close().catch(() => {});
  rmSync(s3Dir, { recursive: true, force: true });
});

const get = async (path: string, method = 'GET') => {
  const res = await fetch(`${ops.url}${path}`, { method });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
};

it('serves liveness, metrics and refuses anything else', async () => {
  expect(await get('/healthz')).toMatchObject({ status: 200, text: '{"status":"ok"}' });
  metrics.jobsTotal.inc({ status: 'completed', code: 'none' });
  const scraped = await get('/metrics');
  expect(scraped.status).toBe(200);
  expect(scraped.type).toContain('text/plain');
  expect(scraped.text).toContain('foley_jobs_total{status="completed",code="none",service="worker"} 1');
  expect((await get('/nope')).status).toBe(404);
  expect((await get('/metrics', 'POST')).status).toBe(405);
});

it('is ready while Redis and S3 answer, names each one that stops, and recovers when they return', async () => {
  let ready = await get('/readyz');
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.text)).toEqual({
    status: 'ready',
    checks: { redis: { ok: true }, s3: { ok: true } },
  });

  await s3Server.close();
  ready = await get('/readyz');
  expect(ready.status).toBe(503);
  expect(JSON.parse(ready.text)).toMatchObject({
    status: 'unavailable',
    failing: ['s3'],
    checks: { redis: { ok: true } },
  });

  redisServer.stop(); // SIGTERM: redis-server takes a moment to go
  let failing: string[] = [];
  for (let i = 0; i < 20 && !failing.includes('redis'); i++) {
    const started = Date.now();
    ready = await get('/readyz');
    // Every check is bounded, although the worker's Redis connection would wait forever.
    expect(Date.now() - started).toBeLessThan(5_000);
    failing = JSON.parse(ready.text).failing;
    if (!failing.includes('redis')) await new Promise((r) => setTimeout(r, 100));
  }
  expect(ready.status).toBe(503);
  expect(failing).toEqual(['redis', 's3']);

  // Both come back on the same addresses: readiness follows without restarting anything.
  const redisPort = Number(new URL(redisServer.url).port);
  const restarted = await spawnRedisServer({ port: redisPort });
  if (!restarted) throw new Error('redis-server vanished from PATH');
  redisServer = restarted;
  s3Server = await startLocalS3Server({ port: s3Server.port, directory: s3Dir });
  for (let i = 0; i < 60 && ready.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 250));
    ready = await get('/readyz');
  }
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.text).status).toBe('ready');
});

it('listens only where it is told: on ::1 it does not answer on 127.0.0.1', async () => {
  const only6 = await startOpsServer({
    port: 0,
    host: '::1',
    registry: metrics.registry,
    checks: [],
    logger: createLogger({ name: 'test', level: 'silent' }),
  });
  try {
    expect(only6.url).toBe(`http://[::1]:${only6.port}`);
    expect((await fetch(`${only6.url}/healthz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${only6.port}/healthz`)).rejects.toThrow();
  } finally {
    await only6.close();
  }
});
