/**
 * fal's client retries a submit by itself on 429/502/503/504 and on transport errors, with no idempotency
 * key: a request fal accepted but whose answer was lost would be submitted (and paid) twice. This fetch
 * wrapper makes each submit exactly one HTTP attempt: it turns the outcomes the client would retry into a
 * `SubmitAttemptError`, which the client does not recognise as retryable, so Foley's own retry logic
 * decides — and it can tell a rejection that is safe to retry from an outcome it cannot know.
 */

/** Transport failures that happen before a request can reach the server: safe to submit again. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export type SubmitAttemptFailure =
  | { kind: 'rejected'; status: number; retryAfterMs?: number; body: string }
  | { kind: 'not_sent'; code: string; message: string }
  | { kind: 'unknown_outcome'; code: string; message: string };

export class SubmitAttemptError extends Error {
  // Deliberately not `cause`: the fal client walks `.cause` looking for transport error codes to retry.
  constructor(readonly failure: SubmitAttemptFailure) {
    super(describe(failure));
    this.name = 'SubmitAttemptError';
  }
}

const RETRIED_BY_CLIENT = new Set([429, 502, 503, 504]);

export function singleShotSubmitFetch(inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      throw new SubmitAttemptError(classifyTransportError(error));
    }
    if (RETRIED_BY_CLIENT.has(response.status)) {
      const body = await response.text().catch(() => '');
      const requestId = response.headers.get('x-fal-request-id');
      if (response.status !== 429 && requestId) {
        // A 5xx that names a request came from behind fal's ingress: the request may exist (and be
        // billed), so it is not a refusal. fal's Python client does not retry these either.
        throw new SubmitAttemptError({
          kind: 'unknown_outcome',
          code: `HTTP_${response.status}`,
          message: `fal answered ${response.status} naming request ${requestId}`,
        });
      }
      // A 429, or a 5xx without x-fal-request-id (fal's nginx ingress): nothing was created.
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new SubmitAttemptError({
        kind: 'rejected',
        status: response.status,
        body: body.slice(0, 500),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    return buffered(response);
  };
}

/**
 * The client reads the body inside its retry loop, so a connection lost mid-body (after fal accepted the
 * request) would make it POST again. Reading the body here turns that into an unknown outcome instead.
 */
async function buffered(response: Response): Promise<Response> {
  let body: ArrayBuffer;
  try {
    body = await response.arrayBuffer();
  } catch (error) {
    const lost = classifyTransportError(error);
    throw new SubmitAttemptError(
      response.ok
        ? { kind: 'unknown_outcome', code: lost.code, message: `reading fal's answer: ${lost.message}` }
        : { kind: 'rejected', status: response.status, body: '' },
    );
  }
  const { status, statusText, headers } = response;
  const empty = body.byteLength === 0 || NULL_BODY_STATUSES.has(status);
  return new Response(empty ? null : body, { status, statusText, headers });
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export function classifyTransportError(
  error: unknown,
): Extract<SubmitAttemptFailure, { kind: 'not_sent' | 'unknown_outcome' }> {
  const code = findErrorCode(error) ?? 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  return NOT_SENT_CODES.has(code)
    ? { kind: 'not_sent', code, message }
    : { kind: 'unknown_outcome', code, message };
}

function findErrorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (name === 'AbortError' || name === 'TimeoutError') return name;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Retry-After in seconds or as an HTTP date → milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(f: SubmitAttemptFailure): string {
  if (f.kind === 'rejected') return `fal rejected the submit with HTTP ${f.status}`;
  if (f.kind === 'not_sent') return `could not reach fal (${f.code}): ${f.message}`;
  return `the submit's answer was lost (${f.code}): ${f.message}`;
}
