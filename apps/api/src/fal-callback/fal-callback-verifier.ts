import type { KeyObject } from 'node:crypto';
import {
  checkFalWebhookHeaders,
  type FalWebhookVerdict,
  falSignatureMatches,
  parseFalJwks,
} from './signature';

/** fal's JWKS could not be fetched and no keys are cached: the webhook cannot be judged (503, fal retries). */
export class FalJwksUnavailableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot fetch fal's JWKS: ${reason}`);
    this.name = 'FalJwksUnavailableError';
  }
}

export interface FalWebhookVerifier {
  verify(input: {
    headers: Record<string, string | string[] | undefined>;
    body: Uint8Array;
  }): Promise<FalWebhookVerdict>;
}

/**
 * Verifies fal webhooks against fal's JWKS, cached. A signature that matches no cached key refetches the
 * JWKS (fal rotated its key), at most once per `refetchIntervalMs` so forged requests cannot make us
 * hammer fal. Header and timestamp checks come first and never fetch anything.
 */
export function createFalWebhookVerifier(opts: {
  jwksUrl: string;
  fetch?: typeof fetch;
  /** ms clock; also the timestamp check's clock. */
  now?: () => number;
  refetchIntervalMs?: number;
  maxAgeMs?: number;
  timeoutMs?: number;
}): FalWebhookVerifier {
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const refetchIntervalMs = opts.refetchIntervalMs ?? 30_000;
  const maxAgeMs = opts.maxAgeMs ?? 24 * 3_600_000;
  let keys: KeyObject[] = [];
  let fetchedAt: number | undefined;
  let lastAttempt: number | undefined;
  let inFlight: Promise<void> | undefined;

  async function load(): Promise<void> {
    lastAttempt = now();
    let response: Response;
    try {
      response = await doFetch(opts.jwksUrl, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new FalJwksUnavailableError(opts.jwksUrl, (error as Error).message);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new FalJwksUnavailableError(opts.jwksUrl, `HTTP ${response.status}`);
    }
    const parsed = parseFalJwks(await response.json().catch(() => undefined));
    if (parsed.length === 0)
      throw new FalJwksUnavailableError(opts.jwksUrl, 'no Ed25519 key in the document');
    keys = parsed;
    fetchedAt = now();
  }

  /** One fetch at a time; concurrent webhooks share it. */
  function refresh(): Promise<void> {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const mayRefetch = () => lastAttempt === undefined || now() - lastAttempt >= refetchIntervalMs;

  return {
    async verify({ headers, body }) {
      const checked = checkFalWebhookHeaders(headers, Math.floor(now() / 1000));
      if (!checked.ok) return checked;
      const stale = fetchedAt === undefined || now() - fetchedAt > maxAgeMs;
      if (stale) {
        if (inFlight || mayRefetch()) {
          // With old keys in hand a failed refresh is not fatal: they still verify until fal rotates.
          await refresh().catch((error) => {
            if (keys.length === 0) throw error;
          });
        } else if (keys.length === 0) {
          throw new FalJwksUnavailableError(opts.jwksUrl, 'the last fetch failed; retrying shortly');
        }
      }
      let ok = falSignatureMatches(checked.headers, body, keys);
      if (!ok && (inFlight || mayRefetch())) {
        await refresh().catch(() => {});
        ok = falSignatureMatches(checked.headers, body, keys);
      }
      if (!ok)
        return { ok: false, reason: 'bad_signature', message: 'the signature does not match any fal key' };
      const h = checked.headers;
      return { ok: true, requestId: h.requestId, userId: h.userId, timestamp: Number(h.timestamp) };
    },
  };
}

/** FAL_BASE_URL reroutes https://HOST/PATH to FAL_BASE_URL/HOST/PATH (README.md, The fal emulator), the JWKS too. */
export function falJwksUrl(config: { FAL_JWKS_URL: string; FAL_BASE_URL?: string | undefined }): string {
  if (!config.FAL_BASE_URL) return config.FAL_JWKS_URL;
  const original = new URL(config.FAL_JWKS_URL);
  return `${config.FAL_BASE_URL.replace(/\/+$/, '')}/${original.host}${original.pathname}${original.search}`;
}
