import { JOB_RETENTION } from '@foley/shared/queues/catalog';

/**
 * The dispatcher's Lua, one atomic step per call. Every key arrives in KEYS (Cluster-safe: all share the
 * deployment's prefix, so one hash tag in QUEUE_PREFIX puts them in one slot); nothing is computed here.
 *
 * KEYS: 1 ready list, 2 tenant ring, 3 account slots, 4 slot owners, 5 granted, 6 account state.
 * ARGV: 1 now (ms), 2 slot lease (ms), 3 account concurrency, 4 most grants per call,
 *       5 membership mode (`in`: only the listed tenants; `out`: all but the listed), 6 tenants `a,b`,
 *       7 weights `a=2,*=1`, 8 running caps `a=3,*=10`, 9 slowed interval (ms), then per-script ARGV.
 *
 * Dispatch is stride scheduling: each waiting tenant has a pass in the ring; the lowest pass (never below
 * the account's virtual time, so a newcomer starts level, not with credit) gets the next slot, and its
 * pass grows by 1 / weight. Within the tenant, the first ready entry (priority, then age). Cost: O(log N)
 * per dispatch in the ready list, O(tenants + slots) per call; nothing per waiting job.
 *
 * Every key here expires or empties: the slot, owner and grant sets and the ready list lose their last
 * member when the last job ends (Redis then deletes them); the account state hash, which outlives any
 * one job, gets the failed-job retention again on every write, so an account no longer used is gone
 * with its last job.
 */
const PRELUDE = `
local stateTtl = ${JOB_RETENTION.failedSeconds}
local function keep() redis.call('EXPIRE', KEYS[6], stateTtl) end
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local maxGrants = tonumber(ARGV[4])
local mode = ARGV[5]
local listed = {}
for t in string.gmatch(ARGV[6], '[^,]+') do listed[t] = true end
local weights = {}
for t, w in string.gmatch(ARGV[7], '([^,=]+)=([^,]+)') do weights[t] = tonumber(w) end
local caps = {}
local hasCaps = false
for t, c in string.gmatch(ARGV[8], '([^,=]+)=([^,]+)') do caps[t] = tonumber(c); hasCaps = true end
local slowInterval = tonumber(ARGV[9])

local function expire()
  local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  for _, id in ipairs(gone) do
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
  end
end

local function belongs(t)
  if mode == 'in' then return listed[t] == true end
  return listed[t] ~= true
end

local function firstEntry(t)
  return redis.call('ZRANGEBYLEX', KEYS[1], '[' .. t .. '|', '(' .. t .. '}', 'LIMIT', 0, 1)[1]
end

-- How many grants the account's state allows now; the second value is a state change to report.
local function budget()
  local st = redis.call('HMGET', KEYS[6], 'state', 'until', 'probe_at', 'next_at')
  local state = st[1] or 'active'
  if state == 'paused' then
    if now < tonumber(st[3] or '0') then return 0, '' end
    return 1, ''
  end
  if state == 'slowed' then
    if now >= tonumber(st[2] or '0') then
      redis.call('HSET', KEYS[6], 'state', 'active', 'since', now)
      redis.call('HDEL', KEYS[6], 'reason', 'until', 'next_at')
      keep()
      return maxGrants, 'active'
    end
    if now < tonumber(st[4] or '0') then return 0, '' end
    return 1, ''
  end
  return maxGrants, ''
end

local function dispatch(granted)
  local n, change = budget()
  local free = limit - redis.call('ZCARD', KEYS[3])
  if free < n then n = free end
  if n <= 0 then return change end
  local running = {}
  if hasCaps then
    for _, t in ipairs(redis.call('HVALS', KEYS[4])) do running[t] = (running[t] or 0) + 1 end
  end
  local vtime = tonumber(redis.call('HGET', KEYS[6], 'vtime') or '0')
  local skip = {}
  local count = 0
  while count < n do
    local ring = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    local best, bestPass = nil, nil
    for i = 1, #ring, 2 do
      local t = ring[i]
      if not skip[t] and belongs(t) then
        local cap = caps[t] or caps['*']
        if cap ~= nil and (running[t] or 0) >= cap then
          skip[t] = true
        else
          local pass = math.max(tonumber(ring[i + 1]), vtime)
          if bestPass == nil or pass < bestPass then best, bestPass = t, pass end
        end
      end
    end
    if best == nil then break end
    local entry = firstEntry(best)
    if entry == nil then
      redis.call('ZREM', KEYS[2], best)
    else
      redis.call('ZREM', KEYS[1], entry)
      local id = string.match(entry, '([^|]+)$')
      redis.call('ZADD', KEYS[3], now + lease, id)
      redis.call('HSET', KEYS[4], id, best)
      redis.call('ZADD', KEYS[5], now, id)
      running[best] = (running[best] or 0) + 1
      vtime = bestPass
      if firstEntry(best) == nil then
        redis.call('ZREM', KEYS[2], best)
      else
        redis.call('ZADD', KEYS[2], bestPass + 1 / (weights[best] or weights['*'] or 1), best)
      end
      count = count + 1
      granted[#granted + 1] = id
    end
  end
  if count > 0 then
    redis.call('HSET', KEYS[6], 'vtime', vtime)
    local state = redis.call('HGET', KEYS[6], 'state')
    if state == 'paused' then
      -- That grant is the probe: the next one waits twice as long, up to 5 min.
      local probeMs = tonumber(redis.call('HGET', KEYS[6], 'probe_ms') or '5000')
      redis.call('HSET', KEYS[6], 'probe_at', now + probeMs, 'probe_ms', math.min(probeMs * 2, 300000))
    elseif state == 'slowed' then
      redis.call('HSET', KEYS[6], 'next_at', now + slowInterval)
    end
    keep()
  end
  return change
end
`;

/** A free-slot pass (after a release, on a nudge or a tick). ARGV 10: stale grant age (ms). Returns {change, granted, stale}. */
export const DISPATCH = `${PRELUDE}
expire()
local granted = {}
local change = dispatch(granted)
local stale = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[10]), 'LIMIT', 0, 20)
for _, id in ipairs(stale) do redis.call('ZADD', KEYS[5], now, id) end
return {change, granted, stale}`;

/**
 * A job that wants to submit. ARGV 10: job id, 11: its ready entry, 12: its tenant. Held (granted
 * earlier, or now) → {'held', change, granted}; else it stays listed → {'parked', change, granted}.
 */
export const ACQUIRE = `${PRELUDE}
expire()
local id = ARGV[10]
if redis.call('ZSCORE', KEYS[3], id) then
  redis.call('ZADD', KEYS[3], now + lease, id)
  redis.call('ZREM', KEYS[5], id)
  redis.call('ZREM', KEYS[1], ARGV[11])
  return {'held', '', {}}
end
redis.call('ZADD', KEYS[1], 0, ARGV[11])
redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[12])
local granted = {}
local change = dispatch(granted)
local others = {}
local mine = false
for _, g in ipairs(granted) do
  if g == id then mine = true else others[#others + 1] = g end
end
if mine then
  redis.call('ZREM', KEYS[5], id)
  return {'held', change, others}
end
return {'parked', change, others}`;

/** A job resuming a request that exists at fal: holds a slot even past the limit. ARGV 10: id, 12: tenant. */
export const FORCE = `${PRELUDE}
redis.call('ZADD', KEYS[3], now + lease, ARGV[10])
redis.call('HSET', KEYS[4], ARGV[10], ARGV[12])
redis.call('ZREM', KEYS[5], ARGV[10])
redis.call('ZREM', KEYS[1], ARGV[11])
return 1`;

/** Frees the job's slot and hands free slots on. ARGV 10: id. Returns {change, granted}. */
export const RELEASE = `${PRELUDE}
redis.call('ZREM', KEYS[3], ARGV[10])
redis.call('HDEL', KEYS[4], ARGV[10])
redis.call('ZREM', KEYS[5], ARGV[10])
expire()
local granted = {}
local change = dispatch(granted)
return {change, granted}`;

/**
 * fal refused the job because of the account: the job goes back to the ready list at its place and the
 * account changes state. ARGV 10: id, 11: entry, 12: tenant, 13: state (paused|slowed), 14: reason,
 * 15: earliest next dispatch (ms), 16: `1` if this refusal needs a key that worked before (a 401).
 * Returns the state change ('' when none) or 'refused' when a 401 hit a key that never worked.
 */
export const REFUSED = `${PRELUDE}
local st = redis.call('HMGET', KEYS[6], 'state', 'ok')
if ARGV[16] == '1' and st[2] ~= '1' then return 'refused' end
redis.call('ZREM', KEYS[3], ARGV[10])
redis.call('HDEL', KEYS[4], ARGV[10])
redis.call('ZREM', KEYS[5], ARGV[10])
redis.call('ZADD', KEYS[1], 0, ARGV[11])
redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[12])
local state = st[1] or 'active'
local want = ARGV[13]
if want == 'paused' then
  if state ~= 'paused' then
    redis.call('HSET', KEYS[6], 'state', 'paused', 'reason', ARGV[14], 'since', now,
      'probe_at', tonumber(ARGV[15]), 'probe_ms', 10000)
    redis.call('HDEL', KEYS[6], 'until', 'next_at')
    keep()
    return 'paused'
  end
  return ''
end
-- A 429 (to the probe of a paused account): fal took the key and the account this time (a lock answers
-- 403), so the account is only slowed; staying paused would push the next probe ever further out.
if state == 'paused' then redis.call('HDEL', KEYS[6], 'probe_at', 'probe_ms') end
redis.call('HSET', KEYS[6], 'next_at', tonumber(ARGV[15]), 'until', tonumber(ARGV[15]) + 10000, 'reason', ARGV[14])
keep()
if state ~= 'slowed' then
  redis.call('HSET', KEYS[6], 'state', 'slowed', 'since', now)
  return 'slowed'
end
return ''`;

/** A submit went through: the key works; a paused account is active again. Returns 'active' on a change. */
export const ACCEPTED = `${PRELUDE}
local state = redis.call('HGET', KEYS[6], 'state')
redis.call('HSET', KEYS[6], 'ok', '1')
keep()
if state == 'paused' then
  redis.call('HSET', KEYS[6], 'state', 'active', 'since', now)
  redis.call('HDEL', KEYS[6], 'reason', 'probe_at', 'probe_ms')
  return 'active'
end
return ''`;
