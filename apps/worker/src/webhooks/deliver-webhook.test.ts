import { generateWebhookSecret, verifyWebhook } from '@foley/shared/webhooks/signature';
import type { WebhookAttempt } from '@foley/shared/webhooks/store';
import { describe, expect, it } from 'vitest';
import { UrlBlockedError } from '../clients/http-fetch';
import {
  type DeliverWebhookDeps,
  deliverWebhook,
  WEBHOOK_USER_AGENT,
  WebhookAttemptError,
  type WebhookFetch,
} from './deliver-webhook';
import { webhookBackoff } from './webhook-worker';

const SECRET = generateWebhookSecret();
const DATA = {
  event_id: 'evt_01jd2x0000abcdefghjkmnpqrs',
  type: 'job.completed' as const,
  target_url: 'https://hooks.example.com/foley',
  body: '{"type":"job.completed","timestamp":"2025-01-01T00:00:00.000Z","data":{}}',
  resource: { kind: 'job' as const, id: 'job_1' },
};

function harness(fetch: WebhookFetch, now = 1_750_000_000_000) {
  const attempts: WebhookAttempt[] = [];
  const calls: Array<{ url: string; init: Parameters<WebhookFetch>[1] }> = [];
  const deps: DeliverWebhookDeps = {
    fetch: (url, init) => {
      calls.push({ url, init });
      return fetch(url, init);
    },
    store: { recordAttempt: async (_id, a) => void attempts.push(a) },
    secrets: [SECRET],
    timeoutMs: 200,
    now: () => now,
  };
  return { deps, attempts, calls };
}
const job = (attemptsMade = 0, maxAttempts = 3) => ({ data: DATA, attemptsMade, maxAttempts });

describe('deliverWebhook', () => {
  it('POSTs the stored body, signed for now, without following redirects', async () => {
    const h = harness(async () => new Response('ok', { status: 200 }));
    expect(await deliverWebhook(job(), h.deps)).toEqual({ status_code: 200 });
    const [call] = h.calls;
    expect(call?.url).toBe(DATA.target_url);
    expect(call?.init).toMatchObject({ method: 'POST', body: DATA.body, redirect: 'manual' });
    const headers = call?.init.headers ?? {};
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe(WEBHOOK_USER_AGENT);
    expect(headers['webhook-timestamp']).toBe('1750000000');
    expect(verifyWebhook({ headers, body: DATA.body, secrets: [SECRET], now: 1_750_000_000 }).ok).toBe(true);
    expect(h.attempts).toEqual([
      { at: '2025-06-15T15:06:40.000Z', status_code: 200, duration_ms: 0, outcome: 'delivered' },
    ]);
  });

  it('records a non-2xx as retrying, and as failed on the last attempt', async () => {
    const h = harness(async () => new Response('nope', { status: 500 }));
    await expect(deliverWebhook(job(0, 3), h.deps)).rejects.toMatchObject({
      retryable: true,
      statusCode: 500,
    });
    await expect(deliverWebhook(job(2, 3), h.deps)).rejects.toBeInstanceOf(WebhookAttemptError);
    expect(h.attempts.map((a) => [a.outcome, a.error])).toEqual([
      ['retrying', 'HTTP 500'],
      ['failed', 'HTTP 500'],
    ]);
  });

  it('treats a 3xx as a failure', async () => {
    const h = harness(
      async () => new Response(null, { status: 301, headers: { location: 'http://10.0.0.1/' } }),
    );
    await expect(deliverWebhook(job(), h.deps)).rejects.toThrow('redirect (301) not followed');
    expect(h.calls).toHaveLength(1);
  });

  it('fails a blocked URL at once, not retryable', async () => {
    const h = harness(async (url) => {
      throw new UrlBlockedError({ url, rule: 'private', message: 'private address 10.0.0.1' });
    });
    await expect(deliverWebhook(job(0, 8), h.deps)).rejects.toMatchObject({ retryable: false });
    expect(h.attempts[0]).toMatchObject({
      outcome: 'failed',
      error: 'URL blocked: private address 10.0.0.1',
    });
  });

  it('aborts at the timeout', async () => {
    const h = harness(
      (_url, init) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    );
    await expect(deliverWebhook(job(), h.deps)).rejects.toThrow('no response within 200 ms');
    expect(h.attempts[0]?.outcome).toBe('retrying');
  });
});

describe('webhookBackoff', () => {
  it('uses the schedule carried by the job, else the worker’s, and leaves other types alone', () => {
    const backoff = webhookBackoff([1_000, 2_000]);
    const withOwn = { data: { retry_schedule_ms: [100, 200, 300] } } as never;
    const delay = (n: number, job?: never) => Number(backoff(n, 'foley-webhook', undefined, job));
    expect(delay(2, withOwn)).toBeGreaterThanOrEqual(200);
    expect(delay(2, withOwn)).toBeLessThan(221);
    expect(delay(1)).toBeGreaterThanOrEqual(1_000);
    expect(delay(1)).toBeLessThan(1_101);
    expect(backoff(1, 'other')).toBe(5_000);
  });
});
