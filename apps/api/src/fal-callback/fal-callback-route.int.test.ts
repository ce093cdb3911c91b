import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookSigner, type WebhookSigner } from '@foley/fal-emulator/signing';
import { newId } from '@foley/shared/ids';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createLogger } from '@foley/shared/infra/logger';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData } from '@foley/shared/jobs/contract';
import { createJobSignalStore } from '@foley/shared/jobs/signals';
import { QUEUES } from '@foley/shared/queues/catalog';
import { listenOnLoopback } from '@foley/testkit/listen';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../app';
import { parseApiKeys } from '../http/auth';
import { createJobReader } from '../jobs/job-reader';
import { FAL_CALLBACK_BODY_LIMIT, falCallbackRouter } from './fal-callback-route';
import { createFalWebhookVerifier } from './fal-callback-verifier';

const REQUEST_ID = 'fal-req-0001';

describe('POST /v1/fal/webhook (real Redis, loopback JWKS)', () => {
  const prefix = testPrefix('fal-webhook');
  const keys = foleyKeys(prefix);
  const fal: WebhookSigner = createWebhookSigner();
  let redis: RedisClient;
  let subscriber: RedisClient;
  let queue: Queue<DubJobData>;
  let api: Server;
  let jwksServer: Server;
  let apiUrl: string;
  let jobId: string;
  const jwksHits = { count: 0 };
  const messages: Array<{ channel: string; message: string }> = [];

  beforeAll(async () => {
    const url = await resolveTestRedisUrl();
    redis = createRedis(url, 'producer');
    subscriber = createRedis(url, 'worker');
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r)); // producer: no offline queue
    queue = new Queue<DubJobData>(QUEUES.dubbing.name, { connection: redis, prefix });
    jobId = newId('job');
    const data = {
      id: jobId,
      tenant: 'tenant-a',
      input: { video_url: 'https://example.com/v.mp4' },
      created_at: new Date().toISOString(),
      fal_request_id: REQUEST_ID,
    } as DubJobData;
    await queue.add(QUEUES.dubbing.jobs.dub, data, { jobId, delay: 60_000 });

    jwksServer = createServer((_req, res) => {
      jwksHits.count++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fal.jwks));
    });
    const jwksUrl = `${(await listenOnLoopback(jwksServer)).url}/rest.fal.ai/.well-known/jwks.json`;

    const app = createApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      redis,
      apiKeys: parseApiKeys(['tenant-a:test_key_tenant_a_0001']),
      publicRouters: [],
      publicV1Routers: [
        falCallbackRouter({
          verifier: createFalWebhookVerifier({ jwksUrl }),
          jobs: createJobReader({ queue, redis, keys, store: { presignGet: async () => 'unused' } }),
          signals: createJobSignalStore({ redis, keys }),
        }),
      ],
      apiRouters: [],
    });
    api = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    subscriber.on('message', (channel: string, message: string) => messages.push({ channel, message }));
    await subscriber.subscribe(keys.jobEvents(jobId));
  });

  afterAll(async () => {
    await new Promise((r) => api.close(r));
    api.closeAllConnections();
    await new Promise((r) => jwksServer.close(r));
    await queue.close();
    await deleteKeys(redis, prefix);
    subscriber.disconnect();
    redis.disconnect();
  });

  beforeEach(() => {
    messages.length = 0;
  });

  function falPost(opts: {
    job?: string;
    /** The submit nonce of the callback URL (`&submit=`). */
    nonce?: string;
    signer?: WebhookSigner;
    requestId?: string;
    ageSeconds?: number;
    body?: string;
    /** The bytes the signature covers, when they differ from what is sent. */
    signedBody?: string;
  }) {
    const requestId = opts.requestId ?? REQUEST_ID;
    const body =
      opts.body ??
      JSON.stringify({
        request_id: requestId,
        gateway_request_id: requestId,
        status: 'OK',
        payload: { ok: 1 },
      });
    const ts = String(Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0));
    const submit = opts.nonce ? `&submit=${opts.nonce}` : '';
    return fetch(`${apiUrl}/v1/fal/webhook?job_id=${opts.job ?? jobId}${submit}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-fal-webhook-request-id': requestId,
        'x-fal-webhook-user-id': 'emulator-user',
        'x-fal-webhook-timestamp': ts,
        'x-fal-webhook-signature': (opts.signer ?? fal).sign(
          requestId,
          'emulator-user',
          ts,
          opts.signedBody ?? body,
        ),
      },
      body,
    });
  }

  const settle = () => new Promise((r) => setTimeout(r, 150));

  it('accepts fal’s signature without an API key and wakes the waiting job', async () => {
    const res = await falPost({});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    await settle();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.channel).toBe(keys.jobEvents(jobId));
    expect(JSON.parse(messages[0]?.message ?? '')).toEqual({
      type: 'fal-completed',
      request_id: REQUEST_ID,
    });
  });

  it('verifies the raw bytes of a fal-serialized body (sorted keys, Python separators, a seed above 2^53)', async () => {
    // As fal's Python side writes it: json.dumps(sort_keys=True), "error": null, a 64-bit seed, \u escapes.
    const body = `{"error": null, "gateway_request_id": "${REQUEST_ID}", "payload": {"seed": 18446744073709551557, "video": {"file_name": "caf\\u00e9.mp4", "url": "https://v3.fal.media/files/x.mp4"}}, "request_id": "${REQUEST_ID}", "status": "OK"}`;
    const reserialized = JSON.stringify(JSON.parse(body));
    expect(reserialized).not.toBe(body);
    expect(reserialized).not.toContain('18446744073709551557'); // the integer does not survive a parse
    const res = await falPost({ body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    await settle();
    expect(messages).toHaveLength(1);

    // What a receiver that re-serialized before verifying would check: those bytes were not signed.
    const rejected = await falPost({ body: reserialized, signedBody: body });
    expect(rejected.status).toBe(401);
  });

  it('is idempotent: a repeated delivery answers 200 again and only wakes the job again', async () => {
    for (let i = 0; i < 2; i++) expect((await falPost({})).status).toBe(200);
    await settle();
    expect(messages).toHaveLength(2);
    expect(jwksHits.count).toBe(1); // the JWKS stays cached
  });

  it('rejects a forged signature with 401 and publishes nothing', async () => {
    const res = await falPost({ signer: createWebhookSigner() });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    await settle();
    expect(messages).toEqual([]);
  });

  it('rejects a stale timestamp with 401 and publishes nothing', async () => {
    const res = await falPost({ ageSeconds: 301 });
    expect(res.status).toBe(401);
    await settle();
    expect(messages).toEqual([]);
  });

  it('rejects an unsigned request', async () => {
    const res = await fetch(`${apiUrl}/v1/fal/webhook?job_id=${jobId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });

  it('ignores (200) a webhook for another fal request or an unknown job', async () => {
    const other = await falPost({ requestId: 'fal-req-other' });
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ received: true, ignored: 'request_mismatch' });
    const unknown = await falPost({ job: newId('job') });
    expect(await unknown.json()).toEqual({ received: true, ignored: 'unknown_job' });
    await settle();
    expect(messages).toEqual([]);
  });

  it('refuses a body far larger than any fal callback with 413, before verifying anything', async () => {
    const before = jwksHits.count;
    const response = await fetch(`${apiUrl}/v1/fal/webhook?job_id=${jobId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(FAL_CALLBACK_BODY_LIMIT) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    expect(jwksHits.count).toBe(before);
  });

  it('leaves the rest of /v1 behind the API key', async () => {
    const res = await fetch(`${apiUrl}/v1/jobs`);
    expect(res.status).toBe(401);
  });

  describe('a job whose worker lost fal’s answer to its submit (claim held, no request id saved)', () => {
    const signals = () => createJobSignalStore({ redis, keys });
    const NONCE = 'nonce-of-the-submit-0001';
    async function lostJob() {
      const id = newId('job');
      const data = {
        id,
        tenant: 'tenant-a',
        input: { video_url: 'https://example.com/v.mp4' },
        created_at: new Date().toISOString(),
        fal_submit_started_at: new Date().toISOString(),
      } as DubJobData;
      await queue.add(QUEUES.dubbing.jobs.dub, data, { jobId: id, delay: 60_000 });
      expect(await signals().claimSubmit(id, NONCE)).toBe(true);
      await subscriber.subscribe(keys.jobEvents(id));
      return id;
    }

    it('records the request id on the claim of the submit the URL names, and wakes the job', async () => {
      const id = await lostJob();
      const res = await falPost({ job: id, nonce: NONCE, requestId: 'fal-req-lost' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true });
      expect(await signals().claimedRequest(id)).toBe('fal-req-lost');
      await settle();
      expect(messages.map((m) => m.channel)).toEqual([keys.jobEvents(id)]);

      // A repeated delivery (fal retries when our answer was lost) wakes it again.
      expect(await (await falPost({ job: id, nonce: NONCE, requestId: 'fal-req-lost' })).json()).toEqual({
        received: true,
      });
      // Atomic and first-wins: a second callback cannot replace the request the claim names.
      const again = await falPost({ job: id, nonce: NONCE, requestId: 'fal-req-second' });
      expect(await again.json()).toEqual({ received: true, ignored: 'already_recorded' });
      expect(await signals().claimedRequest(id)).toBe('fal-req-lost');
    });

    it('records nothing for a callback whose nonce is not the claim’s (replayed under another job)', async () => {
      const id = await lostJob();
      const res = await falPost({ job: id, nonce: 'some-other-submit-nonce', requestId: 'fal-req-other' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, ignored: 'other_submit' });
      expect(await signals().claimedRequest(id)).toBeUndefined();
      await settle();
      expect(messages).toEqual([]);
    });
  });
});
