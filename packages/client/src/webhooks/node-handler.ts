import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookEvent } from '../types.js';
import { verifyWebhook, WebhookVerificationError } from './verify.js';

export interface WebhookHandlerOptions {
  secret: string | readonly string[];
  /** Runs for every verified event; when it throws, Foley gets a 500 and delivers again later. */
  onEvent: (event: WebhookEvent) => unknown;
  /** Bodies larger than this are refused (413); default 1 MiB. */
  maxBytes?: number;
}

type Request = IncomingMessage & { body?: unknown };

/**
 * A handler for Node's http server or Express (`app.post('/hooks', foleyWebhookHandler({...}))`): reads
 * the raw body (or takes `req.body` when `express.raw()` already did), verifies it, answers 400 to a bad
 * delivery and 204 once `onEvent` has finished. Mount it before any JSON body parser.
 */
export function foleyWebhookHandler(opts: WebhookHandlerOptions) {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return async (req: Request, res: ServerResponse): Promise<void> => {
    let raw: Buffer | string;
    try {
      raw = await rawBody(req, maxBytes);
    } catch (error) {
      return answer(
        res,
        error instanceof TooLarge ? 413 : 400,
        error instanceof Error ? error.message : 'bad body',
      );
    }
    let event: WebhookEvent;
    try {
      event = verifyWebhook(raw, req.headers, opts.secret);
    } catch (error) {
      // A secret the receiver cannot use is its own fault, not the sender's: 500, so Foley retries later.
      const bad = error instanceof WebhookVerificationError && error.reason !== 'invalid_secret';
      return answer(res, bad ? 400 : 500, bad ? error.message : 'the receiver cannot verify webhooks');
    }
    try {
      await opts.onEvent(event);
    } catch {
      return answer(res, 500, 'the receiver failed to handle the event');
    }
    res.writeHead(204).end();
  };
}

class TooLarge extends Error {}

async function rawBody(req: Request, maxBytes: number): Promise<Buffer | string> {
  if (Buffer.isBuffer(req.body) || typeof req.body === 'string') return req.body;
  if (req.body !== undefined && req.readableEnded) {
    throw new Error('the body was parsed before the webhook handler: mount it before express.json()');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new TooLarge(`body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answer(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
}
