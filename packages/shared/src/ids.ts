import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = ['job', 'bat', 'evt'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

// Crockford base32, lowercase: no `:` (BullMQ reserves it) and never all digits.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * `job_01jd2…`: 10 characters of millisecond time then 16 random ones, so ids sort by creation time
 * (cursor pages) and never collide in practice (80 random bits).
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  const time = idTimePart(now);
  const bytes = randomBytes(16);
  let random = '';
  for (const b of bytes) random += ALPHABET[b % 32];
  return `${prefix}_${time}${random}`;
}

/** The 10 characters of millisecond time an id starts with (after its prefix): ids of `now` sort from here. */
export function idTimePart(now: number): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time;
}

const ID_PATTERN = /^(job|bat|evt)_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(value: string, prefix?: IdPrefix): boolean {
  return ID_PATTERN.test(value) && (prefix === undefined || value.startsWith(`${prefix}_`));
}
