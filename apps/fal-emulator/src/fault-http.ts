import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import { ERROR_TYPE_BY_STATUS } from './fal-contract';
import type { Fault, FaultOp, FaultStore } from './faults';
import { clientSignal, sendJson } from './http';

export type FaultVerdict =
  /** No fault, or only a delay: answer normally. */
  | { kind: 'continue'; fault?: Fault }
  /** The fault answered (or dropped the socket); the route must not touch `res` again. */
  | { kind: 'handled'; fault: Fault; reason: string }
  /** submit only: create the request, then drop the socket instead of answering. */
  | { kind: 'drop_after_accept'; fault: Fault };

/**
 * Consumes the next fault for `op` (if any) and applies it to this HTTP exchange. A status fault is a
 * runner error and names a request (`x-fal-request-id`: the path's, or on submit a fresh id whose request
 * was never created) unless it is an `ingress` one: nginx's HTML page, no request id, as fal's edge sends.
 */
export async function applyFault(
  faults: FaultStore,
  op: FaultOp,
  req: Request,
  res: Response,
  opts: { requestId?: string } = {},
): Promise<FaultVerdict> {
  const fault = faults.take(op);
  if (!fault) return { kind: 'continue' };
  if (fault.delay_ms) {
    const gone = clientSignal(res);
    try {
      await sleep(fault.delay_ms, undefined, { signal: gone });
    } catch {
      return { kind: 'handled', fault, reason: 'fault: client went away during delay' };
    }
  }
  if (fault.drop) {
    req.socket.destroy();
    return { kind: 'handled', fault, reason: 'fault: connection dropped' };
  }
  if (fault.drop_after_accept) return { kind: 'drop_after_accept', fault };
  if (fault.status !== undefined && fault.ingress) {
    const title = `${fault.status} ${STATUS_CODES[fault.status] ?? 'Error'}`;
    res.status(fault.status).setHeader('content-type', 'text/html');
    res.end(
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    );
    return { kind: 'handled', fault, reason: `fault: ingress HTTP ${fault.status}` };
  }
  if (fault.status !== undefined) {
    const headers: Record<string, string> = {
      'x-fal-error-type': ERROR_TYPE_BY_STATUS[fault.status] ?? 'internal_error',
    };
    if (fault.retry_after !== undefined) headers['retry-after'] = String(fault.retry_after);
    sendJson(
      res,
      fault.status,
      { detail: faultDetail(fault.status), error_type: headers['x-fal-error-type'] },
      { headers, requestId: opts.requestId ?? randomUUID() },
    );
    return { kind: 'handled', fault, reason: `fault: HTTP ${fault.status}` };
  }
  return { kind: 'continue', fault };
}

function faultDetail(status: number): string {
  if (status === 401) return 'No user found for Key ID and Secret';
  if (status === 403) return 'Forbidden';
  if (status === 408) return 'Request timeout';
  if (status === 409) return 'Conflict';
  if (status === 429) return 'Too many requests; please retry later';
  if (status === 504) return 'Gateway timeout';
  return 'Service temporarily unavailable (injected fault)';
}
