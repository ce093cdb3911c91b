import { ApiError } from '../errors';
import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';
import { redisScript } from '../infra/redis-script';
import type { JobStatus } from '../jobs/contract';
import { type Budget, dayOf, daysBetween, monthOf } from './budgets';
import { RESERVE, SETTLE, UNRESERVE } from './ledger-scripts';
import { CURRENCY, toUsd } from './money';

/** Day and month hashes outlive the longest usage query (a year) and the budget period. */
const LEDGER_TTL_SECONDS = 400 * 86_400;

export interface ReserveRequest {
  tenant: string;
  /** Videos reserved, each at `unitMicros`. */
  count: number;
  unitMicros: number;
  /** Acceptance time (ms): the job's `created_at`, which names the day and month it counts in. */
  at: number;
  batchId?: string | undefined;
  /** Checks the budget and writes nothing (dry runs). */
  dryRun?: boolean;
}

export interface BudgetState {
  budget: number;
  period: Budget['period'];
  spent: number;
  reserved: number;
  remaining: number;
  currency: typeof CURRENCY;
}

export interface SettleRequest {
  tenant: string;
  jobId: string;
  createdAt: string;
  batchId?: string | undefined;
  status: Extract<JobStatus, 'completed' | 'failed' | 'canceled'>;
  reservedMicros: number;
  actualMicros: number;
  /** The submit outcome is unknown: the reservation is kept, never released. */
  keepReserved: boolean;
}

/** What a tenant has spent (settled) today and this month, and holds reserved this month, USD. */
export interface PeriodSpend {
  today: number;
  month: number;
  reserved: number;
}

export interface UsageGroup {
  key: string;
  spent: number;
  jobs: number;
}

export interface Usage {
  from: string;
  to: string;
  spent: number;
  reserved: number;
  currency: typeof CURRENCY;
  jobs: Partial<Record<JobStatus, number>>;
  groups?: UsageGroup[];
}

/**
 * KEYS: day, month, budget period (= day or month). ARGV: amount, count, limit (-1: none), ttl seconds,
 * batch id ('' for none).
 */
export interface ReservationStep {
  keys: [day: string, month: string, period: string];
  args: [amount: number, count: number, limit: number, ttlSeconds: number, batchId: string];
  /** From `spend_room`'s answer (the period's spent and reserved before): the state after, or the 402. */
  outcome(accepted: boolean, spent: number, reserved: number): BudgetState | undefined;
}

/** The one owner of a tenant's spend in Redis: reservations at acceptance, settlement at the end. */
export interface SpendLedger {
  /** Reserves atomically against the tenant's budget; throws `402 budget_exceeded` whole or not at all. */
  reserve(req: ReserveRequest): Promise<BudgetState | undefined>;
  /**
   * The reservation as a step of a bigger script (`SPEND_LUA`'s `spend_room` then `spend_reserve`, in
   * the API's intake): its keys and arguments, and what the reply means (throws `402 budget_exceeded`).
   */
  reservation(req: ReserveRequest): ReservationStep;
  /** Gives back a reservation whose jobs were never enqueued (the add failed). */
  unreserve(req: ReserveRequest): Promise<void>;
  /** Settles a finished job once; true when this call settled it. */
  settle(req: SettleRequest): Promise<boolean>;
  usage(
    tenant: string,
    q: { from: string; to: string; groupBy?: 'day' | 'batch' | undefined },
  ): Promise<Usage>;
  /** The tenant's budget now (for metrics and the overview), undefined without a budget. */
  budgetState(tenant: string, at: number): Promise<BudgetState | undefined>;
  /** Spend of the UTC day and month holding `at`, in one round trip (the ops overview). */
  periodSpend(tenant: string, at: number): Promise<PeriodSpend>;
}

export function createSpendLedger(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  budgets: Map<string, Budget>;
}): SpendLedger {
  const { redis, keys } = deps;
  const run = (name: string, lua: string, numberOfKeys: number, args: Array<string | number>) =>
    redisScript(redis, name, lua, numberOfKeys)(...args);
  const periodKeys = (tenant: string, at: number) => {
    const day = keys.spendDay(tenant, dayOf(at));
    const month = keys.spendMonth(tenant, monthOf(at));
    return { day, month };
  };
  const state = (budget: Budget, spent: number, reserved: number): BudgetState => ({
    budget: toUsd(budget.limitMicros),
    period: budget.period,
    spent: toUsd(spent),
    reserved: toUsd(reserved),
    remaining: toUsd(Math.max(0, budget.limitMicros - spent - reserved)),
    currency: CURRENCY,
  });

  function reservation(req: ReserveRequest): ReservationStep {
    const budget = deps.budgets.get(req.tenant);
    const { day, month } = periodKeys(req.tenant, req.at);
    const amount = req.count * req.unitMicros;
    return {
      keys: [day, month, budget?.period === 'day' ? day : month],
      args: [amount, req.count, budget ? budget.limitMicros : -1, LEDGER_TTL_SECONDS, req.batchId ?? ''],
      outcome(accepted, spent, reserved) {
        if (!budget) return undefined;
        if (!accepted) {
          const before = state(budget, spent, reserved);
          throw new ApiError(
            'budget_exceeded',
            `this request would cost ${toUsd(amount)} USD but the ${budget.period === 'day' ? 'daily' : 'monthly'} budget of ${before.budget} USD has ${before.remaining} USD left; nothing was accepted`,
            { ...before, requested: toUsd(amount) },
          );
        }
        return state(budget, spent, req.dryRun ? reserved : reserved + amount);
      },
    };
  }

  return {
    async reserve(req) {
      const step = reservation(req);
      const [ok, spent, reserved] = (await run('foleySpendReserve', RESERVE, 3, [
        ...step.keys,
        ...step.args,
        req.dryRun ? 1 : 0,
      ])) as [number, number, number];
      return step.outcome(ok === 1, spent, reserved);
    },

    reservation,

    async unreserve(req) {
      const { day, month } = periodKeys(req.tenant, req.at);
      await run('foleySpendUnreserve', UNRESERVE, 2, [
        day,
        month,
        req.count * req.unitMicros,
        req.count,
        req.batchId ?? '',
      ]);
    },

    async settle(req) {
      const at = Date.parse(req.createdAt);
      const { day, month } = periodKeys(req.tenant, at);
      const done = await run('foleySpendSettle', SETTLE, 3, [
        day,
        month,
        keys.spendSettled(req.jobId),
        req.reservedMicros,
        req.actualMicros,
        req.status,
        req.batchId ?? '',
        req.keepReserved ? 1 : 0,
        LEDGER_TTL_SECONDS,
      ]);
      return done === 1;
    },

    async usage(tenant, q) {
      const days = daysBetween(q.from, q.to);
      const pipeline = redis.pipeline();
      for (const day of days) pipeline.hgetall(keys.spendDay(tenant, day));
      const replies = (await pipeline.exec()) ?? [];
      let spent = 0;
      let reserved = 0;
      const jobs: Partial<Record<JobStatus, number>> = {};
      const groups = new Map<string, { spent: number; jobs: number }>();
      for (const [i, [error, raw]] of replies.entries()) {
        if (error) throw error;
        const hash = raw as Record<string, string>;
        const daySpent = Number(hash.spent ?? 0);
        spent += daySpent;
        reserved += Number(hash.reserved ?? 0);
        let dayJobs = 0;
        for (const [field, value] of Object.entries(hash)) {
          const n = Number(value);
          if (field.startsWith('jobs:')) {
            const status = field.slice(5) as JobStatus;
            if (n !== 0) jobs[status] = (jobs[status] ?? 0) + n;
            if (status !== 'queued') dayJobs += n;
          } else if (q.groupBy === 'batch' && field.startsWith('batch:')) {
            const [, id, what] = field.split(':') as [string, string, 'spent' | 'jobs'];
            const group = groups.get(id) ?? { spent: 0, jobs: 0 };
            group[what] += n;
            groups.set(id, group);
          }
        }
        if (q.groupBy === 'day' && Object.keys(hash).length > 0) {
          groups.set(days[i] as string, {
            spent: daySpent,
            jobs: dayJobs + Number(hash['jobs:queued'] ?? 0),
          });
        }
      }
      const usage: Usage = {
        from: q.from,
        to: q.to,
        spent: toUsd(spent),
        reserved: toUsd(reserved),
        currency: CURRENCY,
        jobs,
      };
      if (q.groupBy) {
        usage.groups = [...groups.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, g]) => ({ key, spent: toUsd(g.spent), jobs: g.jobs }));
      }
      return usage;
    },

    async budgetState(tenant, at) {
      const budget = deps.budgets.get(tenant);
      if (!budget) return undefined;
      const { day, month } = periodKeys(tenant, at);
      const [spent, reserved] = await redis.hmget(budget.period === 'day' ? day : month, 'spent', 'reserved');
      return state(budget, Number(spent ?? 0), Number(reserved ?? 0));
    },

    async periodSpend(tenant, at) {
      const { day, month } = periodKeys(tenant, at);
      const replies =
        (await redis.pipeline().hget(day, 'spent').hmget(month, 'spent', 'reserved').exec()) ?? [];
      for (const [error] of replies) if (error) throw error;
      const today = replies[0]?.[1] as string | null;
      const [spent, reserved] = (replies[1]?.[1] ?? []) as Array<string | null>;
      return {
        today: toUsd(Number(today ?? 0)),
        month: toUsd(Number(spent ?? 0)),
        reserved: toUsd(Number(reserved ?? 0)),
      };
    },
  };
}
