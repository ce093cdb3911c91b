import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * fal's webhook signature (docs/fal-protocol.md §10): Ed25519 over
 * `request_id\nuser_id\ntimestamp\nhex(sha256(body))`, hex in X-Fal-Webhook-Signature, keys from fal's JWKS.
 */

export const FAL_WEBHOOK_TOLERANCE_SECONDS = 300;

export interface FalWebhookHeaders {
  requestId: string;
  userId: string;
  timestamp: string;
  signature: string;
}

export type FalWebhookVerdict =
  | { ok: true; requestId: string; userId: string; timestamp: number }
  | {
      ok: false;
      reason: 'missing_headers' | 'invalid_timestamp' | 'stale_timestamp' | 'bad_signature';
      message: string;
    };

type HeaderBag = Record<string, string | string[] | undefined>;

export function falSignedMessage(
  requestId: string,
  userId: string,
  timestamp: string,
  body: Uint8Array | string,
): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${bodyHash}`, 'utf8');
}

/** The Ed25519 public keys of a JWKS document; other key types and malformed entries are skipped. */
export function parseFalJwks(json: unknown): KeyObject[] {
  const keys = (json as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return [];
  const out: KeyObject[] = [];
  for (const jwk of keys as Array<Record<string, unknown>>) {
    if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') continue;
    try {
      out.push(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }));
    } catch {
      // An unusable key is skipped; the others still verify.
    }
  }
  return out;
}

/** Headers present and timestamp within ±tolerance of `now` (unix seconds): checked before any key. */
export function checkFalWebhookHeaders(
  headers: HeaderBag,
  now: number,
  toleranceSeconds = FAL_WEBHOOK_TOLERANCE_SECONDS,
): { ok: true; headers: FalWebhookHeaders } | Extract<FalWebhookVerdict, { ok: false }> {
  const get = (name: string) => {
    const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
    return Array.isArray(value) ? value[0] : value;
  };
  const requestId = get('x-fal-webhook-request-id');
  const userId = get('x-fal-webhook-user-id');
  const timestamp = get('x-fal-webhook-timestamp');
  const signature = get('x-fal-webhook-signature');
  if (!requestId || !userId || !timestamp || !signature) {
    return {
      ok: false,
      reason: 'missing_headers',
      message: 'X-Fal-Webhook-* signature headers are required',
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: 'invalid_timestamp', message: 'X-Fal-Webhook-Timestamp is not unix seconds' };
  }
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) {
    return {
      ok: false,
      reason: 'stale_timestamp',
      message: `timestamp is more than ${toleranceSeconds} s from now`,
    };
  }
  return { ok: true, headers: { requestId, userId, timestamp, signature } };
}

/** True when any of `keys` signed this message. */
export function falSignatureMatches(
  headers: FalWebhookHeaders,
  body: Uint8Array | string,
  keys: KeyObject[],
): boolean {
  if (!/^[0-9a-fA-F]{128}$/.test(headers.signature)) return false;
  const signature = Buffer.from(headers.signature, 'hex');
  const message = falSignedMessage(headers.requestId, headers.userId, headers.timestamp, body);
  return keys.some((key) => {
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  });
}

/** Headers, timestamp and signature in one pure check (`now` in unix seconds). */
export function verifyFalWebhook(opts: {
  headers: HeaderBag;
  body: Uint8Array | string;
  keys: KeyObject[];
  now?: number;
  toleranceSeconds?: number;
}): FalWebhookVerdict {
  const checked = checkFalWebhookHeaders(
    opts.headers,
    opts.now ?? Math.floor(Date.now() / 1000),
    opts.toleranceSeconds,
  );
  if (!checked.ok) return checked;
  const h = checked.headers;
  if (!falSignatureMatches(h, opts.body, opts.keys)) {
    return { ok: false, reason: 'bad_signature', message: 'the signature does not match any fal key' };
  }
  return { ok: true, requestId: h.requestId, userId: h.userId, timestamp: Number(h.timestamp) };
}
