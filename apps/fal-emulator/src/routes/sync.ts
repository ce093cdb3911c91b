import express, { type Response, Router } from 'express';
import { type EmulatorContext, KNOWN_ENDPOINTS } from '../context';
import { parseQueuePath } from '../endpoint-path';
import { RESPONSE_HEADERS } from '../fal-contract';
import { requireFalKey, sendJson } from '../http';
import { billableUnits } from '../request-log';
import type { FalRequest } from '../request-queue';
import { submitFields } from '../submit-fields';

/** `/fal.run/…`: the synchronous run — the same queue and model, answered when the request completes. */
export function syncRouter(ctx: EmulatorContext): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }), requireFalKey(ctx.falKey));
  router.post('/*path', async (req, res) => {
    const path = parseQueuePath(req.path);
    if (path.op !== 'submit' || !KNOWN_ENDPOINTS.has(path.endpointId)) {
      return sendJson(res, 404, { detail: `Application '${req.path.slice(1)}' not found` });
    }
    const fields = submitFields(req, path.endpointId);
    const locked = ctx.account.lockDetail();
    if (locked) {
      ctx.submits.rejected({ ...fields, reason: 'account locked' });
      return sendJson(res, 403, { detail: locked });
    }
    const request = ctx.queue.submit({
      endpointId: path.endpointId,
      appId: path.appId,
      input: fields.input,
      submitHeaders: fields.headers,
      submitQuery: fields.query,
    });
    ctx.submits.accepted(request);
    // A client that gives up cancels the run, as fal does for a dropped sync connection.
    res.on('close', () => {
      if (!res.writableFinished) ctx.queue.cancel(request.id);
    });
    const done = await completion(ctx, request);
    if (!res.writable) return;
    answer(res, done);
  });
  return router;
}

function completion(ctx: EmulatorContext, request: FalRequest): Promise<FalRequest> {
  if (request.state === 'COMPLETED') return Promise.resolve(request);
  return new Promise((resolve) => {
    const unsubscribe = ctx.queue.onChange(request.id, (current) => {
      if (current.state !== 'COMPLETED') return;
      unsubscribe();
      resolve(current);
    });
  });
}

function answer(res: Response, request: FalRequest) {
  const { outcome } = request;
  const units = { [RESPONSE_HEADERS.billableUnits]: String(billableUnits(request)) };
  if (outcome?.ok) return sendJson(res, 200, outcome.output, { requestId: request.id, headers: units });
  const failure = outcome?.failure;
  if (!failure)
    return sendJson(res, 500, { detail: 'Request ended without outcome' }, { requestId: request.id });
  sendJson(res, failure.status, failure.body, {
    requestId: request.id,
    headers: { ...units, [RESPONSE_HEADERS.errorType]: failure.errorType, ...failure.headers },
  });
}
