import type { AddressInfo } from 'node:net';
import { ApiError } from '@foley/shared/errors';
import type { Logger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from './errors';
import { requestContext } from './request-context';

/** A logger that records its calls and enables levels from `level` up, as pino does. */
function recordingLogger(level: 'debug' | 'info' | 'warn') {
  const order = ['debug', 'info', 'warn', 'error'];
  const lines: Array<{ level: string; obj: Record<string, unknown> }> = [];
  const children: unknown[] = [];
  const log = (l: string) => (obj: Record<string, unknown>) => lines.push({ level: l, obj });
  const logger = {
    isLevelEnabled: (l: string) => order.indexOf(l) >= order.indexOf(level),
    child: (bindings: unknown) => {
      children.push(bindings);
      return logger;
    },
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
  return { logger: logger as unknown as Logger, lines, children };
}

async function serve(logger: Logger) {
  const app = express();
  app.use(...requestContext(logger));
  app.get('/ok', (_req, res) => void res.json({ ok: true }));
  app.get('/uses-log', (req, res) => {
    req.log?.warn('something');
    res.status(400).json({});
  });
  app.get('/healthz', (_req, res) => void res.status(503).end());
  app.get('/unavailable', () => {
    throw new ApiError('service_unavailable', 'the job store (Redis) is unavailable; retry shortly');
  });
  app.get('/bug', () => {
    throw new Error('a bug');
  });
  app.use(errorHandler({ redis: { status: 'ready' } as RedisClient }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('requestContext', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it('at warn logs nothing for a 2xx and builds no child logger, but still sets X-Request-Id', async () => {
    const rec = recordingLogger('warn');
    const s = await serve(rec.logger);
    close = s.close;
    const res = await fetch(`${s.url}/ok?token=secret`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.lines).toEqual([]);
    expect(rec.children).toEqual([]);
  });

  it('logs a 4xx at info with the request id and the path without its query; req.log carries the id', async () => {
    const rec = recordingLogger('info');
    const s = await serve(rec.logger);
    close = s.close;
    const res = await fetch(`${s.url}/uses-log?token=secret`);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.children).toEqual([{ req_id: id }]);
    const line = rec.lines.find((l) => l.level === 'info');
    expect(line?.obj).toMatchObject({
      req_id: id,
      req: { method: 'GET', url: '/uses-log' },
      res: { statusCode: 400 },
    });
    expect(JSON.stringify(rec.lines)).not.toContain('secret');
  });

  it('never logs health probes, even when they fail', async () => {
    const rec = recordingLogger('debug');
    const s = await serve(rec.logger);
    close = s.close;
    await (await fetch(`${s.url}/healthz`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.lines).toEqual([]);
  });

  it('logs a 503 once, at warn, with its cause (not a warn from the error handler and an error line)', async () => {
    const rec = recordingLogger('debug');
    const s = await serve(rec.logger);
    close = s.close;
    const res = await fetch(`${s.url}/unavailable`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.lines).toHaveLength(1);
    expect(rec.lines[0]?.level).toBe('warn');
    expect(rec.lines[0]?.obj).toMatchObject({
      res: { statusCode: 503 },
      err: 'the job store (Redis) is unavailable; retry shortly',
    });
  });

  it('logs a 500 once, at error, with the error itself', async () => {
    const rec = recordingLogger('debug');
    const s = await serve(rec.logger);
    close = s.close;
    const res = await fetch(`${s.url}/bug`);
    expect(res.status).toBe(500);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.lines).toHaveLength(1);
    expect(rec.lines[0]?.level).toBe('error');
    expect(rec.lines[0]?.obj.err).toMatchObject({ message: 'a bug' });
  });
});
