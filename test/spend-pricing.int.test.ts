import { createServer } from 'node:net';
import { startEmulator } from '@foley/fal-emulator/server';
import { MODEL_ENDPOINT } from '@foley/shared/jobs/model';
import {
  createPriceList,
  fetchFalUnitPrice,
  PricingError,
  startPricingRefresh,
} from '@foley/shared/spend/price';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// fal's pricing API (docs/fal-protocol.md §13) through FAL_BASE_URL's addressing rule, against the
// emulator: https://api.fal.ai/v1/models/pricing → FAL_BASE_URL/api.fal.ai/v1/models/pricing.
let emulator: Awaited<ReturnType<typeof startEmulator>>;
const ADMIN_KEY = 'admin-key-for-tests';

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, falKey: ADMIN_KEY });
});
afterAll(async () => emulator?.close());

const setPrice = (unit_price: number) =>
  fetch(`${emulator.url}/_emulator/account`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ unit_price }),
  });

/** A loopback port nothing listens on: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("fal's pricing API", () => {
  it('reads the list price in micro-dollars, then an account price when fal has one', async () => {
    const read = () =>
      fetchFalUnitPrice({ adminKey: ADMIN_KEY, endpointId: MODEL_ENDPOINT, baseUrl: emulator.url });
    expect(await read()).toBe(35_000);
    await setPrice(0.0275);
    try {
      expect(await read()).toBe(27_500);
    } finally {
      await setPrice(0.035);
    }
  });

  it('names the failure: a wrong admin key (401), an unknown endpoint (404)', async () => {
    await expect(
      fetchFalUnitPrice({ adminKey: 'wrong', endpointId: MODEL_ENDPOINT, baseUrl: emulator.url }),
    ).rejects.toMatchObject({ name: 'PricingError', status: 401 });
    await expect(
      fetchFalUnitPrice({ adminKey: ADMIN_KEY, endpointId: 'fal-ai/none', baseUrl: emulator.url }),
    ).rejects.toBeInstanceOf(PricingError);
  });

  it('start-up refresh takes fal’s price; a failing API falls back to the configured price', async () => {
    await setPrice(0.03);
    const prices = createPriceList({ defaultMicros: 35_000, perAccount: new Map([['enterprise', 20_000]]) });
    const ok = startPricingRefresh({
      prices,
      configuredMicros: 35_000,
      read: () =>
        fetchFalUnitPrice({ adminKey: ADMIN_KEY, endpointId: MODEL_ENDPOINT, baseUrl: emulator.url }),
      onError: () => {},
    });
    await ok.ready;
    ok.stop();
    await setPrice(0.035);
    expect(prices.priceFor()).toBe(30_000);
    expect(prices.source()).toBe('fal_api');
    expect(prices.priceFor('enterprise')).toBe(20_000); // an account's own price wins

    const errors: unknown[] = [];
    const down = `http://127.0.0.1:${await closedPort()}`;
    const failing = startPricingRefresh({
      prices,
      configuredMicros: 35_000,
      read: () => fetchFalUnitPrice({ adminKey: ADMIN_KEY, endpointId: MODEL_ENDPOINT, baseUrl: down }),
      onError: (e) => errors.push(e),
    });
    await failing.ready;
    failing.stop();
    expect(errors).toHaveLength(1);
    expect(prices.priceFor()).toBe(35_000);
    expect(prices.source()).toBe('config');
  });
});
