import { loadConfig } from '@foley/shared/infra/config';
import { createRedis, waitUntilReady } from '@foley/shared/infra/redis';
import { redisEnvSchema, redisSettingsOf } from '@foley/shared/infra/redis-config';
import { startTlsRedis, type TestTlsRedis } from '@foley/testkit/redis-topologies';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack';

// A standalone Redis that speaks only TLS, its certificate signed by a CA this test makes: Foley reaches
// it with `rediss://` and REDIS_TLS_CA_FILE, and jobs run end to end over it.
let tls: TestTlsRedis | undefined;
let stack: Stack | undefined;

beforeAll(async () => {
  tls = await startTlsRedis();
  stack = await startStack({ env: tls.env, emulator: { delayMs: 100 } });
}, 60_000);
afterAll(async () => {
  await stack?.close().catch(() => {});
  await tls?.stop();
}, 30_000);

it('runs jobs over TLS, trusting the private CA', async () => {
  const s = stack as Stack;
  const video = `${s.emulator.url}/_emulator/samples/sample.mp4`;
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await s.http('POST', '/v1/jobs', { video_url: video, sound_effect_prompt: `tls ${i}` });
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  for (const id of ids) expect((await s.waitForJob(id)).status).toBe('completed');
  expect((await fetch(`${s.api.url}/readyz`)).status).toBe(200);
});

it('refuses a server whose certificate it cannot verify, and plain text to a TLS port', async () => {
  const t = tls as TestTlsRedis;
  const attempt = async (env: Record<string, string>) => {
    const client = createRedis(redisSettingsOf(loadConfig(redisEnvSchema, env)), 'producer', {
      retryStrategy: () => null,
    });
    let lastError = '';
    client.on('error', (error: Error) => {
      lastError = error.message;
    });
    try {
      await waitUntilReady(client, 3_000);
      return await client.ping();
    } catch (error) {
      return lastError || (error as Error).message;
    } finally {
      client.disconnect();
    }
  };
  // Without the CA: the certificate chain is untrusted (no silent fallback to an unverified connection).
  const untrusted = await attempt({ REDIS_URL: `rediss://127.0.0.1:${t.port}` });
  expect(untrusted).toMatch(/certificate|self.signed|unable to verify/i);
  expect(await attempt({ REDIS_URL: `redis://127.0.0.1:${t.port}` })).not.toBe('PONG');
  expect(await attempt(t.env)).toBe('PONG');
});
