import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookEventType } from '../api-types.generated.js';
import { FoleyError } from '../errors.js';
import type { WebhookEvent } from '../types.js';

/** Standard Webhooks (https://www.standardwebhooks.com) as Foley signs its deliveries. */

export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const EVENT_TYPES: readonly WebhookEventType[] = [
  'job.completed',
  'job.failed',
  'job.canceled',
  'batch.completed',
];

export type WebhookFailure =
  | 'invalid_secret'
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'invalid_signature'
  | 'invalid_body';

/** A delivery that must not be trusted (or a secret that cannot be used); `reason` says which. */
export class WebhookVerificationError extends FoleyError {
  constructor(
    readonly reason: WebhookFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** Node's `req.headers`, a plain object with any casing, or a WHATWG `Headers`. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Unix seconds; defaults to the system clock. */
  now?: number;
  toleranceSeconds?: number;
}

/**
 * Checks a delivery and returns its event. `rawBody` must be the bytes as received (before any JSON
 * parsing); several secrets may be given while one is being rotated. Throws `WebhookVerificationError`.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: HeaderSource,
  secret: string | readonly string[],
  opts: VerifyOptions = {},
): WebhookEvent {
  const keys = (typeof secret === 'string' ? [secret] : secret).map(decodeSecret);
  if (keys.length === 0) throw new WebhookVerificationError('invalid_secret', 'no webhook secret given');
  const id = header(headers, 'webhook-id');
  const rawTimestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !rawTimestamp || !signatures) {
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature headers are required',
    );
  }
  if (!/^\d{1,12}$/.test(rawTimestamp)) {
    throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not unix seconds');
  }
  const timestamp = Number(rawTimestamp);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      'stale_timestamp',
      `webhook-timestamp is more than ${tolerance} s from now`,
    );
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
  const presented = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'utf8'));
  const matches = keys.some((key) => {
    const expected = Buffer.from(
      createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64'),
      'utf8',
    );
    return presented.some((p) => p.length === expected.length && timingSafeEqual(p, expected));
  });
  if (!matches) throw new WebhookVerificationError('invalid_signature', 'no webhook signature matches');
  return parseEvent(id, body);
}

/** `whsec_<base64>` (or the bare base64, as other Standard Webhooks libraries accept) → key bytes. */
function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  // Never echo the secret: the message names the rule only.
  if (key.length < 16)
    throw new WebhookVerificationError(
      'invalid_secret',
      'a webhook secret is whsec_ and base64 of at least 16 bytes',
    );
  return key;
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return (Array.isArray(entry) ? entry[0] : entry) ?? undefined;
}

function parseEvent(id: string, body: Buffer): WebhookEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('invalid_body', 'the signed body is not JSON');
  }
  const event = parsed as { type?: unknown; timestamp?: unknown; data?: unknown };
  if (
    typeof event !== 'object' ||
    event === null ||
    !EVENT_TYPES.includes(event.type as WebhookEventType) ||
    typeof event.timestamp !== 'string' ||
    typeof event.data !== 'object' ||
    event.data === null
  ) {
    throw new WebhookVerificationError(
      'invalid_body',
      'the signed body is not a Foley event ({ type, timestamp, data })',
    );
  }
  return { id, ...(event as Omit<WebhookEvent, 'id'>) } as WebhookEvent;
}
