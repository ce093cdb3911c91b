import type { Request, Response } from 'express';
import type { EmulatorContext } from '../context';
import type { FalRequest } from '../request-queue';
import { statusBody } from '../status-body';

/**
 * `…/status/stream`: SSE, one `data: {status json}` per change, closed right after COMPLETED — the
 * client resolves with the last event it saw (docs/fal-protocol.md §6, §13).
 */
export function streamStatus(ctx: EmulatorContext, req: Request, res: Response, request: FalRequest): void {
  const logs = req.query.logs === '1';
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-fal-request-id': request.id,
  });
  let last = '';
  const send = (current: FalRequest) => {
    const { body } = statusBody(current, { position: ctx.queue.position(current.id), logs });
    const data = JSON.stringify(body);
    if (data !== last) {
      last = data;
      res.write(`data: ${data}\n\n`);
    }
    if (current.state === 'COMPLETED') {
      unsubscribe();
      res.end();
    }
  };
  // fal sends a comment line every 15 s so proxies keep an idle stream open; SSE readers skip it.
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), ctx.sseKeepaliveMs);
  const unsubscribe = () => {
    clearInterval(keepalive);
    stopListening();
  };
  const stopListening = ctx.queue.onChange(request.id, send);
  res.on('close', unsubscribe);
  send(request);
}
