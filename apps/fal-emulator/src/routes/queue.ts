import express, { type Request, type Response, Router } from 'express';
import { type EmulatorContext, KNOWN_ENDPOINTS } from '../context';
import { parseQueuePath } from '../endpoint-path';
import {
  ERROR_TYPE_BY_STATUS,
  MAX_QUEUE_LENGTH_PARAM,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
} from '../fal-contract';
import { applyFault } from '../fault-http';
import { requireFalKey, sendJson } from '../http';
import { billableUnits } from '../request-log';
import type { FalRequest } from '../request-queue';
import { statusBody, submitBody } from '../status-body';
import { submitFields } from '../submit-fields';
import { streamStatus } from './status-stream';

/** `/queue.fal.run/…`: submit, status, status stream, result and cancel, as fal's queue answers them. */
export function queueRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  router.use(
    requireFalKey(ctx.falKey, (req) => {
      const path = parseQueuePath(req.path);
      if (path.op === 'submit' && req.method === 'POST') {
        ctx.submits.rejected({ ...submitFields(req, path.endpointId), reason: 'unauthorized' });
      }
    }),
  );
  router.use(async (req, res) => {
    const path = parseQueuePath(req.path);
    if (path.op === 'invalid') return sendJson(res, 404, { detail: 'Not Found' });
    if (path.op === 'submit') return req.method === 'POST' ? submit(ctx, req, res, path) : notAllowed(res);
    const expected = path.op === 'cancel' ? 'PUT' : 'GET';
    if (req.method !== expected) return notAllowed(res);

    const verdict = await applyFault(ctx.faults, path.op === 'stream' ? 'status' : path.op, req, res, {
      requestId: path.requestId,
    });
    if (verdict.kind !== 'continue') return;
    const request = ctx.queue.get(path.requestId);
    const found = request && request.appId === path.appId ? request : undefined;

    if (path.op === 'cancel') return cancel(ctx, res, path.requestId, found);
    if (!found) return sendJson(res, 404, { detail: 'Request not found' }, { requestId: path.requestId });
    if (path.op === 'status') {
      const { httpStatus, body } = statusBody(found, {
        position: ctx.queue.position(found.id),
        logs: req.query.logs === '1',
      });
      return sendJson(res, httpStatus, body, { requestId: found.id });
    }
    if (path.op === 'stream') return streamStatus(ctx, req, res, found);
    return result(res, found);
  });
  return router;
}

async function submit(
  ctx: EmulatorContext,
  req: Request,
  res: Response,
  path: { appId: string; endpointId: string },
): Promise<void> {
  const fields = submitFields(req, path.endpointId);
  if (!KNOWN_ENDPOINTS.has(path.endpointId)) {
    ctx.submits.rejected({ ...fields, reason: 'unknown endpoint' });
    return sendJson(res, 404, { detail: `Application '${path.endpointId}' not found` });
  }
  const locked = ctx.account.lockDetail();
  if (locked) {
    ctx.submits.rejected({ ...fields, reason: 'account locked' });
    return sendJson(res, 403, { detail: locked });
  }
  const timeout = parseStartTimeout(fields.headers[REQUEST_HEADERS.requestTimeout]);
  if (timeout === 'invalid') {
    ctx.submits.rejected({ ...fields, reason: 'bad x-fal-request-timeout' });
    return sendJson(res, 400, {
      detail: `${REQUEST_HEADERS.requestTimeout} must be a number of seconds > 0`,
    });
  }
  const verdict = await applyFault(ctx.faults, 'submit', req, res);
  if (verdict.kind === 'handled') {
    ctx.submits.rejected({ ...fields, reason: verdict.reason });
    return;
  }
  if (res.destroyed) {
    ctx.submits.rejected({ ...fields, reason: 'client went away before the submit was accepted' });
    return;
  }
  const maxQueue = fields.query[MAX_QUEUE_LENGTH_PARAM];
  if (maxQueue !== undefined && !/^\d{1,9}$/.test(maxQueue)) {
    ctx.submits.rejected({ ...fields, reason: `bad ${MAX_QUEUE_LENGTH_PARAM}` });
    return sendJson(res, 400, { detail: `${MAX_QUEUE_LENGTH_PARAM} must be a whole number >= 0` });
  }
  // More than N may not wait: refused when this one would have to wait behind N others.
  if (maxQueue !== undefined && ctx.queue.isFull() && ctx.queue.waitingCount() >= Number(maxQueue)) {
    ctx.submits.rejected({ ...fields, reason: 'queue length limit' });
    return sendJson(
      res,
      429,
      {
        detail: `Queue is full: ${ctx.queue.waitingCount()} requests are waiting (fal_max_queue_length=${maxQueue})`,
        error_type: ERROR_TYPE_BY_STATUS[429],
      },
      {
        headers: { 'x-fal-needs-retry': '1', [RESPONSE_HEADERS.errorType]: ERROR_TYPE_BY_STATUS[429] ?? '' },
      },
    );
  }
  const request = ctx.queue.submit({
    endpointId: fields.endpointId,
    input: fields.input,
    webhookUrl: fields.webhookUrl,
    submitHeaders: fields.headers,
    submitQuery: fields.query,
    startTimeoutSeconds: timeout,
    appId: path.appId,
  });
  ctx.submits.accepted(request);
  ctx.logger.debug({ requestId: request.id, endpointId: path.endpointId }, 'request submitted');
  if (verdict.kind === 'drop_after_accept') {
    req.socket.destroy();
    return;
  }
  sendJson(res, 200, submitBody(request, ctx.queue.position(request.id) ?? 0), { requestId: request.id });
}

/** `X-Fal-Request-Timeout` in seconds; undefined when absent. */
function parseStartTimeout(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 'invalid';
}

function cancel(ctx: EmulatorContext, res: Response, requestId: string, request: FalRequest | undefined) {
  const outcome = request ? ctx.queue.cancel(request.id) : 'NOT_FOUND';
  const status = { CANCELLATION_REQUESTED: 202, ALREADY_COMPLETED: 400, NOT_FOUND: 404 }[outcome];
  sendJson(res, status, { status: outcome }, { requestId });
}

function result(res: Response, request: FalRequest) {
  const { outcome } = request;
  if (request.state !== 'COMPLETED' || !outcome) {
    return sendJson(res, 400, { detail: 'Request is still in progress' }, { requestId: request.id });
  }
  const units = { [RESPONSE_HEADERS.billableUnits]: String(billableUnits(request)) };
  if (outcome.ok) return sendJson(res, 200, outcome.output, { requestId: request.id, headers: units });
  const { failure } = outcome;
  sendJson(res, failure.status, failure.body, {
    requestId: request.id,
    headers: {
      ...units,
      [RESPONSE_HEADERS.errorType]: failure.errorType,
      [RESPONSE_HEADERS.retryable]: 'false',
      ...failure.headers,
    },
  });
}

function notAllowed(res: Response) {
  sendJson(res, 405, { detail: 'Method Not Allowed' });
}
