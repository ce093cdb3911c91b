import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler, type Response } from 'express';
import { notUtf8 } from '../batches/parsing/body-limits';

/**
 * `express.json` that refuses UTF-8 bodies with invalid bytes (400 `invalid_encoding`) instead of
 * decoding them to U+FFFD, which would store and run other text than the client sent.
 */
export function jsonBody(opts: {
  limit: number;
  type: string | ((req: IncomingMessage) => boolean);
  /** Sees the raw bytes once they are checked (e.g. to hash them). */
  onBytes?: (res: Response, bytes: Buffer) => void;
}): RequestHandler {
  return express.json({
    limit: opts.limit,
    strict: true,
    type: opts.type,
    verify: (_req, res, bytes, encoding) => {
      if (/^utf-?8$/i.test(encoding) && !isUtf8(bytes)) throw notUtf8();
      opts.onBytes?.(res as unknown as Response, bytes);
    },
  });
}
