import { createHash, createPublicKey, verify } from 'node:crypto';
import type { FalClient } from '@fal-ai/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFault, ENDPOINT, type ReceivedCall, startReceiver, startTestEmulator } from '../test/support';
import type { RunningEmulator } from './server';

let emu: RunningEmulator;
let fal: FalClient;
let input: { video_url: string };

beforeAll(async () => {
  ({ emu, fal } = await startTestEmulator({ delayMs: 200, webhookRetryDelaysMs: [150, 150, 150] }));
  input = { video_url: `${emu.url}/_emulator/samples/sample.mp4` };
});
afterAll(() => emu.close());

type Jwks = { keys: Array<{ kty: string; crv: string; x: string; kid?: string }> };

/** What a receiving app does (docs/fal-protocol.md §10): try every JWKS key on the four-line message. */
function verifyFalWebhook(call: ReceivedCall, jwks: Jwks): boolean {
  const header = (name: string) => String(call.headers[name] ?? '');
  const message = [
    header('x-fal-webhook-request-id'),
    header('x-fal-webhook-user-id'),
    header('x-fal-webhook-timestamp'),
    createHash('sha256').update(call.body).digest('hex'),
  ].join('\n');
  const signature = Buffer.from(header('x-fal-webhook-signature'), 'hex');
  return jwks.keys.some((jwk) =>
    verify(null, Buffer.from(message), createPublicKey({ key: jwk, format: 'jwk' }), signature),
  );
}

describe('fal webhooks', () => {
  it('publishes the same Ed25519 JWKS on both hosts', async () => {
    const jwks = (await (await fetch(emu.jwksUrl)).json()) as Jwks;
    expect(jwks.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const alpha = await (await fetch(`${emu.url}/rest.alpha.fal.ai/.well-known/jwks.json`)).json();
    expect(alpha).toEqual(jwks);
  });

  it('delivers a signed OK webhook, retrying after the receiver fails once', async () => {
    const receiver = await startReceiver([500]);
    try {
      const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input, webhookUrl: receiver.url });
      expect(emu.requests().at(-1)?.webhook_url).toBe(receiver.url);
      const [first, second] = await receiver.waitFor(2);
      expect(first?.body).toBe(second?.body);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(100);

      const jwks = (await (await fetch(emu.jwksUrl)).json()) as Jwks;
      for (const call of [first!, second!]) {
        expect(call.headers['content-type']).toBe('application/json');
        expect(call.headers['x-fal-webhook-request-id']).toBe(requestId);
        expect(call.headers['x-fal-webhook-user-id']).toBe('emulator-user');
        expect(Math.abs(Number(call.headers['x-fal-webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(
          60,
        );
        expect(verifyFalWebhook(call, jwks)).toBe(true);
      }
      const tampered = { ...second!, body: second!.body.replace('OK', 'ERROR') };
      expect(verifyFalWebhook(tampered, jwks)).toBe(false);

      const body = JSON.parse(second!.body);
      expect(body).toMatchObject({ request_id: requestId, gateway_request_id: requestId, status: 'OK' });
      // Serialized as fal's Python does: sorted keys, ", " and ": ", "error": null. Re-serializing the
      // parsed body gives other bytes, which no longer verify.
      expect(second!.body.startsWith('{"error": null, "gateway_request_id": ')).toBe(true);
      expect(Object.keys(body)).toEqual(['error', 'gateway_request_id', 'payload', 'request_id', 'status']);
      expect(verifyFalWebhook({ ...second!, body: JSON.stringify(body) }, jwks)).toBe(false);
      const result = await fal.queue.result(ENDPOINT, { requestId });
      expect(body.payload).toEqual(result.data);
      await new Promise((r) => setTimeout(r, 400));
      expect(receiver.calls).toHaveLength(2); // a 2xx ends delivery
    } finally {
      await receiver.close();
    }
  });

  it('reports a failed run as ERROR with the error body as payload', async () => {
    const receiver = await startReceiver();
    try {
      await addFault(emu, { op: 'run', error: 'no sound today' });
      const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input, webhookUrl: receiver.url });
      const [call] = await receiver.waitFor(1);
      expect(JSON.parse(call!.body)).toEqual({
        request_id: requestId,
        gateway_request_id: requestId,
        status: 'ERROR',
        error: 'Invalid status code: 422',
        payload: {
          detail: [
            {
              loc: ['body'],
              msg: 'no sound today',
              type: 'model_error',
              url: 'https://docs.fal.ai/errors#model_error',
            },
          ],
        },
      });
    } finally {
      await receiver.close();
    }
  });

  it('gives up after the configured retries when the receiver keeps failing', async () => {
    const receiver = await startReceiver([503, 503, 503, 503, 503, 503]);
    try {
      await fal.queue.submit(ENDPOINT, { input, webhookUrl: receiver.url });
      await receiver.waitFor(4);
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.calls).toHaveLength(4); // first attempt + 3 retries
    } finally {
      await receiver.close();
    }
  });
});
