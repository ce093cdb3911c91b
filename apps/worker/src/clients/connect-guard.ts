import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { type Allowlist, checkResolvedAddress, type UrlRule } from '@foley/shared/ssrf/url-guard';
import { buildConnector } from 'undici';

/** A user URL (or an address it resolved to) that the SSRF rules forbid. Never retryable. */
export class UrlBlockedError extends Error {
  readonly url: string;
  readonly rule: UrlRule;
  readonly address?: string;
  constructor(data: { url: string; rule: UrlRule; message: string; address?: string }) {
    super(data.message);
    this.name = 'UrlBlockedError';
    this.url = data.url;
    this.rule = data.rule;
    if (data.address !== undefined) this.address = data.address;
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}
/** Resolves a host name to every address it has. Injectable so tests can fake DNS. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A `net.connect` lookup that refuses to hand out any address the rules forbid. It checks every
 * address of the answer, not only the one tried first: Happy Eyeballs may fall back to any of them,
 * and the addresses checked are exactly the ones connected to, so a DNS answer that changes between
 * submit and connect (rebinding) cannot slip through.
 */
export function createGuardedLookup(allowlist: Allowlist, resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((answer) => {
        for (const { address } of answer) {
          const verdict = checkResolvedAddress(hostname, address, allowlist);
          if (!verdict.ok) throw new UrlBlockedError({ url: hostname, ...verdict, address });
        }
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family === 0 ? answer : answer.filter((a) => a.family === family);
        const first = usable[0];
        if (!first)
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}

/**
 * An undici connector that guards both paths to a socket: host names through the guarded lookup, and
 * literal IP hosts (for which Node skips the lookup entirely) checked here.
 */
export function createGuardedConnector(opts: {
  allowlist: Allowlist;
  resolve?: ResolveHost;
  connectTimeoutMs?: number;
}): buildConnector.connector {
  const base = buildConnector({
    timeout: opts.connectTimeoutMs ?? 10_000,
    lookup: createGuardedLookup(opts.allowlist, opts.resolve ?? systemResolve),
  });
  return (options, callback) => {
    const host = options.hostname;
    if (isIP(host) !== 0) {
      const verdict = checkResolvedAddress(host, host, opts.allowlist);
      if (!verdict.ok) {
        callback(new UrlBlockedError({ url: host, ...verdict, address: host }), null);
        return;
      }
    }
    base(options, callback);
  };
}

/** Finds a UrlBlockedError anywhere in an error's cause chain (undici wraps connect errors). */
export function findUrlBlocked(error: unknown): UrlBlockedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof UrlBlockedError) return current;
    current = current.cause;
  }
  return undefined;
}
