import type { FoleyKeys } from '../infra/keys';
import type { RedisClient } from '../infra/redis';

/**
 * A fal account's dispatch state, owned here (the worker's dispatcher writes the hash in Lua with these
 * field names; the API, the gauge and /admin read it through this module).
 * - `active`: dispatch up to the account's concurrency.
 * - `slowed`: fal answered 429; one dispatch per interval, honouring Retry-After, until `until`.
 * - `paused`: fal refused the account (403 "User is locked", or a 401 on a key that worked); nothing is
 *   dispatched but one probe job at growing intervals (5 s … 5 min); a submit that works resumes it.
 */
export const ACCOUNT_STATES = ['active', 'slowed', 'paused'] as const;
export type AccountStateName = (typeof ACCOUNT_STATES)[number];

/** Gauge values of `foley_fal_account_state`. */
export const ACCOUNT_STATE_VALUE: Record<AccountStateName, number> = { active: 0, slowed: 1, paused: 2 };

export type AccountRefusalReason = 'fal_account_locked' | 'fal_unauthorized' | 'fal_rate_limited';

export interface AccountState {
  account: string;
  state: AccountStateName;
  reason?: string;
  /** ISO time the state began. */
  since?: string;
}

export async function readAccountState(
  redis: Pick<RedisClient, 'hmget'>,
  keys: Pick<FoleyKeys, 'falAccountState'>,
  account: string,
): Promise<AccountState> {
  const [state, reason, since] = await redis.hmget(keys.falAccountState(account), 'state', 'reason', 'since');
  const name = (ACCOUNT_STATES as readonly string[]).includes(state ?? '')
    ? (state as AccountStateName)
    : 'active';
  return {
    account,
    state: name,
    ...(name !== 'active' && reason ? { reason } : {}),
    ...(since && Number(since) > 0 ? { since: new Date(Number(since)).toISOString() } : {}),
  };
}

export interface AccountInfo {
  name: string;
  concurrency: number;
}

/**
 * The registry lapses a day after the last worker wrote it: every worker writes it at start and again
 * every `ACCOUNTS_REFRESH_MS`, so it lives as long as the deployment runs and no longer.
 */
export const ACCOUNTS_TTL_SECONDS = 24 * 3600;
export const ACCOUNTS_REFRESH_MS = 3600_000;

/** The worker's accounts (names and limits, never keys), for the API's status and overview. */
export async function writeAccounts(
  redis: Pick<RedisClient, 'set'>,
  keys: FoleyKeys,
  accounts: AccountInfo[],
) {
  await redis.set(keys.dispatchAccounts(), JSON.stringify(accounts), 'EX', ACCOUNTS_TTL_SECONDS);
}

export async function readAccounts(redis: Pick<RedisClient, 'get'>, keys: FoleyKeys): Promise<AccountInfo[]> {
  try {
    const parsed = JSON.parse((await redis.get(keys.dispatchAccounts())) ?? '[]') as AccountInfo[];
    return Array.isArray(parsed) && parsed.length > 0 ? parsed : [{ name: 'default', concurrency: 0 }];
  } catch {
    return [{ name: 'default', concurrency: 0 }];
  }
}

/** The account that serves `tenant`: its mapping, else the first account. */
export function accountOf(
  tenant: string,
  mapping: { byTenant: Record<string, string> },
  accounts: ReadonlyArray<{ name: string }>,
): string {
  return Object.hasOwn(mapping.byTenant, tenant)
    ? (mapping.byTenant[tenant] as string)
    : (accounts[0]?.name ?? 'default');
}
