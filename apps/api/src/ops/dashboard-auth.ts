import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '@foley/shared/errors';
import type { RequestHandler } from 'express';

export type AdminRole = 'admin' | 'readonly';

export interface AdminAccount {
  user: string;
  password: string;
  role: AdminRole;
}

const REALM = 'Basic realm="Foley ops", charset="UTF-8"';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `Authorization: Basic base64(user:password)` → its parts; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The role of the account these credentials belong to. Hashing makes lengths equal for timingSafeEqual,
 * and every account is compared (no early exit), so timing reveals neither which part nor which account.
 */
export function matchAccount(
  accounts: AdminAccount[],
  given: { user: string; password: string },
): AdminRole | undefined {
  const user = digest(given.user);
  const password = digest(given.password);
  let role: AdminRole | undefined;
  for (const account of accounts) {
    const userOk = timingSafeEqual(digest(account.user), user);
    const passwordOk = timingSafeEqual(digest(account.password), password);
    if (userOk && passwordOk && role === undefined) role = account.role;
  }
  return role;
}

/** HTTP Basic auth for the dashboard; the role ends up in `res.locals.adminRole`. */
export function requireAdmin(accounts: AdminAccount[]): RequestHandler {
  return (req, res, next) => {
    const given = parseBasicAuth(req.get('authorization'));
    const role = given ? matchAccount(accounts, given) : undefined;
    if (!role) {
      res.set('WWW-Authenticate', REALM);
      throw new ApiError('unauthorized', given ? 'invalid credentials' : 'this area needs a login');
    }
    res.locals.adminRole = role;
    next();
  };
}

/** The read-only role may look, never change: anything but GET/HEAD/OPTIONS is refused. */
export const forbidWritesForReadOnly: RequestHandler = (req, res, next) => {
  if (res.locals.adminRole === 'readonly' && !SAFE_METHODS.has(req.method)) {
    throw new ApiError('forbidden', 'the read-only dashboard account cannot change jobs or queues');
  }
  next();
};

export const adminRoleOf = (res: { locals: Record<string, unknown> }): AdminRole =>
  res.locals.adminRole as AdminRole;
