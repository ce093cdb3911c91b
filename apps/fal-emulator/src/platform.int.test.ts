import { ApiError, type FalClient } from '@fal-ai/client';
import { afterEach, describe, expect, it } from 'vitest';
import { addFault, ENDPOINT, falFetch, startTestEmulator, waitUntil } from '../test/support';
import type { EmulatorOptions, RunningEmulator } from './server';

// fal's platform behaviour beyond the queue protocol (docs/fal-protocol.md §13), driven by the real client.
const running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function start(opts: EmulatorOptions = {}) {
  const started = await startTestEmulator({ media: 'reuse', delayMs: 150, ...opts });
  running.push(started.emu);
  const input = { video_url: `${started.emu.url}/_emulator/samples/sample.mp4` };
  return { ...started, input };
}

const control = (emu: RunningEmulator, path: string, body?: unknown) =>
  fetch(`${emu.url}/_emulator${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const statusOf = async (fal: FalClient, requestId: string) =>
  (await fal.queue.status(ENDPOINT, { requestId })).status;
const caught = async (p: Promise<unknown>) =>
  (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as ApiError<any>;

describe('account state', () => {
  it('a locked account refuses every billable call with 403; existing requests keep working; unlock', async () => {
    const { emu, fal, input } = await start({ delayMs: 600 });
    const before = await fal.queue.submit(ENDPOINT, { input });

    const lock = await control(emu, '/account', { locked: true, reason: 'Exhausted balance' });
    expect(await lock.json()).toEqual({
      locked: true,
      reason: 'Exhausted balance',
      concurrency: 4,
      unit_price: 0.035,
    });
    expect(await (await control(emu, '/account')).json()).toMatchObject({ locked: true });

    const submit = await caught(fal.queue.submit(ENDPOINT, { input }));
    expect(submit).toBeInstanceOf(ApiError);
    expect(submit.status).toBe(403);
    expect(submit.body).toEqual({
      detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing',
    });
    const run = await caught(fal.run(ENDPOINT, { input }));
    expect(run.status).toBe(403);
    await control(emu, '/account', { reason: 'Admin lock' });
    expect((await caught(fal.queue.submit(ENDPOINT, { input }))).body.detail).toContain(
      'Reason: Admin lock.',
    );

    // Status, result and cancel of the request made before the lock still answer.
    await waitUntil(async () => (await statusOf(fal, before.request_id)) === 'COMPLETED');
    const result = await fal.queue.result(ENDPOINT, { requestId: before.request_id });
    expect(result.data).toHaveProperty('video.url');
    expect(emu.requests().filter((r) => r.reason === 'account locked')).toHaveLength(3);

    await control(emu, '/account', { locked: false });
    expect((await fal.queue.submit(ENDPOINT, { input })).request_id).toBeTruthy();
    expect((await control(emu, '/account', { locked: 'yes' })).status).toBe(400);
    expect((await control(emu, '/account', {})).status).toBe(400);
  });

  it('counts only IN_PROGRESS against the concurrency limit, which changes live', async () => {
    const { emu, fal, input } = await start({ concurrency: 1, delayMs: 1500 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await fal.queue.submit(ENDPOINT, { input })).request_id);
    await waitUntil(async () => (await statusOf(fal, ids[0] ?? '')) === 'IN_PROGRESS');
    expect(await Promise.all(ids.map((id) => statusOf(fal, id)))).toEqual([
      'IN_PROGRESS',
      'IN_QUEUE',
      'IN_QUEUE',
    ]);
    await control(emu, '/account', { concurrency: 3 });
    await waitUntil(async () =>
      (await Promise.all(ids.map((id) => statusOf(fal, id)))).every((s) => s === 'IN_PROGRESS'),
    );
  });

  it('fal_max_queue_length: 429 with a JSON body when more than N would wait', async () => {
    const { emu, fal, input } = await start({ concurrency: 1, delayMs: 20_000 });
    const a = await fal.queue.submit(ENDPOINT, { input });
    await fal.queue.submit(ENDPOINT, { input }); // waits: 1 in the queue
    // The query parameter rides on the endpoint id, which the client puts in the URL as given.
    const limited = await caught(fal.queue.submit(`${ENDPOINT}?fal_max_queue_length=1`, { input }));
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error_type: 'concurrent_requests_limit' });
    expect(limited.body.detail).toContain('fal_max_queue_length=1');
    const refused = await falFetch(emu, `/queue.fal.run/${ENDPOINT}?fal_max_queue_length=1`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-fal-needs-retry')).toBe('1');
    const raw = await falFetch(emu, `/queue.fal.run/${ENDPOINT}?fal_max_queue_length=2`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(raw.status).toBe(200); // 1 waiting, limit 2
    const bad = await falFetch(emu, `/queue.fal.run/${ENDPOINT}?fal_max_queue_length=x`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(bad.status).toBe(400);
    expect(emu.requests().filter((r) => r.reason === 'queue length limit').length).toBeGreaterThanOrEqual(1);
    await fal.queue.cancel(ENDPOINT, { requestId: a.request_id });
  }, 20_000);
});

describe('faults of fal platform kinds', () => {
  it('requeue: IN_PROGRESS goes back to IN_QUEUE n times (≥ 500 ms each), then completes', async () => {
    const { emu, fal, input } = await start();
    await addFault(emu, { op: 'run', requeue: 2 });
    const seen: Array<{ status: string; at: number }> = [];
    const result = await fal.subscribe(ENDPOINT, {
      input,
      pollInterval: 50,
      onQueueUpdate: (s) => {
        if (seen.at(-1)?.status !== s.status) seen.push({ status: s.status, at: Date.now() });
      },
    });
    expect(result.data).toHaveProperty('audio.url');
    const statuses = seen.map((s) => s.status);
    expect(statuses).toEqual([
      ...(statuses[0] === 'IN_QUEUE' ? ['IN_QUEUE'] : []),
      'IN_PROGRESS',
      'IN_QUEUE',
      'IN_PROGRESS',
      'IN_QUEUE',
      'IN_PROGRESS',
      'COMPLETED',
    ]);
    for (let i = 1; i < seen.length - 1; i++) {
      if (seen[i]?.status === 'IN_QUEUE' && i > 1) {
        expect((seen[i + 1]?.at ?? 0) - (seen[i]?.at ?? 0)).toBeGreaterThanOrEqual(450);
      }
    }
  });

  it('ingress 5xx: nginx HTML without x-fal-request-id, nothing created; runner 5xx names a request', async () => {
    const { emu, fal, input } = await start();
    await addFault(emu, { op: 'submit', ingress: true, status: 502 });
    const raw = await falFetch(emu, `/queue.fal.run/${ENDPOINT}`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(raw.status).toBe(502);
    expect(raw.headers.get('content-type')).toContain('text/html');
    expect(raw.headers.get('x-fal-request-id')).toBeNull();
    expect(await raw.text()).toContain('<center>nginx</center>');

    await addFault(emu, { op: 'submit', status: 503 });
    const runner = await falFetch(emu, `/queue.fal.run/${ENDPOINT}`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(runner.status).toBe(503);
    expect(runner.headers.get('x-fal-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // The real client retries an ingress error and gets a request on its second POST.
    await addFault(emu, { op: 'submit', ingress: true, status: 504 });
    const queued = await fal.queue.submit(ENDPOINT, { input });
    expect(emu.requests().map((r) => r.reason ?? r.request_id)).toEqual([
      'fault: ingress HTTP 502',
      'fault: HTTP 503',
      'fault: ingress HTTP 504',
      queued.request_id,
    ]);
    expect((await control(emu, '/faults', { op: 'status', ingress: true, status: 502 })).status).toBe(400);
  });

  it.each([401, 403, 408, 409] as const)(
    'status fault %i reaches the client as that ApiError',
    async (code) => {
      const { emu, fal, input } = await start();
      const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input });
      await addFault(emu, { op: 'status', status: code });
      const error = await caught(fal.queue.status(ENDPOINT, { requestId }));
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(code);
      expect(error.requestId).toBe(requestId);
    },
  );
});

describe('headers', () => {
  it('X-Fal-Request-Timeout: a request still queued when it runs out never runs; result is a user 504', async () => {
    const { emu, fal, input } = await start({ concurrency: 1, delayMs: 20_000 });
    const blocker = await fal.queue.submit(ENDPOINT, { input });
    const late = await fal.queue.submit(ENDPOINT, { input, startTimeout: 2 });
    expect(await statusOf(fal, late.request_id)).toBe('IN_QUEUE');
    await waitUntil(async () => (await statusOf(fal, late.request_id)) === 'COMPLETED', 5_000);
    const error = await caught(fal.queue.result(ENDPOINT, { requestId: late.request_id }));
    expect(error.status).toBe(504);
    expect(error.isUserTimeout).toBe(true);
    expect(error.body).toMatchObject({ error_type: 'request_timeout' });
    const logged = emu.requests().find((r) => r.request_id === late.request_id);
    expect(logged).toMatchObject({ headers: { 'x-fal-request-timeout': '2' }, billable_units: 0 });
    const status = await falFetch(
      emu,
      `/queue.fal.run/fal-ai/kling-video/requests/${late.request_id}/status?logs=1`,
    );
    expect(((await status.json()) as { logs: unknown[] }).logs).toEqual([]); // it never ran
    const bad = await falFetch(emu, `/queue.fal.run/${ENDPOINT}`, {
      method: 'POST',
      body: JSON.stringify(input),
      headers: { 'x-fal-request-timeout': 'soon' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('x-fal-request-timeout');
    await fal.queue.cancel(ENDPOINT, { requestId: blocker.request_id });
  }, 15_000);

  it('X-Fal-Billable-Units on results; x-fal-* headers and query of every submit in the log', async () => {
    const { emu, fal, input } = await start();
    const ok = await fal.subscribe(ENDPOINT, { input, pollInterval: 50, priority: 'low' });
    const okRaw = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${ok.requestId}`);
    expect(okRaw.headers.get('x-fal-billable-units')).toBe('1');

    await addFault(emu, { op: 'run', error: 'refused' });
    const failed = await caught(fal.subscribe(ENDPOINT, { input, pollInterval: 50 }));
    expect(failed.status).toBe(422);
    const failedRaw = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${failed.requestId}`);
    expect(failedRaw.headers.get('x-fal-billable-units')).toBe('0');
    const sync = await falFetch(emu, `/fal.run/${ENDPOINT}`, { method: 'POST', body: JSON.stringify(input) });
    expect(sync.status).toBe(200);
    expect(sync.headers.get('x-fal-billable-units')).toBe('1');

    const hooked = await fal.queue.submit(ENDPOINT, {
      input,
      webhookUrl: 'http://127.0.0.1:9/hook',
      headers: { 'X-Fal-Store-IO': '0' },
      storageSettings: { expiresIn: 3600 },
    });
    const log = emu.requests();
    expect(log.find((r) => r.request_id === ok.requestId)).toMatchObject({
      headers: { 'x-fal-queue-priority': 'low' },
      billable_units: 1,
    });
    expect(log.find((r) => r.request_id === hooked.request_id)).toMatchObject({
      headers: {
        'x-fal-store-io': '0',
        'x-fal-object-lifecycle-preference': JSON.stringify({ expiration_duration_seconds: 3600 }),
      },
      query: { fal_webhook: 'http://127.0.0.1:9/hook' },
    });
  });

  it('the status stream sends keepalive comments, which the client skips', async () => {
    const { emu, fal, input } = await start({ delayMs: 700, sseKeepaliveMs: 100 });
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input });
    const text = await (
      await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${id}/status/stream`)
    ).text();
    expect(text.match(/^: keepalive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);
    const streamed = await fal.subscribe(ENDPOINT, { input, mode: 'streaming' });
    expect(streamed.data).toHaveProperty('video.url');
  });
});

describe('retention', () => {
  it('forgets completed requests, their files and log entries after FAL_EMULATOR_RETAIN', async () => {
    const { emu, fal, input } = await start({ retainMs: 400 });
    const uploaded = await fal.storage.upload(new Blob([Buffer.from('bytes')], { type: 'text/plain' }));
    expect((await fetch(uploaded)).status).toBe(200);
    const done = await fal.subscribe(ENDPOINT, { input, pollInterval: 50 });
    const videoUrl = (done.data as { video: { url: string } }).video.url;
    expect((await fetch(videoUrl, { method: 'HEAD' })).status).toBe(200);
    await waitUntil(() => emu.requests().length === 0, 3_000);
    const gone = await caught(fal.queue.status(ENDPOINT, { requestId: done.requestId }));
    expect(gone.status).toBe(404);
    expect((await fetch(videoUrl, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(uploaded)).status).toBe(404);
    const stats = (await (await control(emu, '/stats')).json()) as Record<string, number>;
    expect(stats).toMatchObject({ known_requests: 0, files: 0, completed_total: 1 });
  });
});
