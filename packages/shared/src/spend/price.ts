import { z } from 'zod';
import { rewriteFalUrl } from '../fal/client';
import { toMicros } from './money';

/** fal accounts without a price of their own pay this one (issue-13's default account). */
export const DEFAULT_ACCOUNT = 'default';

/** The unit price (micro-dollars per video) Foley reserves and charges a job at. */
export interface PriceList {
  priceFor(account?: string): number;
  /** Where the default price came from: fal's pricing API, or configuration. */
  source(): 'fal_api' | 'config';
  /** Replaces the default price (fal's pricing API answered); per-account overrides stay. */
  setDefault(micros: number, source: 'fal_api' | 'config'): void;
}

export function createPriceList(opts: {
  defaultMicros: number;
  perAccount?: Map<string, number>;
}): PriceList {
  let current = opts.defaultMicros;
  let from: 'fal_api' | 'config' = 'config';
  return {
    priceFor: (account = DEFAULT_ACCOUNT) => opts.perAccount?.get(account) ?? current,
    source: () => from,
    setDefault(micros, source) {
      current = micros;
      from = source;
    },
  };
}

/** `FAL_ACCOUNT_PRICES`: `default:0.035,enterprise:0.03` (USD per video) → micro-dollars per account. */
export const accountPrices = z.string().transform((text, ctx) => {
  const prices = new Map<string, number>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^:\s]+):(\d+(?:\.\d{1,6})?)$/.exec(part);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `"${part}" must look like account:0.035` });
      return z.NEVER;
    }
    prices.set(match[1] as string, toMicros(Number(match[2])));
  }
  return prices;
});

export const PRICING_URL = 'https://api.fal.ai/v1/models/pricing';

const pricingSchema = z.object({
  prices: z
    .array(
      z.object({
        endpoint_id: z.string(),
        unit_price: z.number().nonnegative(),
        unit: z.string(),
        currency: z.string(),
      }),
    )
    .min(1),
});

export class PricingError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PricingError';
  }
}

/** Reads an endpoint's unit price from fal's platform API (docs/fal-protocol.md §13), in micro-dollars. */
export async function fetchFalUnitPrice(opts: {
  adminKey: string;
  endpointId: string;
  baseUrl?: string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): Promise<number> {
  const url = `${PRICING_URL}?endpoint_id=${encodeURIComponent(opts.endpointId)}`;
  const target = opts.baseUrl ? rewriteFalUrl(url, opts.baseUrl) : url;
  const response = await (opts.fetch ?? fetch)(target, {
    headers: { authorization: `Key ${opts.adminKey}`, accept: 'application/json' },
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  if (!response.ok) throw new PricingError(`fal's pricing API answered ${response.status}`, response.status);
  const parsed = pricingSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success)
    throw new PricingError(`fal's pricing API answered an unexpected body: ${parsed.error.message}`);
  const entry = parsed.data.prices.find((p) => p.endpoint_id === opts.endpointId);
  if (!entry) throw new PricingError(`fal's pricing API named no price for ${opts.endpointId}`);
  if (entry.currency !== 'USD') throw new PricingError(`fal's price is in ${entry.currency}, not USD`);
  return toMicros(entry.unit_price);
}

export const PRICING_REFRESH_MS = 24 * 3600_000;

/**
 * Reads fal's price now and then daily; each failure keeps the configured price (logged, never
 * thrown). Returns a stop function for shutdown.
 */
export function startPricingRefresh(opts: {
  prices: PriceList;
  configuredMicros: number;
  read: () => Promise<number>;
  onError: (error: unknown) => void;
  everyMs?: number;
}): { ready: Promise<void>; stop: () => void } {
  const refresh = async () => {
    try {
      opts.prices.setDefault(await opts.read(), 'fal_api');
    } catch (error) {
      opts.prices.setDefault(opts.configuredMicros, 'config');
      opts.onError(error);
    }
  };
  const ready = refresh();
  const timer = setInterval(() => void refresh(), opts.everyMs ?? PRICING_REFRESH_MS);
  timer.unref();
  return { ready, stop: () => clearInterval(timer) };
}
