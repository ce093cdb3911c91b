import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '@foley/shared/errors';
import type { RequestHandler } from 'express';

export interface ApiKey {
  tenant: string;
  digest: Buffer;
}

/** `name:key` entries → keys. A bare key gets a tenant name derived from its hash (never the key itself). */
export function parseApiKeys(entries: string[]): ApiKey[] {
  const keys = entries.map((entry) => {
    const colon = entry.indexOf(':');
    const key = colon === -1 ? entry : entry.slice(colon + 1);
    const tenant = colon === -1 ? `key-${sha256(key).toString('hex').slice(0, 12)}` : entry.slice(0, colon);
    if (key.length < 8) throw new Error(`API_KEYS: the key of "${tenant}" must be at least 8 characters`);
    if (!/^[A-Za-z0-9_.-]+$/.test(tenant))
      throw new Error(`API_KEYS: tenant name "${tenant}" may only use letters, digits, _ . -`);
    return { tenant, digest: sha256(key) };
  });
  // One key under two tenants would silently make the last one its owner.
  for (const [i, k] of keys.entries()) {
    const other = keys.slice(0, i).find((o) => o.digest.equals(k.digest) && o.tenant !== k.tenant);
    if (other) throw new Error(`API_KEYS: tenants "${other.tenant}" and "${k.tenant}" list the same key`);
  }
  return keys;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Compares the presented key with every configured key in constant time (hashing first makes lengths
 * equal), and checks them all so timing does not reveal which one matched.
 */
export function findTenant(keys: ApiKey[], presented: string): string | undefined {
  const digest = sha256(presented);
  let tenant: string | undefined;
  for (const k of keys) if (timingSafeEqual(k.digest, digest)) tenant = k.tenant;
  return tenant;
}

export function requireApiKey(keys: ApiKey[]): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    }
    const tenant = findTenant(keys, match[1] as string);
    if (!tenant) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new ApiError('unauthorized', 'invalid API key');
    }
    res.locals.tenant = tenant;
    next();
  };
}

export const tenantOf = (res: { locals: Record<string, unknown> }): string => res.locals.tenant as string;
