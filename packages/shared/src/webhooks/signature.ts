import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks (https://www.standardwebhooks.com): HMAC-SHA256 of `id.timestamp.body`. */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Receivers reject timestamps further than this from their clock (replay protection). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const MIN_SECRET_BYTES = 16;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export class InvalidWebhookSecretError extends Error {
  constructor(readonly reason: string) {
    super(`invalid webhook secret: ${reason}`);
    this.name = 'InvalidWebhookSecretError';
  }
}

/** `whsec_<base64>` → the HMAC key bytes. Throws `InvalidWebhookSecretError` (never echoing the secret). */
export function decodeWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX))
    throw new InvalidWebhookSecretError('must start with whsec_');
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
    throw new InvalidWebhookSecretError('must be whsec_ followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES) {
    throw new InvalidWebhookSecretError(`must encode at least ${MIN_SECRET_BYTES} bytes`);
  }
  return key;
}

export function isWebhookSecret(secret: string): boolean {
  try {
    decodeWebhookSecret(secret);
    return true;
  } catch {
    return false;
  }
}

/** A fresh secret (32 random bytes), for operators and tests. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

const hmac = (key: Buffer, id: string, timestamp: number, body: string) =>
  createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');

/**
 * Headers for one delivery. Every secret signs (`v1,<a> v1,<b>`), so during a rotation receivers that
 * know either the old or the new secret accept the message.
 */
export function signWebhook(opts: {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
  secrets: readonly string[];
}): WebhookHeaders {
  if (opts.secrets.length === 0) throw new InvalidWebhookSecretError('no secret configured');
  const timestamp = Math.floor(opts.timestamp);
  const signatures = opts.secrets.map(
    (secret) => `v1,${hmac(decodeWebhookSecret(secret), opts.id, timestamp, opts.body)}`,
  );
  return {
    'webhook-id': opts.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

export type WebhookVerdict =
  | { ok: true; id: string; timestamp: number }
  | {
      ok: false;
      reason: 'missing_headers' | 'invalid_timestamp' | 'stale_timestamp' | 'no_match';
      message: string;
    };

/**
 * Verifies a delivery the way a receiver does: all three headers, the timestamp within ±tolerance of
 * `now`, and at least one `v1` signature matching one of `secrets` (compared in constant time).
 */
export function verifyWebhook(opts: {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  secrets: readonly string[];
  /** Unix seconds; defaults to the system clock. */
  now?: number;
  toleranceSeconds?: number;
}): WebhookVerdict {
  const header = (name: keyof WebhookHeaders) => {
    const entry = Object.entries(opts.headers).find(([k]) => k.toLowerCase() === name)?.[1];
    return Array.isArray(entry) ? entry[0] : entry;
  };
  const id = header('webhook-id');
  const rawTimestamp = header('webhook-timestamp');
  const signature = header('webhook-signature');
  if (!id || !rawTimestamp || !signature) {
    return {
      ok: false,
      reason: 'missing_headers',
      message: 'webhook-id, -timestamp and -signature are required',
    };
  }
  if (!/^\d{1,12}$/.test(rawTimestamp)) {
    return { ok: false, reason: 'invalid_timestamp', message: 'webhook-timestamp is not unix seconds' };
  }
  const timestamp = Number(rawTimestamp);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) {
    return {
      ok: false,
      reason: 'stale_timestamp',
      message: `timestamp is more than ${tolerance} s from now`,
    };
  }
  const presented = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'utf8'));
  for (const secret of opts.secrets) {
    const expected = Buffer.from(hmac(decodeWebhookSecret(secret), id, timestamp, opts.body), 'utf8');
    if (presented.some((p) => p.length === expected.length && timingSafeEqual(p, expected))) {
      return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: 'no_match', message: 'no signature matches' };
}
