import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { EXTRA_REASON_PHRASES } from './errors';

/** Every fal answer: JSON content type, a JSON body, the request id header where there is a request. */
export function sendJson(
  res: Response,
  status: number,
  body: unknown,
  opts: { requestId?: string; headers?: Record<string, string> } = {},
): void {
  res.status(status);
  const phrase = EXTRA_REASON_PHRASES[status];
  if (phrase) res.statusMessage = phrase;
  if (opts.requestId) res.setHeader('x-fal-request-id', opts.requestId);
  for (const [name, value] of Object.entries(opts.headers ?? {})) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/**
 * `Authorization: Key <credentials>` as fal requires it; with `falKey` set only that exact key passes.
 * `onReject` lets the submit route log the refused submit.
 */
export function requireFalKey(falKey: string | undefined, onReject?: (req: Request) => void): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Key\s+(\S.*)$/.exec(req.get('authorization') ?? '');
    const key = match?.[1]?.trim();
    if (key && (falKey === undefined || key === falKey)) return next();
    onReject?.(req);
    sendJson(res, 401, {
      detail: key
        ? 'No user found for Key ID and Secret'
        : 'Missing authorization header (expected "Key <FAL_KEY>")',
    });
  };
}

/** Aborted when the client goes away (or the server closes the socket). */
export function clientSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  return controller.signal;
}
