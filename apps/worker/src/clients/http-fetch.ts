import { type Allowlist, checkUrlAtSubmit } from '@foley/shared/ssrf/url-guard';
import { Agent, fetch as undiciFetch } from 'undici';
import { createGuardedConnector, findUrlBlocked, type ResolveHost, UrlBlockedError } from './connect-guard';

export { type ResolveHost, UrlBlockedError } from './connect-guard';

export class TooManyRedirectsError extends Error {
  constructor(
    readonly url: string,
    readonly maxRedirects: number,
  ) {
    super(`more than ${maxRedirects} redirects`);
    this.name = 'TooManyRedirectsError';
  }
}

export interface GuardedFetchInit {
  method?: string;
  headers?: Record<string, string>;
  /** Replayable bodies only, so a 307/308 can resend them. */
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** `manual` returns a 3xx as is (webhook deliveries record it and do not follow). */
  redirect?: 'follow' | 'manual';
}

/** fetch for user-supplied URLs: every hop and every address connected to obeys the SSRF rules. */
export type GuardedFetch = (url: string, init?: GuardedFetchInit) => Promise<Response>;

export interface GuardedFetchOptions {
  allowlist: Allowlist;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  maxRedirects?: number;
  /** DNS resolution; tests inject a fake so `evil.test` can resolve to loopback. */
  resolve?: ResolveHost;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Throws `UrlBlockedError` when a URL, a redirect target or a resolved address is forbidden, and
 * `TooManyRedirectsError` past `maxRedirects` hops. Other failures are undici's (`TypeError: fetch
 * failed` with the network error as cause). `close()` releases pooled connections.
 */
export function createGuardedFetch(opts: GuardedFetchOptions): GuardedFetch & { close(): Promise<void> } {
  const maxRedirects = opts.maxRedirects ?? 5;
  const agent = new Agent({
    connect: createGuardedConnector({
      allowlist: opts.allowlist,
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    }),
    headersTimeout: opts.headersTimeoutMs ?? 30_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 30_000,
  });

  const guardedFetch: GuardedFetch = async (url, init = {}) => {
    let current = url;
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    let headers: Record<string, string> = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const verdict = checkUrlAtSubmit(current, opts.allowlist);
      if (!verdict.ok)
        throw new UrlBlockedError({ url: current, rule: verdict.rule, message: verdict.message });
      let response: Response;
      try {
        // undici's Response is the same WHATWG class as the global one, typed by a different package.
        response = (await undiciFetch(verdict.url, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
          redirect: 'manual',
          dispatcher: agent,
        })) as unknown as Response;
      } catch (error) {
        const blocked = findUrlBlocked(error);
        if (!blocked) throw error;
        throw new UrlBlockedError({
          url: current,
          rule: blocked.rule,
          message: blocked.message,
          ...(blocked.address !== undefined ? { address: blocked.address } : {}),
        });
      }
      const location = response.headers.get('location');
      if (init.redirect === 'manual' || !REDIRECTS.has(response.status) || !location) return response;
      await response.body?.cancel().catch(() => {});
      if (hop >= maxRedirects) throw new TooManyRedirectsError(url, maxRedirects);

      const from = new URL(current);
      const next = new URL(location, from);
      // Browsers' rules: 303 (and 301/302 after POST) become a bodyless GET; 307/308 replay as is.
      if ((response.status === 303 && method !== 'HEAD') || (response.status <= 302 && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = withoutHeaders(headers, (name) => name.startsWith('content-'));
      }
      if (next.origin !== from.origin) {
        headers = withoutHeaders(headers, (name) => CREDENTIAL_HEADERS.includes(name));
      }
      current = next.href;
    }
  };
  return Object.assign(guardedFetch, { close: () => agent.close() });
}

const withoutHeaders = (headers: Record<string, string>, drop: (lowerName: string) => boolean) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !drop(name.toLowerCase())));
