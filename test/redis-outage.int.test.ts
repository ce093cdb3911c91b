import { freePort } from '@foley/testkit/listen';
import { spawnRedisServer } from '@foley/testkit/redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// The API on its own Redis, which the test stops and restarts: 503 fast while it is down, then recovery
// without a restart of the API.
let stack: Stack;
let redis: { url: string; stop(): void } | undefined;
let port: number;

beforeAll(async () => {
  port = await freePort();
  redis = await spawnRedisServer({ port });
  if (!redis) throw new Error('this test needs redis-server on PATH (apt-get install redis-server)');
  stack = await startStack({ worker: false, env: { REDIS_URL: redis.url } });
});
afterAll(async () => {
  await stack?.close();
  redis?.stop();
});

it('answers 503 quickly while Redis is down and recovers by itself', async () => {
  const body = { video_url: 'https://videos.example.com/a.mp4' };
  expect((await stack.http('POST', '/v1/jobs', body)).status).toBe(202);

  redis?.stop();
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const down = await stack.http('POST', '/v1/jobs', body);
  expect(down.status).toBe(503);
  expect(down.body.error.code).toBe('service_unavailable');
  expect(down.headers.get('retry-after')).toBe('5');
  expect(Date.now() - started).toBeLessThan(1_000);
  const ready = await fetch(`${stack.api.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { failing: string[] }).failing).toContain('redis');

  redis = await spawnRedisServer({ port });
  const deadline = Date.now() + 15_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await stack.http('POST', '/v1/jobs', body)).status;
    if (status === 202) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(status).toBe(202);
  expect((await fetch(`${stack.api.url}/readyz`)).status).toBe(200);
});
