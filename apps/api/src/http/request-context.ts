import { randomUUID } from 'node:crypto';
import type { Logger } from '@foley/shared/infra/logger';
import type { RequestHandler } from 'express';

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
 * A request id (the caller's `X-Request-Id` when sane) on every response, a child logger per request
 * and one log line per response: error for 5xx, info for 4xx, debug otherwise. Both the child logger
 * and the line are built only when used or enabled, so at `LOG_LEVEL=warn` a 2xx costs no logging work.
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
      const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level) || QUIET_PATHS.has(req.path)) return;
      logger[level](
        {
          req_id: id,
          req: { method: req.method, url: req.originalUrl.split('?')[0] },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
    next();
  };
  return [context];
}
