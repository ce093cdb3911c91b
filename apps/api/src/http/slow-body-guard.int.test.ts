import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listenOnLoopback } from '@foley/testkit/listen';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from './errors';
import { slowBodyGuard } from './slow-body-guard';

const sockets: Socket[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const close of closers.splice(0)) await close();
});

async function serve(opts: { maxConcurrent: number; readTimeoutMs: number }) {
  const app = express();
  const guard = slowBodyGuard(opts);
  app.post('/hook', guard, express.raw({ type: () => true }), (req, res) => {
    res.json({ bytes: (req.body as Buffer).length });
  });
  app.use(errorHandler({ redis: { status: 'ready' } as never }));
  const server = createServer(app);
  const { port, url } = await listenOnLoopback(server);
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port, url, guard };
}

/** A client that sends headers announcing 1,000 bytes, then one byte, then nothing. */
function trickle(port: number): Promise<{ socket: Socket; closedAfterMs: Promise<number> }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
      const closedAfterMs = new Promise<number>((done) =>
        socket.once('close', () => done(Date.now() - started)),
      );
      resolve({ socket, closedAfterMs });
    });
    socket.on('error', () => {});
    sockets.push(socket);
  });
}

describe('slowBodyGuard', () => {
  it('closes a request whose body does not arrive in time', async () => {
    const { port } = await serve({ maxConcurrent: 10, readTimeoutMs: 300 });
    const { closedAfterMs } = await trickle(port);
    const ms = await Promise.race([
      closedAfterMs,
      new Promise<number>((r) => setTimeout(() => r(-1), 5_000)),
    ]);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3_000);
  });

  it('answers 503 past the concurrency cap, and takes requests again once the slow ones are gone', async () => {
    const { port, url, guard } = await serve({ maxConcurrent: 2, readTimeoutMs: 30_000 });
    const slow = [await trickle(port), await trickle(port)];
    for (let i = 0; i < 200 && guard.inFlight() < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(guard.inFlight()).toBe(2);
    const refused = await fetch(`${url}/hook`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    for (const s of slow) s.socket.destroy();
    await Promise.all(slow.map((s) => s.closedAfterMs));
    for (let i = 0; i < 200 && guard.inFlight() > 0; i++) await new Promise((r) => setTimeout(r, 25));
    const accepted = await fetch(`${url}/hook`, { method: 'POST', body: '{}' });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ bytes: 2 });
  });
});
