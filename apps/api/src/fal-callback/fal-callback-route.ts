import { ApiError } from '@foley/shared/errors';
import { isId } from '@foley/shared/ids';
import { isSubmitNonce, type JobSignalStore } from '@foley/shared/jobs/signals';
import express, { Router } from 'express';
import { slowBodyGuard } from '../http/slow-body-guard';
import type { JobReader } from '../jobs/job-reader';

export const FAL_CALLBACK_BODY_LIMIT = 64 * 1024;

import { FalJwksUnavailableError, type FalWebhookVerifier } from './fal-callback-verifier';

/**
 * `POST /v1/fal/webhook?job_id=…&submit=…`: fal says a request finished. Public (fal has no API key):
 * the Ed25519 signature is the authentication. It wakes the job's worker, which then reads the result
 * from fal itself, so a repeated or late delivery does no harm. When the job has no request id saved
 * (its worker lost fal's answer to the submit), the callback is how Foley learns it: recorded on the
 * job's submit claim if `submit` is that claim's nonce (the signature does not cover the URL, so the
 * nonce is what ties this callback to that submit). Mount it among the public routers.
 */
export function falCallbackRouter(deps: {
  verifier: FalWebhookVerifier;
  jobs: Pick<JobReader, 'snapshot'>;
  signals: Pick<JobSignalStore, 'notifyFalCompleted' | 'recordCallbackRequest'>;
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
    const nonce = req.query.submit;
    if (!expected && isSubmitNonce(nonce)) {
      const outcome = await deps.signals.recordCallbackRequest(jobId, nonce, verdict.requestId);
      if (outcome !== 'recorded') {
        req.log?.warn(
          { job_id: jobId, fal_request_id: verdict.requestId, outcome },
          'fal webhook not recorded',
        );
        res.json({ received: true, ignored: outcome });
        return;
      }
      req.log?.info(
        { job_id: jobId, fal_request_id: verdict.requestId },
        'fal webhook revealed the request of a submit whose answer was lost',
      );
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
