import type { FalClient } from '@fal-ai/client';
import { ApiError, createFalClient } from '@fal-ai/client';
import { rewriteFalUrl } from '@foley/shared/fal/client';
import { makeVideo } from '@foley/testkit/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, falFetch, startTestEmulator, waitUntil } from '../test/support';
import type { RunningEmulator } from './server';

let emu: RunningEmulator;
let fal: FalClient;
let videoUrl: string;

beforeAll(async () => {
  ({ emu, fal } = await startTestEmulator({ delayMs: 400 }));
  // Serve a generated video through the emulator's own storage, as a user upload would be.
  const path = await makeVideo({ seconds: 4 });
  const { readFile } = await import('node:fs/promises');
  videoUrl = await fal.storage.upload(new Blob([await readFile(path)], { type: 'video/mp4' }));
});
afterAll(() => emu.close());

describe('queue protocol with the real client', () => {
  it('submit answers IN_QUEUE with fal URLs on owner/alias, then status, then result', async () => {
    const queued = await fal.queue.submit(ENDPOINT, { input: { video_url: videoUrl } });
    const id = queued.request_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(queued).toMatchObject({
      status: 'IN_QUEUE',
      queue_position: 0,
      gateway_request_id: id,
      response_url: `https://queue.fal.run/fal-ai/kling-video/requests/${id}`,
      status_url: `https://queue.fal.run/fal-ai/kling-video/requests/${id}/status`,
      cancel_url: `https://queue.fal.run/fal-ai/kling-video/requests/${id}/cancel`,
    });

    await waitUntil(
      async () => (await fal.queue.status(ENDPOINT, { requestId: id })).status === 'IN_PROGRESS',
    );
    const early = await fal.queue.result(ENDPOINT, { requestId: id }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(ApiError);
    expect((early as ApiError<unknown>).status).toBe(400);
    expect((early as ApiError<unknown>).body).toEqual({ detail: 'Request is still in progress' });

    const raw = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${id}/status?logs=1`);
    expect(raw.status).toBe(202);
    expect(raw.headers.get('x-fal-request-id')).toBe(id);
    const inProgress = (await raw.json()) as {
      status: string;
      logs: Array<{ message: string; source: string }>;
    };
    expect(inProgress.status).toBe('IN_PROGRESS');
    expect(inProgress.logs.length).toBeGreaterThan(0);
    expect(inProgress.logs[0]).toMatchObject({ source: 'USER', level: 'INFO' });
    const noLogs = await fal.queue.status(ENDPOINT, { requestId: id, logs: false });
    if (noLogs.status === 'IN_PROGRESS') expect(noLogs.logs).toEqual([]);

    await waitUntil(async () => (await fal.queue.status(ENDPOINT, { requestId: id })).status === 'COMPLETED');
    const done = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${id}/status?logs=1`);
    expect(done.status).toBe(200);
    const body = (await done.json()) as { metrics: { inference_time: number }; logs: unknown[] };
    expect(body.metrics.inference_time).toBeGreaterThan(0.3);
    expect(body.logs.length).toBeGreaterThan(2);

    const result = await fal.queue.result(ENDPOINT, { requestId: id });
    expect(result.requestId).toBe(id);
    expect(result.data).toMatchObject({
      video: { content_type: 'video/mp4', url: expect.stringMatching(`^${emu.url}/_emulator/files/`) },
      audio: { content_type: 'audio/mpeg', url: expect.stringMatching(`^${emu.url}/_emulator/files/`) },
    });
  });

  it('subscribe resolves by polling and by streaming status', async () => {
    const updates: string[] = [];
    const polled = await fal.subscribe(ENDPOINT, {
      input: { video_url: videoUrl },
      pollInterval: 100,
      onQueueUpdate: (s) => updates.push(s.status),
    });
    expect(polled.data).toHaveProperty('audio.file_size');
    expect(updates).toContain('IN_PROGRESS');
    expect(updates.at(-1)).toBe('COMPLETED');

    const streamed: Array<{ status: string; logs?: unknown[] }> = [];
    const viaStream = await fal.subscribe(ENDPOINT, {
      input: { video_url: videoUrl },
      mode: 'streaming',
      logs: true,
      onQueueUpdate: (s) => streamed.push(s),
    });
    expect(viaStream.data).toHaveProperty('video.url');
    expect(streamed.at(-1)?.status).toBe('COMPLETED');
    expect(streamed.some((s) => s.status === 'IN_PROGRESS' && (s.logs?.length ?? 0) > 0)).toBe(true);
  });

  it('streams SSE and closes the stream after COMPLETED', async () => {
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: { video_url: videoUrl } });
    const response = await falFetch(
      emu,
      `/queue.fal.run/fal-ai/kling-video/requests/${id}/status/stream?logs=0`,
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text(); // resolves only because the server ends the stream
    const events = text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.replace(/^data: /, '')) as { status: string });
    expect(events.at(-1)?.status).toBe('COMPLETED');
    expect(events.length).toBeGreaterThanOrEqual(2);
  });

  it('answers 404 for an unknown request id and an unknown endpoint', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const status = await fal.queue.status(ENDPOINT, { requestId: missing }).catch((e: unknown) => e);
    expect(status).toBeInstanceOf(ApiError);
    expect((status as ApiError<unknown>).status).toBe(404);
    expect((status as ApiError<unknown>).body).toEqual({ detail: 'Request not found' });
    const cancel = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${missing}/cancel`, {
      method: 'PUT',
    });
    expect(cancel.status).toBe(404);
    expect(await cancel.json()).toEqual({ status: 'NOT_FOUND' });

    const submit = await fal.queue.submit('fal-ai/no-such-model', { input: {} }).catch((e: unknown) => e);
    expect((submit as ApiError<unknown>).status).toBe(404);
    expect(emu.requests().at(-1)).toMatchObject({ status: 'rejected', endpoint_id: 'fal-ai/no-such-model' });
  });

  it('rejects calls without a key with 401 JSON', async () => {
    const anonymous = createFalClient({
      credentials: () => undefined,
      requestMiddleware: async (req) => ({ ...req, url: rewriteFalUrl(req.url, emu.url) }),
    });
    const error = await anonymous.queue
      .submit(ENDPOINT, { input: { video_url: videoUrl } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError<unknown>).status).toBe(401);
    expect((error as ApiError<unknown>).body).toHaveProperty('detail');
    const raw = await fetch(`${emu.url}/queue.fal.run/fal-ai/kling-video/requests/x/status`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('content-type')).toContain('application/json');
  });

  it('runs synchronously through fal.run', async () => {
    const result = await fal.run(ENDPOINT, { input: { video_url: videoUrl } });
    expect(result.data).toMatchObject({
      video: { content_type: 'video/mp4' },
      audio: { content_type: 'audio/mpeg' },
    });
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('queue with concurrency 1', () => {
  let slow: RunningEmulator;
  let slowFal: FalClient;
  beforeAll(async () => {
    ({ emu: slow, fal: slowFal } = await startTestEmulator({ concurrency: 1, delayMs: 5000 }));
  });
  afterAll(() => slow.close());

  it('queues in FIFO order with 0-based positions, and cancels queued and running requests', async () => {
    const url = `${slow.url}/_emulator/samples/sample.mp4`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await slowFal.queue.submit(ENDPOINT, { input: { video_url: url } })).request_id);
    const [a, b, c] = ids as [string, string, string];
    await waitUntil(
      async () => (await slowFal.queue.status(ENDPOINT, { requestId: a })).status === 'IN_PROGRESS',
    );
    expect(await slowFal.queue.status(ENDPOINT, { requestId: b })).toMatchObject({
      status: 'IN_QUEUE',
      queue_position: 0,
    });
    expect(await slowFal.queue.status(ENDPOINT, { requestId: c })).toMatchObject({
      status: 'IN_QUEUE',
      queue_position: 1,
    });

    // Cancel the queued one: it never runs, the next moves up, and it ends COMPLETED with an error result.
    const cancelB = await falFetch(slow, `/queue.fal.run/fal-ai/kling-video/requests/${b}/cancel`, {
      method: 'PUT',
    });
    expect(cancelB.status).toBe(202);
    expect(await cancelB.json()).toEqual({ status: 'CANCELLATION_REQUESTED' });
    expect(await slowFal.queue.status(ENDPOINT, { requestId: c })).toMatchObject({
      status: 'IN_QUEUE',
      queue_position: 0,
    });
    expect((await slowFal.queue.status(ENDPOINT, { requestId: b })).status).toBe('COMPLETED');
    const resultB = await slowFal.queue.result(ENDPOINT, { requestId: b }).catch((e: unknown) => e);
    expect((resultB as ApiError<unknown>).status).toBe(499);
    expect((resultB as ApiError<unknown>).body).toMatchObject({ error_type: 'client_cancelled' });

    // Cancel the running one through the client: the run stops at once and the queue moves on.
    const started = Date.now();
    await slowFal.queue.cancel(ENDPOINT, { requestId: a });
    await waitUntil(
      async () => (await slowFal.queue.status(ENDPOINT, { requestId: a })).status === 'COMPLETED',
      4000,
    );
    expect(Date.now() - started).toBeLessThan(4000); // a run takes 5 s when not aborted (room for a busy machine)
    const resultA = await slowFal.queue.result(ENDPOINT, { requestId: a }).catch((e: unknown) => e);
    expect((resultA as ApiError<unknown>).body).toMatchObject({ error_type: 'client_cancelled' });
    await waitUntil(
      async () => (await slowFal.queue.status(ENDPOINT, { requestId: c })).status === 'IN_PROGRESS',
    );

    const again = await falFetch(slow, `/queue.fal.run/fal-ai/kling-video/requests/${a}/cancel`, {
      method: 'PUT',
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ status: 'ALREADY_COMPLETED' });
    const log = slow.requests();
    expect(log.map((r) => r.status)).toEqual(['CANCELED', 'CANCELED', 'IN_PROGRESS']);
  });
});
