import { ApiError } from '@foley/shared/errors';
import type { RequestHandler } from 'express';

/**
 * For unauthenticated routes that read a body: at most `maxConcurrent` requests at once (503 past it)
 * and each must arrive whole within `readTimeoutMs` (its socket is closed otherwise), so a client that
 * trickles bytes cannot hold sockets and memory for minutes.
 */
export function slowBodyGuard(opts: {
  maxConcurrent: number;
  readTimeoutMs: number;
}): RequestHandler & { inFlight(): number } {
  let inFlight = 0;
  const guard: RequestHandler = (req, res, next) => {
    if (inFlight >= opts.maxConcurrent) {
      res.set('Connection', 'close');
      throw new ApiError('service_unavailable', 'too many requests on this route right now; retry shortly');
    }
    inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight--;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      finish();
      req.socket.destroy();
    }, opts.readTimeoutMs);
    timer.unref();
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
  return Object.assign(guard, { inFlight: () => inFlight });
}
