import type { Queue } from 'bullmq';
import type { JobFinishedContext, OnJobFinished } from '../jobs/finished';
import { QUEUES, webhookJobOptions } from '../queues/catalog';
import {
  eventIdFor,
  jobEventType,
  serializeEventBody,
  type WebhookEventType,
  type WebhookJobData,
  type WebhookResource,
} from './events';
import type { StoredWebhookEvent, WebhookStore } from './store';

export interface EmitWebhook<D = unknown> {
  type: WebhookEventType;
  target_url: string;
  data: D;
  resource: WebhookResource;
  /** Defaults to an id derived from resource and type, so emitting the same event twice is harmless. */
  event_id?: string;
}

export class WebhookEventNotFoundError extends Error {
  constructor(readonly eventId: string) {
    super(`webhook event ${eventId} not found`);
    this.name = 'WebhookEventNotFoundError';
  }
}

export interface WebhookProducer {
  emit(event: EmitWebhook): Promise<{ event_id: string }>;
  onJobFinished: OnJobFinished;
  redeliver(eventId: string): Promise<{ event_id: string; delivery_id: string }>;
}

/**
 * Turns finished jobs and batches into `webhooks` queue jobs. The event is recorded first (with its body,
 * serialized once), then enqueued with the event id as the queue job id, so a repeated emit neither
 * records nor delivers twice. Used by the worker (job ends), the API (cancels, redeliveries) and batches.
 */
export function createWebhookProducer(deps: {
  queue: Pick<Queue<WebhookJobData>, 'add'>;
  store: Pick<WebhookStore, 'createEvent' | 'getEvent' | 'startRedelivery'>;
  /** Retry delays in ms (WEBHOOK_RETRY_SCHEDULE). */
  schedule: readonly number[];
  now?: () => number;
}): WebhookProducer {
  const now = deps.now ?? Date.now;

  async function enqueue(event: StoredWebhookEvent | WebhookJobData, queueJobId: string): Promise<void> {
    const data: WebhookJobData = {
      event_id: 'event_id' in event ? event.event_id : event.id,
      type: event.type,
      target_url: event.target_url,
      body: event.body,
      resource: event.resource,
      retry_schedule_ms: [...deps.schedule],
    };
    await deps.queue.add(QUEUES.webhooks.jobs.deliver, data, webhookJobOptions(queueJobId, deps.schedule));
  }

  async function emit(event: EmitWebhook): Promise<{ event_id: string }> {
    const eventId = event.event_id ?? eventIdFor(event.resource, event.type);
    const data: WebhookJobData = {
      event_id: eventId,
      type: event.type,
      target_url: event.target_url,
      body: serializeEventBody(event.type, event.data, now()),
      resource: event.resource,
    };
    const { created } = await deps.store.createEvent(data);
    if (created) {
      await enqueue(data, eventId);
      return { event_id: eventId };
    }
    // Seen before: finish an emit that crashed between record and enqueue (the queue drops a duplicate
    // job id), and never resend an event that already ended.
    const stored = await deps.store.getEvent(eventId);
    if (stored?.status === 'pending' && stored.redeliveries === 0) await enqueue(stored, eventId);
    return { event_id: eventId };
  }

  const onJobFinished: OnJobFinished = async (view, context?: JobFinishedContext) => {
    const type = jobEventType(view.status);
    if (!view.webhook_url || !type) return;
    await emit({
      type,
      target_url: view.webhook_url,
      data: view,
      resource: { kind: 'job', id: view.id, ...(context?.tenant ? { tenant: context.tenant } : {}) },
    });
  };

  /** Sends a recorded event again: same webhook-id and body, a fresh schedule, its own queue job. */
  async function redeliver(eventId: string): Promise<{ event_id: string; delivery_id: string }> {
    const stored = await deps.store.getEvent(eventId);
    if (!stored) throw new WebhookEventNotFoundError(eventId);
    const n = await deps.store.startRedelivery(eventId);
    const deliveryId = `${eventId}-r${n}`;
    await enqueue(stored, deliveryId);
    return { event_id: eventId, delivery_id: deliveryId };
  }

  return { emit, onJobFinished, redeliver };
}
