import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { JobStatus } from '../jobs/contract';

/** Outbound webhook events (README.md, Webhooks): what customers receive and what the `webhooks` queue carries. */

export const WEBHOOK_EVENT_TYPES = [
  'job.completed',
  'job.failed',
  'job.canceled',
  'batch.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body POSTed to the customer, serialized once and signed exactly as stored. */
export interface WebhookEventBody<D = unknown> {
  type: WebhookEventType;
  /** ISO time the event happened. */
  timestamp: string;
  /** What GET returns for the resource (a JobView for job events). */
  data: D;
}

export const webhookResourceSchema = z.object({
  kind: z.enum(['job', 'batch']),
  id: z.string(),
  tenant: z.string().optional(),
});
export type WebhookResource = z.infer<typeof webhookResourceSchema>;

/** Payload of a `webhooks` queue job: one delivery (with its retries) of one event. */
export const webhookJobDataSchema = z.object({
  event_id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  target_url: z.string(),
  /** The exact JSON that is signed and sent. */
  body: z.string(),
  resource: webhookResourceSchema,
  /** Retry delays (ms) chosen by the producer; they travel with the job so attempts and delays agree. */
  retry_schedule_ms: z.array(z.number().int().nonnegative()).optional(),
});
export type WebhookJobData = z.infer<typeof webhookJobDataSchema>;

export function serializeEventBody<D>(type: WebhookEventType, data: D, at: number): string {
  const body: WebhookEventBody<D> = { type, timestamp: new Date(at).toISOString(), data };
  return JSON.stringify(body);
}

/** The event a job's final status emits; undefined for a job that has not ended. */
export function jobEventType(status: JobStatus): WebhookEventType | undefined {
  switch (status) {
    case 'completed':
      return 'job.completed';
    case 'failed':
      return 'job.failed';
    case 'canceled':
      return 'job.canceled';
    default:
      return undefined;
  }
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * `evt_…` derived from the resource and the event type. Each event type happens once per job or batch,
 * so a hook that runs twice (a worker crash after the job ended, a retried cancel) yields the same id
 * and the queue and the store drop the duplicate. Same shape as `newId('evt')`.
 */
export function eventIdFor(resource: Pick<WebhookResource, 'kind' | 'id'>, type: WebhookEventType): string {
  const digest = createHash('sha256').update(`${resource.kind}:${resource.id}:${type}`).digest();
  let id = '';
  for (let i = 0; i < 26; i++) id += ALPHABET[(digest[i] as number) % 32];
  return `evt_${id}`;
}
