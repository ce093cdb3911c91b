/**
 * The spend ledger's Lua. Every key arrives in KEYS (all under the deployment's hash-tagged prefix, so
 * one Cluster slot); none is built inside the script.
 *
 * Hashes: a tenant's day (`spent`, `reserved`, `jobs:<status>`, `batch:<id>:spent|jobs`) and month
 * (`spent`, `reserved`). Amounts are integer micro-dollars.
 */

/**
 * KEYS: day, month, budget period key (= day or month). ARGV: amount, count, limit (-1: none),
 * ttl seconds, batch id ('' for none), dry (1: check only).
 * Returns {accepted 0|1, spent, reserved} of the budget period before this reservation.
 */
export const RESERVE = `
local amount = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local spent = tonumber(redis.call('HGET', KEYS[3], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[3], 'reserved') or '0')
if limit >= 0 and spent + reserved + amount > limit then return {0, spent, reserved} end
if ARGV[6] == '1' then return {1, spent, reserved} end
redis.call('HINCRBY', KEYS[1], 'reserved', amount)
redis.call('HINCRBY', KEYS[1], 'jobs:queued', count)
if ARGV[5] ~= '' then redis.call('HINCRBY', KEYS[1], 'batch:' .. ARGV[5] .. ':jobs', count) end
redis.call('HINCRBY', KEYS[2], 'reserved', amount)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
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
