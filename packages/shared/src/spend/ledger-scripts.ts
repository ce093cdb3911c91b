/**
 * The spend ledger's Lua. Every key arrives in KEYS (all under the deployment's hash-tagged prefix, so
 * one Cluster slot); none is built inside the script.
 *
 * Hashes: a tenant's day (`spent`, `reserved`, `jobs:<status>`, `batch:<id>:spent|jobs`) and month
 * (`spent`, `reserved`). Amounts are integer micro-dollars.
 */

/**
 * A reservation's two halves as Lua functions, so a script that does more in the same atomic step (the
 * API's intake, `apps/api/src/jobs/intake-script.ts`) runs exactly these. `spend_room`: whether
 * `amount` fits under `limit` (< 0: no budget) in the budget period's hash, with its spent and reserved
 * before; `spend_reserve`: writes the reservation into the day and month hashes.
 */
export const SPEND_LUA = `
local function spend_room(period_key, amount, limit)
  local spent = tonumber(redis.call('HGET', period_key, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', period_key, 'reserved') or '0')
  return limit < 0 or spent + reserved + amount <= limit, spent, reserved
end
local function spend_reserve(day, month, amount, count, batch, ttl)
  redis.call('HINCRBY', day, 'reserved', amount)
  redis.call('HINCRBY', day, 'jobs:queued', count)
  if batch ~= '' then redis.call('HINCRBY', day, 'batch:' .. batch .. ':jobs', count) end
  redis.call('HINCRBY', month, 'reserved', amount)
  redis.call('EXPIRE', day, ttl)
  redis.call('EXPIRE', month, ttl)
end
`;

/**
 * KEYS: day, month, budget period key (= day or month). ARGV: amount, count, limit (-1: none),
 * ttl seconds, batch id ('' for none), dry (1: check only).
 * Returns {accepted 0|1, spent, reserved} of the budget period before this reservation.
 */
export const RESERVE = `${SPEND_LUA}
local amount = tonumber(ARGV[1])
local fits, spent, reserved = spend_room(KEYS[3], amount, tonumber(ARGV[3]))
if not fits then return {0, spent, reserved} end
if ARGV[6] == '1' then return {1, spent, reserved} end
spend_reserve(KEYS[1], KEYS[2], amount, tonumber(ARGV[2]), ARGV[5], ARGV[4])
return {1, spent, reserved}`;

/**
 * Undoes a reservation whose jobs were never enqueued. KEYS: day, month. ARGV: amount, count, batch id.
 */
export const UNRESERVE = `
redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[1], 'jobs:queued', -tonumber(ARGV[2]))
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[1], 'batch:' .. ARGV[3] .. ':jobs', -tonumber(ARGV[2])) end
redis.call('HINCRBY', KEYS[2], 'reserved', -tonumber(ARGV[1]))
return 1`;

/**
 * Settles one finished job once. KEYS: day, month, the job's settled marker. ARGV: reserved, actual,
 * status, batch id, keep (1: the outcome is unknown, the reservation stays), ttl seconds.
 * Returns 1 when settled now, 0 when it was settled before.
 */
export const SETTLE = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[6]) then return 0 end
local reserved = tonumber(ARGV[1])
local actual = tonumber(ARGV[2])
redis.call('HINCRBY', KEYS[1], 'jobs:queued', -1)
redis.call('HINCRBY', KEYS[1], 'jobs:' .. ARGV[3], 1)
if ARGV[5] ~= '1' then
  redis.call('HINCRBY', KEYS[1], 'reserved', -reserved)
  redis.call('HINCRBY', KEYS[2], 'reserved', -reserved)
  redis.call('HINCRBY', KEYS[1], 'spent', actual)
  redis.call('HINCRBY', KEYS[2], 'spent', actual)
  if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[1], 'batch:' .. ARGV[4] .. ':spent', actual) end
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1`;
