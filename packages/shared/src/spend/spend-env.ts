import { z } from 'zod';
import { tenantBudgets } from './budgets';
import { toMicros, usdAmount } from './money';
import { accountPrices } from './price';

/** Price and budget variables (README.md, Spend control). The API reserves; the worker reports. */
export const spendEnv = {
  /** fal's list price for one video of this model, USD (fal's pricing API replaces it when readable). */
  // zod's default is the parsed value: micro-dollars.
  FAL_PRICE_PER_VIDEO: usdAmount.default(toMicros(0.035)),
  /** `account:price` pairs, USD: fal accounts with a custom price (issue-13's accounts; `default`). */
  FAL_ACCOUNT_PRICES: accountPrices.default(new Map()),
  /** fal admin key: when set, the unit price is read from fal's pricing API at start and daily. */
  FAL_ADMIN_KEY: z.string().min(1).optional(),
  /** `tenant:500/month,tenant:50/day` (USD per UTC calendar period). */
  TENANT_BUDGETS: tenantBudgets.default(new Map()),
};
