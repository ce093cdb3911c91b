import {
  ACCOUNT_STATE_VALUE,
  accountOf,
  readAccountState,
  writeAccounts,
} from '@foley/shared/dispatch/account-state';
import type { TenantValues } from '@foley/shared/dispatch/tenant-values';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { Logger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import { QUEUES } from '@foley/shared/queues/catalog';
import { Job, type Queue } from 'bullmq';
import type { FalAccountConfig } from '../config';
import type { FalGateway } from './fal';
import { createFalDispatch, type FalDispatch } from './fal-dispatch';

export interface FalAccounts {
  dispatchers: FalDispatch[];
  /** Writes the account registry again (it expires: ACCOUNTS_TTL_SECONDS); the worker calls it every ACCOUNTS_REFRESH_MS. */
  register(): Promise<void>;
  /** The gateway and slots of the account serving `tenant`. */
  route(tenant: string): { fal: FalGateway; slots: FalDispatch };
  /** For the `foley_fal_account_state` gauge. */
  readStates(): Promise<Array<{ account: string; state: number; slots: number }>>;
}

/** One gateway and one dispatcher per configured fal account; registers the accounts (names only) for the API. */
export async function createFalAccounts(opts: {
  accounts: FalAccountConfig[];
  config: {
    TENANT_FAL_ACCOUNTS: TenantValues<string>;
    TENANT_WEIGHTS: TenantValues<number>;
    TENANT_MAX_RUNNING: TenantValues<number>;
  };
  redis: RedisClient;
  keys: FoleyKeys;
  queue: Queue;
  gateway: (account: FalAccountConfig) => FalGateway;
  logger: Logger;
}): Promise<FalAccounts> {
  const { config, redis, keys, logger } = opts;
  const mapped = Object.entries(config.TENANT_FAL_ACCOUNTS.byTenant);
  const promote = async (id: string) => {
    // A handle, not a read: promoting needs only the id, and Job.fromId would fetch and parse the whole
    // job hash first. Only a refused promote asks whether the job still exists.
    const handle = new Job(opts.queue, QUEUES.dubbing.jobs.dub, {}, {}, id);
    try {
      await handle.promote();
      return 'promoted' as const;
    } catch {
      const exists = await redis.exists(opts.queue.toKey(id));
      // Not in `delayed` (running, or already promoted): it finds its slot when it asks.
      return exists === 1 ? ('busy' as const) : ('missing' as const);
    }
  };
  const byName = new Map(
    opts.accounts.map((account, i) => {
      const dispatch = createFalDispatch({
        redis,
        keys,
        account: account.name,
        concurrency: account.concurrency,
        // The first account serves every tenant not mapped to another; the others only their own.
        tenants:
          i === 0
            ? { mode: 'out', list: mapped.filter(([, a]) => a !== account.name).map(([t]) => t) }
            : { mode: 'in', list: mapped.filter(([, a]) => a === account.name).map(([t]) => t) },
        weights: config.TENANT_WEIGHTS,
        maxRunning: config.TENANT_MAX_RUNNING,
        promote,
        onStateChange: (name, state, reason) =>
          logger.warn({ account: name, state, reason }, `fal account ${name} is now ${state}`),
        onError: (err) => logger.warn({ err, account: account.name }, 'dispatch promote failed'),
      });
      return [account.name, { dispatch, fal: opts.gateway(account) }] as const;
    }),
  );
  const register = () =>
    writeAccounts(
      redis,
      keys,
      opts.accounts.map((a) => ({ name: a.name, concurrency: a.concurrency })),
    );
  await register();
  const dispatchers = [...byName.values()].map((a) => a.dispatch);
  return {
    dispatchers,
    register,
    route(tenant) {
      const entry = byName.get(accountOf(tenant, config.TENANT_FAL_ACCOUNTS, opts.accounts)) as {
        dispatch: FalDispatch;
        fal: FalGateway;
      };
      return { fal: entry.fal, slots: entry.dispatch };
    },
    readStates: () =>
      Promise.all(
        dispatchers.map(async (d) => ({
          account: d.account,
          state: ACCOUNT_STATE_VALUE[(await readAccountState(redis, keys, d.account)).state],
          slots: await d.count(),
        })),
      ),
  };
}
