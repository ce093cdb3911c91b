import { READY_LUA } from '@foley/shared/dispatch/ready-entry';
import { TENANT_INDEX_LUA } from '@foley/shared/jobs/tenant-index';
import { SPEND_LUA } from '@foley/shared/spend/ledger-scripts';

/**
 * Everything Foley writes when it accepts one job, as one atomic step sent right after BullMQ's add on
 * the same connection (same round trip): the budget check and reservation, the TENANT_MAX_QUEUED check
 * and count, the tenant index entry and the ready-list entry. Each step is its owner's own Lua function
 * (`SPEND_LUA`, `READY_LUA`, `TENANT_INDEX_LUA`); this script only orders them, checks first, so a
 * refusal writes nothing. It also refuses ('missing', nothing written) while the job's hash is not there
 * yet: a listed job always exists, whatever order the two commands reached Redis in.
 *
 * KEYS: 1 open-jobs counter, 2 ready list, 3 tenant ring, 4 tenant index, 5 spend day, 6 spend month,
 * 7 budget period (= 5 or 6), 8 the BullMQ job hash.
 * ARGV: 1 tenant, 2 limit ('' = none), 3 ready entry, 4 nudge channel, 5 job id, 6 index floor,
 * 7 index ttl, 8 reserve (1 | 0), 9 amount, 10 count, 11 budget limit (-1: none), 12 ledger ttl,
 * 13 batch id ('' for none).
 * Returns {1, spent, reserved} (the budget period before), {0, 'budget', spent, reserved},
 * {0, 'quota', open} or {0, 'missing'}.
 */
export const INTAKE = `${SPEND_LUA}${READY_LUA}${TENANT_INDEX_LUA}
if redis.call('EXISTS', KEYS[8]) == 0 then return {0, 'missing'} end
local reserving = ARGV[8] == '1'
local amount = tonumber(ARGV[9])
local spent, reserved = 0, 0
if reserving then
  local fits
  fits, spent, reserved = spend_room(KEYS[7], amount, tonumber(ARGV[11]))
  if not fits then return {0, 'budget', spent, reserved} end
end
local room, open = ready_room(KEYS[1], ARGV[2], 1)
if not room then return {0, 'quota', open} end
ready_count(KEYS[1], 1, open)
if reserving then spend_reserve(KEYS[5], KEYS[6], amount, tonumber(ARGV[10]), ARGV[13], ARGV[12]) end
index_add(KEYS[4], ARGV[5], ARGV[6], ARGV[7])
ready_list(KEYS[2], KEYS[3], ARGV[4], ARGV[1], {ARGV[3]}, 1, 1)
return {1, spent, reserved}`;

export const INTAKE_KEYS = 8;

export type IntakeReply =
  | [1, number, number]
  | [0, 'budget', number, number]
  | [0, 'quota', number]
  | [0, 'missing'];
