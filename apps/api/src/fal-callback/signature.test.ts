import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { falSignedMessage, parseFalJwks, verifyFalWebhook } from './signature';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x: x as string, kid: 'k1' } };
}

function signed(
  privateKey: KeyObject,
  body: string,
  timestamp: number,
  requestId = 'req-1',
  userId = 'user-1',
) {
  const ts = String(timestamp);
  const signature = sign(null, falSignedMessage(requestId, userId, ts, body), privateKey).toString('hex');
  return {
    'x-fal-webhook-request-id': requestId,
    'x-fal-webhook-user-id': userId,
    'x-fal-webhook-timestamp': ts,
    'x-fal-webhook-signature': signature,
  };
}

describe('verifyFalWebhook', () => {
  const fal = keyPair();
  const keys = parseFalJwks({ keys: [fal.jwk] });
  const body = JSON.stringify({ request_id: 'req-1', status: 'OK', payload: { video: { url: 'x' } } });
  const now = 1_700_000_000;

  it('accepts a body signed by a key of the JWKS', () => {
    const verdict = verifyFalWebhook({ headers: signed(fal.privateKey, body, now), body, keys, now });
    expect(verdict).toEqual({ ok: true, requestId: 'req-1', userId: 'user-1', timestamp: now });
  });

  it('signs the documented message: the four lines with the hex sha256 of the body', () => {
    const message = falSignedMessage('r', 'u', '12', 'abc').toString('utf8');
    expect(message).toBe('r\nu\n12\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('accepts mixed-case header names and Buffer bodies', () => {
    const headers = Object.fromEntries(
      Object.entries(signed(fal.privateKey, body, now)).map(([k, v]) => [k.replace(/(^|-)x/g, '$1X'), v]),
    );
    expect(verifyFalWebhook({ headers, body: Buffer.from(body), keys, now }).ok).toBe(true);
  });

  it('rejects a tampered body, another request id, another key and a garbled signature', () => {
    const headers = signed(fal.privateKey, body, now);
    const bad = (h: Record<string, string>, b = body, k = keys) =>
      verifyFalWebhook({ headers: h, body: b, keys: k, now });
    expect(bad(headers, `${body} `)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(bad({ ...headers, 'x-fal-webhook-request-id': 'req-2' })).toMatchObject({
      reason: 'bad_signature',
    });
    expect(bad({ ...headers, 'x-fal-webhook-user-id': 'someone' })).toMatchObject({
      reason: 'bad_signature',
    });
    expect(bad(headers, body, parseFalJwks({ keys: [keyPair().jwk] }))).toMatchObject({
      reason: 'bad_signature',
    });
    expect(bad(headers, body, [])).toMatchObject({ reason: 'bad_signature' });
    expect(bad({ ...headers, 'x-fal-webhook-signature': 'zz' })).toMatchObject({ reason: 'bad_signature' });
  });

  it('tries every key of the JWKS (rotation)', () => {
    const other = keyPair();
    const both = parseFalJwks({ keys: [other.jwk, fal.jwk] });
    expect(verifyFalWebhook({ headers: signed(fal.privateKey, body, now), body, keys: both, now }).ok).toBe(
      true,
    );
  });

  it('rejects timestamps more than 300 s away and missing headers', () => {
    const headers = signed(fal.privateKey, body, now);
    expect(verifyFalWebhook({ headers, body, keys, now: now + 300 }).ok).toBe(true);
    expect(verifyFalWebhook({ headers, body, keys, now: now + 301 })).toMatchObject({
      reason: 'stale_timestamp',
    });
    expect(verifyFalWebhook({ headers, body, keys, now: now - 301 })).toMatchObject({
      reason: 'stale_timestamp',
    });
    const { 'x-fal-webhook-signature': _, ...unsigned } = headers;
    expect(verifyFalWebhook({ headers: unsigned, body, keys, now })).toMatchObject({
      reason: 'missing_headers',
    });
  });
});

describe('parseFalJwks', () => {
  it('keeps Ed25519 keys and skips other or malformed entries', () => {
    const good = keyPair().jwk;
    const keys = parseFalJwks({
      keys: [good, { kty: 'RSA', n: 'x', e: 'AQAB' }, { kty: 'OKP', crv: 'Ed25519', x: '!!' }, null],
    });
    expect(keys).toHaveLength(1);
    expect(keys[0]?.asymmetricKeyType).toBe('ed25519');
    expect(parseFalJwks('nope')).toEqual([]);
  });
});
