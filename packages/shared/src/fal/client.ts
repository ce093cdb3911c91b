import { createFalClient, type FalClient } from '@fal-ai/client';

/**
 * The one way Foley builds a fal client. With `baseUrl` (the emulator), every request the client would
 * send to https://HOST/PATH goes to BASE/HOST/PATH instead; production leaves it unset.
 */
export function createFoleyFalClient(opts: {
  falKey: string;
  baseUrl?: string | undefined;
  /** Replaces the global fetch (the worker wraps it to make submits single-shot). */
  fetch?: typeof fetch;
}): FalClient {
  const { baseUrl } = opts;
  return createFalClient({
    credentials: opts.falKey,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(baseUrl
      ? { requestMiddleware: async (req) => ({ ...req, url: rewriteFalUrl(req.url, baseUrl) }) }
      : {}),
  });
}

export function rewriteFalUrl(url: string, baseUrl: string): string {
  const target = new URL(url);
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/${target.host}${target.pathname}${target.search}`;
}
