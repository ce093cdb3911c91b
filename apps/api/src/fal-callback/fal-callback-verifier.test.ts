import { createWebhookSigner, type WebhookSigner } from '@foley/fal-emulator/signing';
import { describe, expect, it } from 'vitest';
import { createFalWebhookVerifier, FalJwksUnavailableError, falJwksUrl } from './fal-callback-verifier';

const BODY = Buffer.from(JSON.stringify({ request_id: 'req-1', status: 'OK', payload: {} }));

function headersBy(signer: WebhookSigner, timestampMs: number, body: Buffer = BODY) {
  const ts = String(Math.floor(timestampMs / 1000));
  return {
    'x-fal-webhook-request-id': 'req-1',
    'x-fal-webhook-user-id': 'user-1',
    'x-fal-webhook-timestamp': ts,
    'x-fal-webhook-signature': signer.sign('req-1', 'user-1', ts, body),
  };
}

/** A JWKS endpoint as a fetch function: no network; counts calls; can fail. */
function fakeJwks(initial: WebhookSigner) {
  const state = { signer: initial, calls: 0, down: false };
  const fetch = (async () => {
    state.calls++;
    if (state.down) throw new TypeError('fetch failed');
    return new Response(JSON.stringify(state.signer.jwks), {
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof globalThis.fetch;
  return { state, fetch };
}

describe('createFalWebhookVerifier', () => {
  it('fetches the JWKS once and verifies from the cache', async () => {
    const fal = createWebhookSigner();
    const jwks = fakeJwks(fal);
    const clock = { now: Date.now() };
    const verifier = createFalWebhookVerifier({
      jwksUrl: 'https://x/jwks',
      fetch: jwks.fetch,
      now: () => clock.now,
    });
    for (let i = 0; i < 3; i++) {
      expect(await verifier.verify({ headers: headersBy(fal, clock.now), body: BODY })).toMatchObject({
        ok: true,
        requestId: 'req-1',
      });
    }
    expect(jwks.state.calls).toBe(1);
  });

  it('refetches on an unknown key at most once per 30 s (fal rotated its key)', async () => {
    const oldKey = createWebhookSigner();
    const newKey = createWebhookSigner();
    const jwks = fakeJwks(oldKey);
    const clock = { now: Date.now() };
    const verifier = createFalWebhookVerifier({
      jwksUrl: 'https://x/jwks',
      fetch: jwks.fetch,
      now: () => clock.now,
    });
    expect((await verifier.verify({ headers: headersBy(oldKey, clock.now), body: BODY })).ok).toBe(true);

    jwks.state.signer = newKey;
    clock.now += 10_000;
    // Within 30 s of the last fetch: no refetch, so forged traffic cannot make us hammer fal.
    expect(await verifier.verify({ headers: headersBy(newKey, clock.now), body: BODY })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(jwks.state.calls).toBe(1);

    clock.now += 21_000;
    expect((await verifier.verify({ headers: headersBy(newKey, clock.now), body: BODY })).ok).toBe(true);
    expect(jwks.state.calls).toBe(2);
  });

  it('rejects a forged signature and a tampered body', async () => {
    const fal = createWebhookSigner();
    const jwks = fakeJwks(fal);
    const verifier = createFalWebhookVerifier({ jwksUrl: 'https://x/jwks', fetch: jwks.fetch });
    const forged = headersBy(createWebhookSigner(), Date.now());
    expect(await verifier.verify({ headers: forged, body: BODY })).toMatchObject({ reason: 'bad_signature' });
    const tampered = Buffer.from(`${BODY.toString()} `);
    expect(await verifier.verify({ headers: headersBy(fal, Date.now()), body: tampered })).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('checks headers and timestamp before fetching anything', async () => {
    const fal = createWebhookSigner();
    const jwks = fakeJwks(fal);
    const verifier = createFalWebhookVerifier({ jwksUrl: 'https://x/jwks', fetch: jwks.fetch });
    const stale = headersBy(fal, Date.now() - 301_000);
    expect(await verifier.verify({ headers: stale, body: BODY })).toMatchObject({
      reason: 'stale_timestamp',
    });
    expect(await verifier.verify({ headers: {}, body: BODY })).toMatchObject({ reason: 'missing_headers' });
    expect(jwks.state.calls).toBe(0);
  });

  it('without keys and with the JWKS down: unavailable, retried at most every 30 s', async () => {
    const fal = createWebhookSigner();
    const jwks = fakeJwks(fal);
    jwks.state.down = true;
    const clock = { now: Date.now() };
    const verifier = createFalWebhookVerifier({
      jwksUrl: 'https://x/jwks',
      fetch: jwks.fetch,
      now: () => clock.now,
    });
    const verify = () => verifier.verify({ headers: headersBy(fal, clock.now), body: BODY });
    await expect(verify()).rejects.toBeInstanceOf(FalJwksUnavailableError);
    await expect(verify()).rejects.toBeInstanceOf(FalJwksUnavailableError);
    expect(jwks.state.calls).toBe(1);
    jwks.state.down = false;
    clock.now += 30_000;
    expect((await verify()).ok).toBe(true);
    expect(jwks.state.calls).toBe(2);
  });
});

describe('falJwksUrl', () => {
  it('routes the JWKS through FAL_BASE_URL like every fal host', () => {
    const FAL_JWKS_URL = 'https://rest.fal.ai/.well-known/jwks.json';
    expect(falJwksUrl({ FAL_JWKS_URL })).toBe(FAL_JWKS_URL);
    expect(falJwksUrl({ FAL_JWKS_URL, FAL_BASE_URL: 'http://127.0.0.1:3100/' })).toBe(
      'http://127.0.0.1:3100/rest.fal.ai/.well-known/jwks.json',
    );
  });
});
