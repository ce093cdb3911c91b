import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  decodeWebhookSecret,
  generateWebhookSecret,
  InvalidWebhookSecretError,
  isWebhookSecret,
  signWebhook,
  verifyWebhook,
} from './signature';

// The Standard Webhooks reference vector (libraries' own tests).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    const headers = signWebhook({ ...VECTOR, secrets: [VECTOR.secret] });
    expect(headers).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.signature,
    });
  });

  it('is accepted by the standardwebhooks package', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({
      type: 'job.completed',
      timestamp: new Date().toISOString(),
      data: { id: 'x' },
    });
    const headers = signWebhook({ id: 'evt_1', timestamp: nowSeconds(), body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('signs with every secret during a rotation; a receiver with either one accepts', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"a":1}';
    const headers = signWebhook({
      id: 'evt_2',
      timestamp: nowSeconds(),
      body,
      secrets: [newSecret, oldSecret],
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ a: 1 });
      expect(verifyWebhook({ headers: { ...headers }, body, secrets: [secret] }).ok).toBe(true);
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it('refuses to sign without a secret, or with a malformed one', () => {
    expect(() => signWebhook({ id: 'e', timestamp: 1, body: '', secrets: [] })).toThrow(
      InvalidWebhookSecretError,
    );
    expect(() => signWebhook({ id: 'e', timestamp: 1, body: '', secrets: ['plain-secret'] })).toThrow(
      /whsec_/,
    );
  });
});

describe('verifyWebhook', () => {
  const secret = generateWebhookSecret();
  const body = '{"type":"job.failed"}';
  const now = 1_700_000_000;
  const headers = { ...signWebhook({ id: 'evt_3', timestamp: now, body, secrets: [secret] }) };

  it('accepts our own signature and a standardwebhooks-made one', () => {
    expect(verifyWebhook({ headers, body, secrets: [secret], now })).toEqual({
      ok: true,
      id: 'evt_3',
      timestamp: now,
    });
    const theirs = new Webhook(secret).sign('evt_9', new Date(now * 1000), body);
    const verdict = verifyWebhook({
      headers: { 'Webhook-Id': 'evt_9', 'Webhook-Timestamp': String(now), 'Webhook-Signature': theirs },
      body,
      secrets: [secret],
      now,
    });
    expect(verdict.ok).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and a changed id', () => {
    expect(verifyWebhook({ headers, body: `${body} `, secrets: [secret], now })).toMatchObject({
      ok: false,
      reason: 'no_match',
    });
    expect(verifyWebhook({ headers, body, secrets: [generateWebhookSecret()], now })).toMatchObject({
      reason: 'no_match',
    });
    expect(
      verifyWebhook({ headers: { ...headers, 'webhook-id': 'evt_4' }, body, secrets: [secret], now }),
    ).toMatchObject({ reason: 'no_match' });
  });

  it('enforces ±5 minutes around the injected clock', () => {
    expect(verifyWebhook({ headers, body, secrets: [secret], now: now + 300 }).ok).toBe(true);
    expect(verifyWebhook({ headers, body, secrets: [secret], now: now - 300 }).ok).toBe(true);
    expect(verifyWebhook({ headers, body, secrets: [secret], now: now + 301 })).toMatchObject({
      reason: 'stale_timestamp',
    });
    expect(verifyWebhook({ headers, body, secrets: [secret], now: now - 301 })).toMatchObject({
      reason: 'stale_timestamp',
    });
  });

  it('the standardwebhooks package rejects an old timestamp we signed', () => {
    const old = { ...signWebhook({ id: 'evt_5', timestamp: nowSeconds() - 600, body, secrets: [secret] }) };
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/);
  });

  it('rejects missing headers and non-numeric timestamps', () => {
    expect(verifyWebhook({ headers: {}, body, secrets: [secret], now })).toMatchObject({
      reason: 'missing_headers',
    });
    expect(
      verifyWebhook({ headers: { ...headers, 'webhook-timestamp': '17e8' }, body, secrets: [secret], now }),
    ).toMatchObject({ reason: 'invalid_timestamp' });
  });
});

describe('webhook secrets', () => {
  it('decodes whsec_ base64 of at least 16 bytes', () => {
    expect(decodeWebhookSecret(VECTOR.secret)).toHaveLength(24);
    expect(isWebhookSecret(generateWebhookSecret())).toBe(true);
    expect(isWebhookSecret('whsec_c2hvcnQ=')).toBe(false); // "short"
    expect(isWebhookSecret('whsec_not base64!')).toBe(false);
    expect(isWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(false);
  });
});
