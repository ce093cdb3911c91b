import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';
import { JOB_RETENTION } from '../queues/catalog';
import {
  type WebhookEventType,
  type WebhookJobData,
  type WebhookResource,
  webhookJobDataSchema,
  webhookResourceSchema,
} from './events';

/** Redis record of outbound webhook events and every delivery attempt, for GET …/webhooks and redelivery. */

export type WebhookEventStatus = 'pending' | 'delivered' | 'failed';
export type WebhookAttemptOutcome = 'delivered' | 'failed' | 'retrying';

export interface WebhookAttempt {
  at: string;
  status_code?: number;
  error?: string;
  duration_ms: number;
  outcome: WebhookAttemptOutcome;
}

export interface StoredWebhookEvent {
  id: string;
  type: WebhookEventType;
  target_url: string;
  resource: WebhookResource;
  /** The signed JSON; a redelivery sends it again, byte for byte. */
  body: string;
  status: WebhookEventStatus;
  created_at: string;
  updated_at: string;
  redeliveries: number;
  attempts: WebhookAttempt[];
}

export type NewWebhookEvent = Pick<WebhookJobData, 'event_id' | 'type' | 'target_url' | 'body' | 'resource'>;

/** An event keeps at most this many attempts (a schedule is ~8; redeliveries add more). */
const MAX_ATTEMPTS_KEPT = 100;
const MAX_LISTED = 100;

// Creates the event unless it exists (a second emit of the same id), and indexes it under its resource.
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1`;

export interface WebhookStore {
  createEvent(event: NewWebhookEvent): Promise<{ created: boolean }>;
  recordAttempt(eventId: string, attempt: WebhookAttempt): Promise<void>;
  startRedelivery(eventId: string): Promise<number>;
  getEvent(eventId: string): Promise<StoredWebhookEvent | undefined>;
  listForResource(kind: WebhookResource['kind'], id: string): Promise<StoredWebhookEvent[]>;
}

export function createWebhookStore(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  ttlSeconds?: number;
  now?: () => number;
}): WebhookStore {
  const { redis, keys } = deps;
  const ttl = deps.ttlSeconds ?? JOB_RETENTION.failedSeconds;
  const now = deps.now ?? Date.now;

  /** Records a new event as `pending`; `created: false` when it already existed (left as it was). */
  async function createEvent(event: NewWebhookEvent): Promise<{ created: boolean }> {
    const at = now();
    const iso = new Date(at).toISOString();
    const fields: Record<string, string> = {
      id: event.event_id,
      type: event.type,
      target_url: event.target_url,
      resource: JSON.stringify(event.resource),
      body: event.body,
      status: 'pending',
      created_at: iso,
      updated_at: iso,
      redeliveries: '0',
    };
    const created = await redis.eval(
      CREATE_SCRIPT,
      2,
      keys.webhookEvent(event.event_id),
      keys.resourceWebhooks(event.resource.kind, event.resource.id),
      ttl,
      at,
      event.event_id,
      ...Object.entries(fields).flat(),
    );
    return { created: created === 1 };
  }

  /** Appends an attempt and moves the event's state: delivered, failed, or pending while retrying. */
  async function recordAttempt(eventId: string, attempt: WebhookAttempt): Promise<void> {
    const status: WebhookEventStatus =
      attempt.outcome === 'retrying' ? 'pending' : attempt.outcome === 'delivered' ? 'delivered' : 'failed';
    const list = keys.webhookAttempts(eventId);
    const hash = keys.webhookEvent(eventId);
    await redis
      .multi()
      .rpush(list, JSON.stringify(attempt))
      .ltrim(list, -MAX_ATTEMPTS_KEPT, -1)
      .expire(list, ttl)
      .hset(hash, 'status', status, 'updated_at', new Date(now()).toISOString())
      .expire(hash, ttl)
      .exec();
  }

  /** Marks the event pending again for a redelivery; returns the redelivery's number (1, 2, …). */
  async function startRedelivery(eventId: string): Promise<number> {
    const hash = keys.webhookEvent(eventId);
    const results = await redis
      .multi()
      .hincrby(hash, 'redeliveries', 1)
      .hset(hash, 'status', 'pending', 'updated_at', new Date(now()).toISOString())
      .expire(hash, ttl)
      .exec();
    return Number(results?.[0]?.[1] ?? 1);
  }

  async function getEvent(eventId: string): Promise<StoredWebhookEvent | undefined> {
    const [hash, attempts] = await Promise.all([
      redis.hgetall(keys.webhookEvent(eventId)),
      redis.lrange(keys.webhookAttempts(eventId), 0, -1),
    ]);
    return parseEvent(hash, attempts);
  }

  /** A job's or batch's events, oldest first. */
  async function listForResource(kind: WebhookResource['kind'], id: string): Promise<StoredWebhookEvent[]> {
    const ids = await redis.zrange(keys.resourceWebhooks(kind, id), 0, MAX_LISTED - 1);
    const events = await Promise.all(ids.map(getEvent));
    return events.filter((e): e is StoredWebhookEvent => e !== undefined);
  }

  return { createEvent, recordAttempt, startRedelivery, getEvent, listForResource };
}

function parseEvent(hash: Record<string, string>, attempts: string[]): StoredWebhookEvent | undefined {
  const resource = webhookResourceSchema.safeParse(safeJson(hash.resource));
  const type = webhookJobDataSchema.shape.type.safeParse(hash.type);
  if (!hash.id || !hash.target_url || hash.body === undefined || !resource.success || !type.success) {
    return undefined;
  }
  const status = hash.status === 'delivered' || hash.status === 'failed' ? hash.status : 'pending';
  return {
    id: hash.id,
    type: type.data,
    target_url: hash.target_url,
    resource: resource.data,
    body: hash.body,
    status,
    created_at: hash.created_at ?? '',
    updated_at: hash.updated_at ?? hash.created_at ?? '',
    redeliveries: Number(hash.redeliveries ?? 0),
    attempts: attempts.map((a) => safeJson(a) as WebhookAttempt).filter(Boolean),
  };
}

function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
