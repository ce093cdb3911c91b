import type { WebhookJobData } from '@foley/shared/webhooks/events';
import { signWebhook } from '@foley/shared/webhooks/signature';
import type { WebhookAttempt, WebhookAttemptOutcome, WebhookStore } from '@foley/shared/webhooks/store';
import { type GuardedFetchInit, UrlBlockedError } from '../clients/http-fetch';

export const WEBHOOK_USER_AGENT = 'Foley-Webhooks/1.0';
/** A receiver's answer is read this far (so the connection can be reused) and then dropped. */
const RESPONSE_READ_LIMIT = 4096;

/** One `webhooks` queue job as the processor sees it. */
export interface WebhookDeliveryJob {
  data: WebhookJobData;
  /** Attempts before this one. */
  attemptsMade: number;
  maxAttempts: number;
}

/** The SSRF-guarded fetch (clients/http-fetch.ts) or anything of its shape. */
export type WebhookFetch = (url: string, init: GuardedFetchInit) => Promise<Response>;

export interface DeliverWebhookDeps {
  fetch: WebhookFetch;
  store: Pick<WebhookStore, 'recordAttempt'>;
  /** `whsec_…` secrets; each attempt is signed with all of them. */
  secrets: readonly string[];
  timeoutMs: number;
  now?: () => number;
  onOutcome?: (outcome: WebhookAttemptOutcome) => void;
}

/** An attempt that did not get a 2xx. `retryable: false` (a blocked URL) ends the event at once. */
export class WebhookAttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'WebhookAttemptError';
  }
}

/**
 * POSTs the event's stored body, signed now (same webhook-id on every attempt, fresh timestamp), and
 * records the attempt. A 2xx delivers; a 3xx is not followed; anything else throws for the queue to
 * retry on the schedule, and the last attempt marks the event failed.
 */
export async function deliverWebhook(
  job: WebhookDeliveryJob,
  deps: DeliverWebhookDeps,
): Promise<{ status_code: number }> {
  const now = deps.now ?? Date.now;
  const { data } = job;
  const started = now();
  const headers = {
    ...signWebhook({ id: data.event_id, timestamp: started / 1000, body: data.body, secrets: deps.secrets }),
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
  };

  let statusCode: number | undefined;
  let failure: WebhookAttemptError | undefined;
  try {
    const response = await deps.fetch(data.target_url, {
      method: 'POST',
      headers,
      body: data.body,
      signal: AbortSignal.timeout(deps.timeoutMs),
      redirect: 'manual',
    });
    statusCode = response.status;
    await readSome(response, RESPONSE_READ_LIMIT);
    if (statusCode >= 300 && statusCode < 400) {
      failure = new WebhookAttemptError(`redirect (${statusCode}) not followed`, true, statusCode);
    } else if (statusCode < 200 || statusCode >= 300) {
      failure = new WebhookAttemptError(`HTTP ${statusCode}`, true, statusCode);
    }
  } catch (error) {
    failure = classifyError(error, deps.timeoutMs);
  }

  const last = job.attemptsMade + 1 >= job.maxAttempts;
  const outcome: WebhookAttemptOutcome = !failure
    ? 'delivered'
    : !failure.retryable || last
      ? 'failed'
      : 'retrying';
  const attempt: WebhookAttempt = {
    at: new Date(started).toISOString(),
    ...(statusCode !== undefined ? { status_code: statusCode } : {}),
    ...(failure ? { error: failure.message } : {}),
    duration_ms: Math.max(0, now() - started),
    outcome,
  };
  await deps.store.recordAttempt(data.event_id, attempt);
  deps.onOutcome?.(outcome);
  if (failure) throw failure;
  return { status_code: statusCode as number };
}

function classifyError(error: unknown, timeoutMs: number): WebhookAttemptError {
  if (error instanceof UrlBlockedError) {
    return new WebhookAttemptError(`URL blocked: ${error.message}`, false);
  }
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new WebhookAttemptError(`no response within ${timeoutMs} ms`, true);
  }
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return new WebhookAttemptError(`request failed: ${detail}`, true);
}

/** Reads up to `limit` bytes of the body, then lets go of it; a broken or slow body is not an error. */
async function readSome(response: Response, limit: number): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  try {
    let read = 0;
    // Bounded: each chunk is at least one byte, and the fetch's timeout signal aborts a stalled body.
    while (read < limit) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
  } catch {
    // The status already decided the attempt.
  } finally {
    reader.cancel().catch(() => {});
  }
}
