import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createWebhookSigner, signedMessage } from './signing';

describe('webhook signing', () => {
  it('signs request id, user id, timestamp and the body hash, one per line', () => {
    const body = '{"a":1}';
    const hash = createHash('sha256').update(body).digest('hex');
    expect(signedMessage('req', 'user', '1700000000', body).toString()).toBe(
      `req\nuser\n1700000000\n${hash}`,
    );
  });

  it('produces a hex Ed25519 signature that the published JWK verifies', () => {
    const signer = createWebhookSigner();
    const [jwk] = signer.jwks.keys;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: expect.any(String) });
    const signature = signer.sign('req', 'user', '1700000000', 'body');
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk!.x }, format: 'jwk' });
    const message = signedMessage('req', 'user', '1700000000', 'body');
    expect(verify(null, message, key, Buffer.from(signature, 'hex'))).toBe(true);
    expect(
      verify(null, signedMessage('req', 'user', '1700000001', 'body'), key, Buffer.from(signature, 'hex')),
    ).toBe(false);
    expect(createWebhookSigner().jwks.keys[0]?.x).not.toBe(jwk!.x);
  });
});
