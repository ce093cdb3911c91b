import { ApiError, type FalClient, ValidationError } from '@fal-ai/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addFault, ENDPOINT, falFetch, startTestEmulator, waitUntil } from '../test/support';
import type { RunningEmulator } from './server';

let emu: RunningEmulator;
let fal: FalClient;
let input: { video_url: string };

beforeAll(async () => {
  ({ emu, fal } = await startTestEmulator({ delayMs: 200 }));
  input = { video_url: `${emu.url}/_emulator/samples/sample.mp4` };
});
afterAll(() => emu.close());
beforeEach(async () => {
  await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
  await fetch(`${emu.url}/_emulator/requests`, { method: 'DELETE' });
});

const statuses = () =>
  emu.requests().map((r) => (r.status === 'rejected' ? `rejected:${r.reason}` : 'accepted'));

describe('fault injection on the control plane', () => {
  it('validates faults, lists pending ones, consumes them per match and clears them', async () => {
    const bad = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'status', drop_after_accept: true }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('drop_after_accept');
    for (const body of [{ op: 'nope', status: 500 }, { op: 'status' }, { op: 'status', status: 418 }]) {
      const r = await fetch(`${emu.url}/_emulator/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(400);
    }

    const fault = await addFault(emu, { op: 'file', status: 503, times: 2 });
    expect(fault.id).toBeTruthy();
    const pending = async () =>
      (await (await fetch(`${emu.url}/_emulator/faults`)).json()) as Array<{ remaining: number }>;
    expect((await pending())[0]?.remaining).toBe(2);
    expect((await fetch(input.video_url, { method: 'HEAD' })).status).toBe(503);
    expect((await pending())[0]?.remaining).toBe(1);
    await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
    expect(await pending()).toEqual([]);
    expect((await fetch(input.video_url, { method: 'HEAD' })).status).toBe(200);
  });

  it('submit 429 with Retry-After: answered before enqueueing; the client retries and succeeds', async () => {
    await addFault(emu, { op: 'submit', status: 429, retry_after: 1 });
    const raw = await falFetch(emu, `/queue.fal.run/${ENDPOINT}`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(raw.headers.get('content-type')).toContain('application/json');
    expect(await raw.json()).toHaveProperty('detail');

    await addFault(emu, { op: 'submit', status: 429, retry_after: 1 });
    const queued = await fal.queue.submit(ENDPOINT, { input });
    expect(queued.request_id).toBeTruthy();
    // Two 429s (the raw one and the client's first try), then the client's retry is accepted: one request.
    expect(statuses()).toEqual(['rejected:fault: HTTP 429', 'rejected:fault: HTTP 429', 'accepted']);
  });

  it('5xx on status and result: the client retries them and the request still completes', async () => {
    await addFault(emu, { op: 'status', status: 500 });
    await addFault(emu, { op: 'result', status: 503 });
    const result = await fal.subscribe(ENDPOINT, { input, pollInterval: 100 });
    expect(result.data).toHaveProperty('video.url');
    const left = (await (await fetch(`${emu.url}/_emulator/faults`)).json()) as unknown[];
    expect(left).toEqual([]);

    await addFault(emu, { op: 'result', status: 502 });
    const raw = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${result.requestId}`);
    expect(raw.status).toBe(502);
    expect(raw.statusText).toBe('Bad Gateway');
    expect(raw.headers.get('x-fal-error-type')).toBe('runner_incomplete_response');
  });

  it('submit 503 is never emitted after enqueueing: exactly one request exists after the retry', async () => {
    await addFault(emu, { op: 'submit', status: 503 });
    const queued = await fal.queue.submit(ENDPOINT, { input });
    expect(
      emu
        .requests()
        .filter((r) => r.request_id !== null)
        .map((r) => r.request_id),
    ).toEqual([queued.request_id]);
  });

  it('delay hangs the answer: a client AbortSignal gives up, a patient client gets the answer late', async () => {
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input });
    await addFault(emu, { op: 'status', delay_ms: 3000 });
    const started = Date.now();
    const error = await fal.queue
      .status(ENDPOINT, { requestId, abortSignal: AbortSignal.timeout(300) })
      .catch((e: unknown) => e);
    expect((error as Error).name).toMatch(/AbortError|TimeoutError/);
    expect(Date.now() - started).toBeLessThan(2000);

    await addFault(emu, { op: 'status', delay_ms: 400 });
    const late = Date.now();
    const status = await fal.queue.status(ENDPOINT, { requestId });
    expect(Date.now() - late).toBeGreaterThanOrEqual(350);
    expect(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']).toContain(status.status);
  });

  it('drop destroys the socket without an answer; the client retries the status call', async () => {
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input });
    await addFault(emu, { op: 'status', drop: true });
    const raw = await falFetch(emu, `/queue.fal.run/fal-ai/kling-video/requests/${requestId}/status`).catch(
      (e: unknown) => e,
    );
    expect(raw).toBeInstanceOf(TypeError); // fetch failed: socket closed

    await addFault(emu, { op: 'status', drop: true });
    const status = await fal.queue.status(ENDPOINT, { requestId });
    expect(status.request_id).toBe(requestId);
  });

  it('drop_after_accept: the request exists but the answer is lost, so the client re-POSTs a duplicate', async () => {
    await addFault(emu, { op: 'submit', drop_after_accept: true });
    const queued = await fal.queue.submit(ENDPOINT, { input });
    const accepted = emu.requests().filter((r) => r.request_id !== null);
    // This is why Foley makes submits single-shot: fal's client silently paid for two runs here.
    expect(accepted).toHaveLength(2);
    expect(accepted[1]?.request_id).toBe(queued.request_id);
    expect(accepted[0]?.request_id).not.toBe(queued.request_id);
  });

  it('run error: the request COMPLETES and its result is a 422 model error (or the given 5xx)', async () => {
    // A run fault goes to the next request that starts: let the earlier tests' requests finish first.
    await waitUntil(async () => {
      const stats = (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as Record<string, number>;
      return stats.in_queue === 0 && stats.in_progress === 0;
    }, 30_000);
    await addFault(emu, { op: 'run', error: 'GPU fell over' });
    const error = await fal.subscribe(ENDPOINT, { input, pollInterval: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fieldErrors).toEqual([
      expect.objectContaining({ loc: ['body'], msg: 'GPU fell over', type: 'model_error' }),
    ]);
    const requestId = (error as ValidationError).requestId;
    const status = await fal.queue.status(ENDPOINT, { requestId });
    expect(status).toMatchObject({ status: 'COMPLETED', error: 'GPU fell over', error_type: 'model_error' });

    await addFault(emu, { op: 'run', status: 500, error: 'runner crashed' });
    const infra = await fal.subscribe(ENDPOINT, { input, pollInterval: 100 }).catch((e: unknown) => e);
    expect(infra).toBeInstanceOf(ApiError);
    expect((infra as ApiError<unknown>).status).toBe(500);
    expect((infra as ApiError<unknown>).body).toEqual({
      detail: 'runner crashed',
      error_type: 'internal_error',
    });
  });

  it('file faults apply to file and sample GETs: status, drop, delay', async () => {
    await addFault(emu, { op: 'file', status: 503, retry_after: 2 });
    const faulted = await fetch(input.video_url);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('2');
    await addFault(emu, { op: 'file', drop: true });
    await expect(fetch(input.video_url)).rejects.toThrow(TypeError);
    await addFault(emu, { op: 'file', delay_ms: 300 });
    const started = Date.now();
    const late = await fetch(input.video_url, { headers: { range: 'bytes=0-99' } });
    expect(late.status).toBe(206);
    expect((await late.arrayBuffer()).byteLength).toBe(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
