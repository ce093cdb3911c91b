/**
 * What a job's submit claim holds (its Redis value; written and read only through `signals.ts`): when it
 * was taken, the nonce the submit's fal callback URL carries, and — once fal's signed callback revealed
 * it — the request id that submit created. The nonce binds a callback to this one submit: a callback
 * replayed under another job's id, or a late one for a submit that was abandoned and made again, finds
 * a different nonce and records nothing.
 */
export interface SubmitClaim {
  at: string;
  nonce?: string;
  request_id?: string;
}

export const encodeSubmitClaim = (claim: SubmitClaim): string => JSON.stringify(claim);

/** The claim a value holds; claims written before the nonce existed were a bare timestamp. */
export function parseSubmitClaim(value: string | null): SubmitClaim | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as SubmitClaim).at === 'string') {
      return parsed as SubmitClaim;
    }
  } catch {
    // A bare timestamp, from before.
  }
  return { at: value };
}

/** Nonces are ours (base64url of random bytes): anything else in a callback URL is not. */
export const isSubmitNonce = (value: unknown): value is string =>
  typeof value === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(value);

export type CallbackRecordOutcome = 'recorded' | 'already_recorded' | 'no_claim' | 'other_submit';

/**
 * KEYS[1] claim; ARGV nonce, request id. Records the request id only on the claim of the submit the
 * callback names (same nonce) and only when it has none, keeping the claim's expiry. A repeated delivery
 * of the same callback is 'recorded' again (fal retries when our answer was lost).
 */
export const RECORD_CALLBACK_REQUEST = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 'no_claim' end
local ok, claim = pcall(cjson.decode, raw)
if not ok or type(claim) ~= 'table' or claim.nonce ~= ARGV[1] then return 'other_submit' end
if claim.request_id == ARGV[2] then return 'recorded' end
if claim.request_id then return 'already_recorded' end
claim.request_id = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(claim), 'KEEPTTL')
return 'recorded'
`;

/**
 * KEYS[1] claim; ARGV the claim's value, TTL (s), the nonce ('' for none). 1 when the claim is this
 * submit's: taken now, or already (the same nonce: a resent command whose first answer was lost).
 */
export const CLAIM_SUBMIT = `
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
if ARGV[3] == '' then return 0 end
local ok, claim = pcall(cjson.decode, raw)
if ok and type(claim) == 'table' and claim.nonce == ARGV[3] then return 1 end
return 0
`;

/**
 * KEYS[1] claim. Gives the claim up unless a callback recorded a request on it meanwhile; returns that
 * request id (then the claim stays), or false.
 */
export const ABANDON_UNRECORDED = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local ok, claim = pcall(cjson.decode, raw)
if ok and type(claim) == 'table' and claim.request_id then return claim.request_id end
redis.call('DEL', KEYS[1])
return false
`;
