import { FoleyApiError, FoleyConnectionError } from './errors.js';
import { DEFAULT_RETRY, isRetryableStatus, nextDelayMs, parseRetryAfter, type RetryPolicy } from './retry.js';
import { sleep as realSleep, type Sleep } from './sleep.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path under the API URL, e.g. `/v1/jobs`. */
  path: string;
  query?: Query;
  /** Sent as `application/json`. */
  json?: unknown;
  /** A prepared body (JSONL, CSV) with its `contentType`. */
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Per attempt; defaults to the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** One authenticated JSON call to the Foley API, retried on 429/503 and network errors. */
export interface Transport {
  readonly apiUrl: string;
  request<T>(req: HttpRequest): Promise<T>;
}

export interface TransportConfig {
  apiUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  timeoutMs?: number | undefined;
  /** For tests: the clock, the dice and the wait between attempts. */
  now?: () => number;
  random?: () => number;
  sleep?: Sleep;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

export function createTransport(config: TransportConfig): Transport {
  const apiUrl = config.apiUrl.replace(/\/+$/, '');
  const doFetch = config.fetch ?? globalThis.fetch;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...config.retry };
  const now = config.now ?? Date.now;
  const wait = config.sleep ?? realSleep;

  async function request<T>(req: HttpRequest): Promise<T> {
    const url = new URL(`${apiUrl}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
    let body = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    } else if (req.contentType) headers['content-type'] = req.contentType;

    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(req.timeoutMs ?? config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await doFetch(url, {
          method: req.method,
          headers,
          signal,
          ...(body !== undefined ? { body } : {}),
        });
      } catch (error) {
        // The caller's own abort is not a network failure: it ends the call as it is.
        if (req.signal?.aborted) throw req.signal.reason;
        const delay = nextDelayMs({ attempt, policy, ...(config.random ? { random: config.random } : {}) });
        if (delay === undefined) throw new FoleyConnectionError(apiUrl, { cause: error });
        await wait(delay, req.signal);
        continue;
      }
      if (res.ok) return (await readJson(res)) as T;
      if (isRetryableStatus(res.status)) {
        const delay = nextDelayMs({
          attempt,
          policy,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()),
          ...(config.random ? { random: config.random } : {}),
        });
        if (delay !== undefined) {
          await res.body?.cancel().catch(() => {});
          await wait(delay, req.signal);
          continue;
        }
      }
      throw await apiError(res);
    }
  }

  return { apiUrl, request };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new FoleyApiError(
      res.status,
      'invalid_response',
      'the API answered with a body that is not JSON',
      text.slice(0, 200),
      res.headers.get('x-request-id') ?? undefined,
    );
  }
}

async function apiError(res: Response): Promise<FoleyApiError> {
  const text = await res.text().catch(() => '');
  let parsed:
    | { error?: { code?: unknown; message?: unknown; details?: unknown; request_id?: unknown } }
    | undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const e = parsed?.error;
  const requestId =
    res.headers.get('x-request-id') ?? (typeof e?.request_id === 'string' ? e.request_id : undefined);
  return new FoleyApiError(
    res.status,
    typeof e?.code === 'string' ? e.code : `http_${res.status}`,
    typeof e?.message === 'string' ? e.message : text.slice(0, 200) || res.statusText || `HTTP ${res.status}`,
    e?.details,
    requestId,
  );
}
