import { randomUUID } from 'node:crypto';
import type { Logger } from '@foley/shared/infra/logger';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';

/** A request id (the caller's `X-Request-Id` when sane) on every response and a child logger per request. */
export function requestContext(logger: Logger): RequestHandler[] {
  const ids: RequestHandler = (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  };
  const http = pinoHttp({
    logger,
    genReqId: (_req, res) => (res as unknown as { locals: { requestId: string } }).locals.requestId,
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: stripQuery(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
  });
  return [ids, http as unknown as RequestHandler];
}

const stripQuery = (url: string) => url.split('?')[0];
