import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFoleyFalClient } from '@foley/shared/fal/client';
import { afterEach, describe, expect, it } from 'vitest';
import { streamUntilCompleted } from './fal-status-stream';

type Script = (res: ServerResponse, path: string) => void;

/** An SSE stand-in for fal's `…/status/stream` on loopback, answering each request with `script`. */
async function sseServer(script: Script) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    script(res, req.url ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    client: createFoleyFalClient({ falKey: 'k', baseUrl: `http://127.0.0.1:${port}` }),
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sse = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
const event = (res: ServerResponse, body: unknown) => res.write(`data: ${JSON.stringify(body)}\n\n`);

describe('streamUntilCompleted', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('resolves true at the COMPLETED event, without waiting for the stream to close', async () => {
    let completedAt = 0;
    const fal = await sseServer((res) => {
      sse(res);
      event(res, { status: 'IN_QUEUE', queue_position: 0 });
      setTimeout(() => event(res, { status: 'IN_PROGRESS' }), 50);
      setTimeout(() => {
        completedAt = Date.now();
        event(res, { status: 'COMPLETED' });
      }, 300);
      setTimeout(() => res.end(), 3_000); // a slow close must not delay the answer
    });
    close = fal.close;
    const started = Date.now();
    await expect(streamUntilCompleted(fal.client, 'req-1', new AbortController().signal)).resolves.toBe(true);
    expect(completedAt).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(fal.paths[0]).toMatch(/\/requests\/req-1\/status\/stream\?logs=0$/);
  });

  it('resolves false when the stream closes before COMPLETED', async () => {
    const fal = await sseServer((res) => {
      sse(res);
      event(res, { status: 'IN_PROGRESS' });
      setTimeout(() => res.end(), 50);
    });
    close = fal.close;
    await expect(streamUntilCompleted(fal.client, 'req-2', new AbortController().signal)).resolves.toBe(
      false,
    );
  });

  it('resolves false when fal refuses the stream (the polls carry on)', async () => {
    const fal = await sseServer((res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'Request not found' }));
    });
    close = fal.close;
    await expect(streamUntilCompleted(fal.client, 'req-3', new AbortController().signal)).resolves.toBe(
      false,
    );
  });

  it('resolves false promptly when aborted while fal is still working', async () => {
    const fal = await sseServer((res) => {
      sse(res);
      event(res, { status: 'IN_PROGRESS' });
    });
    close = fal.close;
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const started = Date.now();
    await expect(streamUntilCompleted(fal.client, 'req-4', abort.signal)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
