/** Every error the SDK throws is a `FoleyError`; callers branch on the subclass and its data. */
export class FoleyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FoleyError';
  }
}

/** The API answered with an error (`{ error: { code, message, details? } }`). */
export class FoleyApiError extends FoleyError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Validation issues (`[{ field, rule, message }]`, or rejected batch items), when the API gives them. */
    readonly details: unknown,
    /** The API's `X-Request-Id` for this answer: quote it when asking about a failure. */
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'FoleyApiError';
  }
}

/** No answer at all: connection refused, DNS, reset, or no answer within `timeoutMs`. */
export class FoleyConnectionError extends FoleyError {
  constructor(
    readonly url: string,
    options: { cause: unknown },
  ) {
    super(`cannot reach the Foley API at ${url}: ${describeCause(options.cause)}`, options);
    this.name = 'FoleyConnectionError';
  }
}

/** A wait (`jobs.wait`, `batches.wait`) ran past its `timeoutMs`; `last` is the last state seen. */
export class FoleyWaitTimeoutError<T = unknown> extends FoleyError {
  constructor(
    readonly id: string,
    readonly last: T | undefined,
    timeoutMs: number,
  ) {
    super(`${id} did not end within ${timeoutMs} ms`);
    this.name = 'FoleyWaitTimeoutError';
  }
}

function describeCause(error: unknown): string {
  const e = error as {
    name?: string;
    cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> };
  };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  const code = e?.cause?.code ?? e?.cause?.errors?.[0]?.code;
  if (code) return code;
  if (e?.cause?.message) return e.cause.message;
  return error instanceof Error ? error.message : String(error);
}
