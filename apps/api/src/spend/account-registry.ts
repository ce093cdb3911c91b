import { type AccountInfo, readAccounts } from '@foley/shared/dispatch/account-state';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';

/**
 * The fal accounts as the workers last wrote them (names and limits, never keys), re-read every
 * `refreshMs`. The API prices a tenant by its account, and an unmapped tenant runs on the first one, whose
 * name only the workers' `FAL_ACCOUNTS` knows.
 */
export interface AccountRegistry {
  /** Resolves after the first read (a failed read leaves the `default` account). */
  ready: Promise<void>;
  current(): readonly AccountInfo[];
  stop(): void;
}

export function createAccountRegistry(deps: {
  redis: Pick<RedisClient, 'get'>;
  keys: FoleyKeys;
  refreshMs?: number;
}): AccountRegistry {
  let accounts: readonly AccountInfo[] = [];
  const refresh = async () => {
    try {
      accounts = await readAccounts(deps.redis, deps.keys);
    } catch {
      // Redis unreachable: keep what was read last; requests fail on their own Redis calls anyway.
    }
  };
  const timer = setInterval(() => void refresh(), deps.refreshMs ?? 60_000);
  timer.unref();
  return { ready: refresh(), current: () => accounts, stop: () => clearInterval(timer) };
}
