import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateWebhookSecret, signWebhook } from '@foley/shared/webhooks/signature';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { foleyWebhookHandler } from './node-handler.js';
import { verifyWebhook, WebhookVerificationError } from './verify.js';

const NOW = 1_780_000_000;
const body = JSON.stringify({
  type: 'job.completed',
  timestamp: '2026-05-28T00:00:00.000Z',
  data: { id: 'job_1', object: 'job', status: 'completed', note: 'héllo ✓' },
});

/** Signed the way Foley's webhook worker signs (the server's own signer). */
const signed = (secrets: string[], at = NOW, text = body): Record<string, string> => ({
  ...signWebhook({ id: 'evt_1', timestamp: at, body: text, secrets }),
});

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return 'accepted';
};

describe('verifyWebhook', () => {
  const secret = generateWebhookSecret();

  it("accepts the server signer's deliveries as string or Buffer, plain headers or Headers, and types the event", () => {
    const headers = signed([secret]);
    const event = verifyWebhook(body, headers, secret, { now: NOW });
    expect(event).toEqual({ id: 'evt_1', ...JSON.parse(body) });
    if (event.type === 'job.completed') expect(event.data.status).toBe('completed');
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), secret, { now: NOW }).id).toBe('evt_1');
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]]));
    expect(verifyWebhook(body, upper, [secret], { now: NOW }).type).toBe('job.completed');
  });

  it('agrees with the standardwebhooks package both ways', () => {
    const theirs = new Webhook(secret);
    const at = new Date(NOW * 1000);
    const signature = theirs.sign('msg_1', at, body);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(NOW),
      'webhook-signature': signature,
    };
    expect(verifyWebhook(body, headers, secret, { now: NOW }).id).toBe('msg_1');
    // And what Foley signs, standardwebhooks accepts (at the current time, as it reads the clock itself).
    const now = Math.floor(Date.now() / 1000);
    const ours = signed([secret], now);
    expect(theirs.verify(body, ours)).toEqual(JSON.parse(body));
    expect(verifyWebhook(body, ours, secret).type).toBe('job.completed');
  });

  it('supports rotation: any of several secrets, any of several signatures', () => {
    const old = generateWebhookSecret();
    const next = generateWebhookSecret();
    const both = signed([old, next]);
    expect(both['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(reason(() => verifyWebhook(body, both, old, { now: NOW }))).toBe('accepted');
    expect(reason(() => verifyWebhook(body, both, next, { now: NOW }))).toBe('accepted');
    expect(reason(() => verifyWebhook(body, signed([old]), [next, old], { now: NOW }))).toBe('accepted');
    expect(reason(() => verifyWebhook(body, signed([old]), [next], { now: NOW }))).toBe('invalid_signature');
  });

  it('refuses timestamps more than 5 minutes off, either way', () => {
    expect(reason(() => verifyWebhook(body, signed([secret], NOW - 300), secret, { now: NOW }))).toBe(
      'accepted',
    );
    expect(reason(() => verifyWebhook(body, signed([secret], NOW - 301), secret, { now: NOW }))).toBe(
      'stale_timestamp',
    );
    expect(reason(() => verifyWebhook(body, signed([secret], NOW + 301), secret, { now: NOW }))).toBe(
      'stale_timestamp',
    );
  });

  it('refuses a changed body, id or timestamp, missing headers, and bad timestamps', () => {
    const headers = signed([secret]);
    expect(reason(() => verifyWebhook(`${body} `, headers, secret, { now: NOW }))).toBe('invalid_signature');
    expect(
      reason(() => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_2' }, secret, { now: NOW })),
    ).toBe('invalid_signature');
    const shifted = { ...headers, 'webhook-timestamp': String(NOW + 1) };
    expect(reason(() => verifyWebhook(body, shifted, secret, { now: NOW }))).toBe('invalid_signature');
    expect(reason(() => verifyWebhook(body, { 'webhook-id': 'evt_1' }, secret, { now: NOW }))).toBe(
      'missing_headers',
    );
    const notUnix = { ...headers, 'webhook-timestamp': '2026-01-01' };
    expect(reason(() => verifyWebhook(body, notUnix, secret, { now: NOW }))).toBe('invalid_timestamp');
    const v2 = { ...headers, 'webhook-signature': headers['webhook-signature']?.replace('v1,', 'v2,') };
    expect(reason(() => verifyWebhook(body, v2, secret, { now: NOW }))).toBe('invalid_signature');
  });

  it('refuses a signed body that is not a Foley event, and unusable secrets without echoing them', () => {
    const other = JSON.stringify({ type: 'user.created', timestamp: 'x', data: {} });
    expect(reason(() => verifyWebhook(other, signed([secret], NOW, other), secret, { now: NOW }))).toBe(
      'invalid_body',
    );
    const error = (() => {
      try {
        verifyWebhook(body, signed([secret]), 'whsec_short', { now: NOW });
      } catch (e) {
        return e as WebhookVerificationError;
      }
    })();
    expect(error?.reason).toBe('invalid_secret');
    expect(error?.message).not.toContain('whsec_short');
  });
});

describe('foleyWebhookHandler (node:http)', () => {
  it('answers 204 after onEvent for a good delivery, 400 for a bad one, 500 when onEvent throws', async () => {
    const secret = generateWebhookSecret();
    const seen: string[] = [];
    const handler = foleyWebhookHandler({
      secret,
      onEvent: (event) => {
        if (event.data.id === 'job_boom') throw new Error('db down');
        seen.push(event.id);
      },
    });
    const server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const post = (text: string, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } });
    try {
      const now = Math.floor(Date.now() / 1000);
      expect((await post(body, signed([secret], now))).status).toBe(204);
      expect(seen).toEqual(['evt_1']);
      const bad = await post(body, signed([generateWebhookSecret()], now));
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'no webhook signature matches' });
      const boom = body.replace('job_1', 'job_boom');
      expect((await post(boom, signed([secret], now, boom))).status).toBe(500);
      expect(seen).toEqual(['evt_1']);
    } finally {
      server.close();
    }
  });

  it('takes a body that express.raw() already read (req.body as a Buffer)', async () => {
    const secret = generateWebhookSecret();
    const seen: string[] = [];
    const handler = foleyWebhookHandler({ secret, onEvent: (e) => void seen.push(e.type) });
    // What express.raw() does before the handler runs: the stream is consumed into req.body.
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      Object.assign(req, { body: Buffer.concat(chunks) });
      await handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const headers = signed([secret], Math.floor(Date.now() / 1000));
      expect((await fetch(url, { method: 'POST', body, headers })).status).toBe(204);
      expect(seen).toEqual(['job.completed']);
    } finally {
      server.close();
    }
  });
});
