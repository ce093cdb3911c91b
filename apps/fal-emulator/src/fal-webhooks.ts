import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@foley/shared/infra/logger';
import { pythonJson } from './python-json';
import type { FalRequest } from './request-queue';
import type { WebhookSigner } from './signing';

/** fal retries "10 times in the span of 2 hours"; the exact schedule is UNVERIFIED. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [
  10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_000_000,
];
export const WEBHOOK_USER_ID = 'emulator-user';

/** The body fal POSTs to `fal_webhook` when a request completes (docs/fal-protocol.md §10, §13). */
export function webhookBody(req: FalRequest): Record<string, unknown> {
  const base = { request_id: req.id, gateway_request_id: req.id };
  if (!req.outcome || req.outcome.ok) {
    return { ...base, status: 'OK', error: null, payload: req.outcome?.output ?? null };
  }
  const { failure } = req.outcome;
  return { ...base, status: 'ERROR', error: `Invalid status code: ${failure.status}`, payload: failure.body };
}

export interface FalWebhooks {
  /** Starts delivery in the background: first attempt now, then one per retry delay until a 2xx. */
  deliver(req: FalRequest): void;
  close(): Promise<void>;
}

export function createFalWebhooks(opts: {
  signer: WebhookSigner;
  retryDelaysMs?: number[];
  attemptTimeoutMs?: number;
  logger: Logger;
}): FalWebhooks {
  const delays = opts.retryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS;
  const timeoutMs = opts.attemptTimeoutMs ?? 10_000;
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();

  async function attempt(url: string, req: FalRequest, body: string): Promise<boolean> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
        headers: {
          'content-type': 'application/json',
          'x-fal-webhook-request-id': req.id,
          'x-fal-webhook-user-id': WEBHOOK_USER_ID,
          'x-fal-webhook-timestamp': timestamp,
          'x-fal-webhook-signature': opts.signer.sign(req.id, WEBHOOK_USER_ID, timestamp, body),
        },
      });
      await response.body?.cancel();
      return response.ok;
    } catch (error) {
      opts.logger.debug({ err: error, requestId: req.id }, 'fal webhook attempt failed');
      return false;
    }
  }

  async function run(url: string, req: FalRequest) {
    const body = pythonJson(webhookBody(req));
    for (let i = 0; i <= delays.length && !stop.signal.aborted; i++) {
      if (i > 0) await sleep(delays[i - 1] ?? 0, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) return;
      if (await attempt(url, req, body)) {
        opts.logger.info({ requestId: req.id, attempts: i + 1 }, 'fal webhook delivered');
        return;
      }
    }
    if (!stop.signal.aborted) opts.logger.warn({ requestId: req.id }, 'fal webhook gave up');
  }

  return {
    deliver(req) {
      if (!req.webhookUrl || stop.signal.aborted) return;
      const p = run(req.webhookUrl, req).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async close() {
      stop.abort();
      await Promise.all(inFlight);
    },
  };
}
