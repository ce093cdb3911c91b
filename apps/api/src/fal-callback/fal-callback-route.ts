import { ApiError } from '@foley/shared/errors';
import { isId } from '@foley/shared/ids';
import type { JobSignalStore } from '@foley/shared/jobs/signals';
import express, { Router } from 'express';
import { slowBodyGuard } from '../http/slow-body-guard';
import type { JobReader } from '../jobs/job-reader';

export const FAL_CALLBACK_BODY_LIMIT = 64 * 1024;

import { FalJwksUnavailableError, type FalWebhookVerifier } from './fal-callback-verifier';

/**
 * `POST /v1/fal/webhook?job_id=…`: fal says a request finished. Public (fal has no API key): the
 * Ed25519 signature is the authentication. It only wakes the job's worker, which then reads the result
 * from fal itself, so a repeated or late delivery does no harm. Mount it among the public routers.
 */
export function falCallbackRouter(deps: {
  verifier: FalWebhookVerifier;
  jobs: Pick<JobReader, 'snapshot'>;
  signals: Pick<JobSignalStore, 'notifyFalCompleted'>;
  /** fal's callback for this model is about 1 KB (two File objects); anything near this is not fal. */
  bodyLimit?: number;
  /** Callbacks read at once; past it the route answers 503 (fal retries). */
  maxConcurrent?: number;
  /** A callback must arrive whole within this long. */
  readTimeoutMs?: number;
}): Router {
  const router = Router();
  const guard = slowBodyGuard({
    maxConcurrent: deps.maxConcurrent ?? 64,
    readTimeoutMs: deps.readTimeoutMs ?? 10_000,
  });
  const raw = express.raw({ type: () => true, limit: deps.bodyLimit ?? FAL_CALLBACK_BODY_LIMIT });

  router.post('/v1/fal/webhook', guard, raw, async (req, res) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = await deps.verifier.verify({ headers: req.headers, body }).catch((error: unknown) => {
      if (error instanceof FalJwksUnavailableError) {
        throw new ApiError('service_unavailable', 'cannot verify fal webhooks right now; retry later');
      }
      throw error;
    });
    if (!verdict.ok) throw new ApiError('invalid_signature', verdict.message);

    // From here the sender is fal: answer 200 even when there is nothing to do, since retrying cannot help.
    const jobId = typeof req.query.job_id === 'string' ? req.query.job_id : '';
    const snapshot = isId(jobId, 'job') ? await deps.jobs.snapshot(jobId) : undefined;
    if (!snapshot) {
      req.log?.warn({ job_id: jobId, fal_request_id: verdict.requestId }, 'fal webhook for an unknown job');
      res.json({ received: true, ignored: 'unknown_job' });
      return;
    }
    const expected = snapshot.data.fal_request_id;
    // No request id yet: fal answered before the worker saved it. Waking the job only makes it poll.
    if (expected && !requestIdsOf(verdict.requestId, body).includes(expected)) {
      req.log?.warn({ job_id: jobId, fal_request_id: verdict.requestId }, 'fal webhook for another request');
      res.json({ received: true, ignored: 'request_mismatch' });
      return;
    }
    await deps.signals.notifyFalCompleted(jobId, verdict.requestId);
    res.json({ received: true });
  });

  return router;
}

/** The signed header's id, plus the body's `request_id`/`gateway_request_id` (fal may retry internally). */
function requestIdsOf(headerId: string, body: Buffer): string[] {
  const ids = [headerId];
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      request_id?: unknown;
      gateway_request_id?: unknown;
    };
    for (const id of [parsed.request_id, parsed.gateway_request_id]) if (typeof id === 'string') ids.push(id);
  } catch {
    // Not JSON: the header alone decides.
  }
  return ids;
}
