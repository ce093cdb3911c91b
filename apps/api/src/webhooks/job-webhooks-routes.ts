import { ApiError } from '@foley/shared/errors';
import { isId } from '@foley/shared/ids';
import type { WebhookProducer } from '@foley/shared/webhooks/producer';
import type { StoredWebhookEvent, WebhookAttempt, WebhookStore } from '@foley/shared/webhooks/store';
import { Router } from 'express';
import { tenantOf } from '../http/auth';
import type { JobsService } from '../jobs/jobs-service';

/** A webhook event as GET /v1/jobs/:id/webhooks lists it. */
export interface WebhookEventView {
  id: string;
  object: 'webhook_event';
  type: StoredWebhookEvent['type'];
  target_url: string;
  status: StoredWebhookEvent['status'];
  created_at: string;
  attempts: WebhookAttempt[];
}

export function toWebhookEventView(e: StoredWebhookEvent): WebhookEventView {
  return {
    id: e.id,
    object: 'webhook_event',
    type: e.type,
    target_url: e.target_url,
    status: e.status,
    created_at: e.created_at,
    attempts: e.attempts,
  };
}

/** A job's webhook events and their attempts, and redelivery. Ownership is the jobs service's check. */
export function jobWebhooksRouter(deps: {
  jobs: Pick<JobsService, 'get'>;
  store: Pick<WebhookStore, 'listForResource' | 'getEvent'>;
  producer: Pick<WebhookProducer, 'redeliver'>;
}): Router {
  const router = Router();

  router.get('/v1/jobs/:id/webhooks', async (req, res) => {
    const job = await deps.jobs.get(tenantOf(res), jobId(req.params.id));
    const events = await deps.store.listForResource('job', job.id);
    res.json({ object: 'list', data: events.map(toWebhookEventView) });
  });

  router.post('/v1/jobs/:id/webhooks/:event_id/redeliver', async (req, res) => {
    const job = await deps.jobs.get(tenantOf(res), jobId(req.params.id));
    const eventId = req.params.event_id ?? '';
    const event = isId(eventId, 'evt') ? await deps.store.getEvent(eventId) : undefined;
    if (event?.resource.kind !== 'job' || event.resource.id !== job.id) {
      throw new ApiError('not_found', 'webhook event not found');
    }
    const { delivery_id } = await deps.producer.redeliver(eventId);
    const fresh = (await deps.store.getEvent(eventId)) ?? event;
    res.status(202).json({ ...toWebhookEventView(fresh), delivery_id });
  });

  return router;
}

function jobId(raw: string | undefined): string {
  if (!raw || !isId(raw, 'job')) throw new ApiError('not_found', 'job not found');
  return raw;
}
