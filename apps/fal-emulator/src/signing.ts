import { createHash, generateKeyPairSync, sign } from 'node:crypto';

/** fal's webhook signature (docs/fal-protocol.md §10): Ed25519 over these four lines, hex-encoded. */
export function signedMessage(
  requestId: string,
  userId: string,
  timestamp: string,
  body: Buffer | string,
): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${bodyHash}`, 'utf8');
}

export interface Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
}

export interface WebhookSigner {
  jwks: { keys: Jwk[] };
  sign(requestId: string, userId: string, timestamp: string, body: Buffer | string): string;
}

/** A fresh key pair per emulator start, published as a JWKS like fal's. */
export function createWebhookSigner(): WebhookSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' });
  if (!x) throw new Error('ed25519 public key has no x');
  const kid = createHash('sha256').update(x).digest('hex').slice(0, 16);
  return {
    jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid }] },
    sign: (requestId, userId, timestamp, body) =>
      sign(null, signedMessage(requestId, userId, timestamp, body), privateKey).toString('hex'),
  };
}
