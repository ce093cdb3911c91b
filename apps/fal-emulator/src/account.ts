import { z } from 'zod';
import { LIST_PRICE, lockedDetail } from './fal-contract';

/** `POST /_emulator/account`: any of the three, applied together; state persists until changed. */
export const accountPatchSchema = z
  .strictObject({
    locked: z.boolean().optional(),
    reason: z.string().min(1).max(500).optional(),
    concurrency: z.number().int().min(1).max(10_000).optional(),
    /** A custom price (USD per unit) the pricing API answers for this account. */
    unit_price: z.number().nonnegative().max(1000).optional(),
  })
  .refine((p) => Object.keys(p).length > 0, {
    message: 'give at least one of locked, reason, concurrency, unit_price',
  });
export type AccountPatch = z.infer<typeof accountPatchSchema>;

export interface AccountView {
  locked: boolean;
  reason: string | null;
  concurrency: number;
  unit_price: number;
}

/** The emulated fal account: lock state (exhausted balance, admin lock) and its concurrency limit. */
export interface Account {
  view(): AccountView;
  update(patch: AccountPatch): AccountView;
  /** fal's 403 detail for a billable call while locked; undefined when the account may be billed. */
  lockDetail(): string | undefined;
}

export function createAccount(opts: { concurrency: number; onConcurrency: (n: number) => void }): Account {
  let locked = false;
  let reason = 'Exhausted balance';
  let concurrency = opts.concurrency;
  let unitPrice: number = LIST_PRICE.unit_price;
  const view = (): AccountView => ({
    locked,
    reason: locked ? reason : null,
    concurrency,
    unit_price: unitPrice,
  });
  return {
    view,
    update(patch) {
      if (patch.reason !== undefined) reason = patch.reason;
      if (patch.locked !== undefined) locked = patch.locked;
      if (patch.unit_price !== undefined) unitPrice = patch.unit_price;
      if (patch.concurrency !== undefined && patch.concurrency !== concurrency) {
        concurrency = patch.concurrency;
        opts.onConcurrency(concurrency);
      }
      return view();
    },
    lockDetail: () => (locked ? lockedDetail(reason) : undefined),
  };
}
