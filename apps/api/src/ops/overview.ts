import { accountOf, readAccountState, readAccounts } from '@foley/shared/dispatch/account-state';
import type { ReadyList } from '@foley/shared/dispatch/ready-entry';
import { type TenantValues, tenantValue } from '@foley/shared/dispatch/tenant-values';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import type { BudgetState, SpendLedger } from '@foley/shared/spend/ledger';

/** What the /admin overview shows: every fal account and every tenant, read from Redis per request. */
export interface Overview {
  accounts: Array<{
    name: string;
    state: string;
    reason?: string | undefined;
    since?: string | undefined;
    slotsInUse: number;
    concurrency: number;
  }>;
  tenants: Array<{
    name: string;
    account: string;
    queued: number;
    running: number;
    finishedToday: number;
    /** Share of its account's dispatches it gets now (weight among tenants with work waiting); 0 when idle. */
    share: number;
    /** USD settled for jobs accepted this UTC day / month, and reserved this month for jobs still open. */
    spentToday: number;
    spentThisMonth: number;
    reservedThisMonth: number;
    budget?: Pick<BudgetState, 'budget' | 'period' | 'remaining'> | undefined;
  }>;
}

export function createOverview(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  ready: Pick<ReadyList, 'finishedToday'>;
  tenants: string[];
  mapping: { byTenant: Record<string, string> };
  weights: TenantValues<number>;
  spend: Pick<SpendLedger, 'periodSpend' | 'budgetState'>;
  now?: () => number;
}): () => Promise<Overview> {
  const { redis, keys } = deps;
  const clock = deps.now ?? Date.now;
  return async () => {
    const accounts = await readAccounts(redis, keys);
    const now = clock();
    const perAccount = await Promise.all(
      accounts.map(async (a) => {
        const [state, slotsInUse, owners] = await Promise.all([
          readAccountState(redis, keys, a.name),
          redis.zcount(keys.falSlots(a.name), now, '+inf'),
          redis.hvals(keys.falSlotOwners(a.name)),
        ]);
        return { info: a, state, slotsInUse, owners };
      }),
    );
    const running = new Map<string, number>();
    for (const a of perAccount) for (const t of a.owners) running.set(t, (running.get(t) ?? 0) + 1);
    const rows = await Promise.all(
      deps.tenants.map(async (name) => {
        const [queued, finishedToday, spend, budget] = await Promise.all([
          redis.zlexcount(keys.dispatchReady(), `[${name}|`, `(${name}}`),
          deps.ready.finishedToday(name),
          deps.spend.periodSpend(name, now),
          deps.spend.budgetState(name, now),
        ]);
        return {
          name,
          account: accountOf(name, deps.mapping, accounts),
          queued,
          finishedToday,
          spentToday: spend.today,
          spentThisMonth: spend.month,
          reservedThisMonth: spend.reserved,
          budget: budget && { budget: budget.budget, period: budget.period, remaining: budget.remaining },
        };
      }),
    );
    const weight = (t: string) => tenantValue(deps.weights, t) ?? 1;
    const waitingWeight = new Map<string, number>();
    for (const r of rows)
      if (r.queued > 0) waitingWeight.set(r.account, (waitingWeight.get(r.account) ?? 0) + weight(r.name));
    return {
      accounts: perAccount.map((a) => ({
        name: a.info.name,
        state: a.state.state,
        reason: a.state.reason,
        since: a.state.since,
        slotsInUse: a.slotsInUse,
        concurrency: a.info.concurrency,
      })),
      tenants: rows.map((r) => ({
        ...r,
        running: running.get(r.name) ?? 0,
        share: r.queued > 0 ? weight(r.name) / (waitingWeight.get(r.account) as number) : 0,
      })),
    };
  };
}
