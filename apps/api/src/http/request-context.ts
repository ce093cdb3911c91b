import { randomUUID } from 'node:crypto';
import type { Logger } from '@foley/shared/infra/logger';
import type { RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /** A child logger carrying the request id, made on first use. */
      log?: Logger;
    }
  }
}

/** Requests not logged at all (probes and scrapes, many a minute). */
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

/**
 * The error a response answers, for its one log line: the error handler records it here instead of
 * logging a line of its own (a 503 was logged twice, a warn there and an error here).
 */
export function noteResponseError(res: Response, err: unknown): void {
  res.locals.responseError = err;
}

/**
 * A request id (the caller's `X-Request-Id` when sane) on every response, a child logger per request
 * and one log line per response: error for 5xx (with the error), warn for 503 (a dependency is down, with
 * its cause; clients retry), info for 4xx, debug otherwise. Both the child logger and the line are built
 * only when used or enabled, so at `LOG_LEVEL=warn` a 2xx costs no logging work.
 */
export function requestContext(logger: Logger): RequestHandler[] {
  const context: RequestHandler = (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      get: () => {
        child ??= logger.child({ req_id: id });
        return child;
      },
    });
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status === 503 ? 'warn' : status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level) || QUIET_PATHS.has(req.path)) return;
      const err: unknown = res.locals.responseError;
      logger[level](
        {
          req_id: id,
          req: { method: req.method, url: req.originalUrl.split('?')[0] },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
          // A 503's cause is a message (Redis down); a 500's the error itself, stack included.
          ...(err !== undefined && status >= 500
            ? { err: status === 503 ? String((err as Error)?.message ?? err) : err }
            : {}),
        },
        'request completed',
      );
    });
    next();
  };
  return [context];
}
