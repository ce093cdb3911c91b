import { openAsBlob } from 'node:fs';

/** The API answered with an error (`{error: {code, message, details?}}`). */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** No answer at all: connection refused, DNS, timeout. */
export class ApiUnreachableError extends Error {
  constructor(
    readonly url: string,
    options: { cause: unknown },
  ) {
    super(`cannot reach the Foley API at ${url}: ${describe(options.cause)}`, options);
    this.name = 'ApiUnreachableError';
  }
}

export interface RequestOptions {
  json?: unknown;
  body?: string | Uint8Array;
  contentType?: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export type Json = Record<string, unknown>;

/** A thin client of the Foley HTTP API over global fetch; every call returns the parsed JSON body. */
export function createApiClient(opts: {
  baseUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
}) {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.baseUrl.replace(/\/+$/, '');

  async function request<T = Json>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    let body: string | Uint8Array | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    } else if (o.contentType) headers['content-type'] = o.contentType;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new ApiUnreachableError(base, { cause: error });
    }
    const text = await res.text();
    const parsed = parseJson(text);
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
        ?.error;
      throw new ApiRequestError(
        res.status,
        e?.code ?? `http_${res.status}`,
        e?.message ?? (text.slice(0, 200) || res.statusText),
        e?.details,
      );
    }
    return parsed as T;
  }

  return {
    request,
    createBatch: (body: Json, query: Record<string, string | undefined>) =>
      request('POST', '/v1/batches', { json: body, query, timeoutMs: 300_000 }),
    createBatchFromText: (text: string, contentType: string, query: Record<string, string | undefined>) =>
      request('POST', '/v1/batches', { body: text, contentType, query, timeoutMs: 300_000 }),
    getBatch: (id: string) => request('GET', `/v1/batches/${encodeURIComponent(id)}`),
    cancelBatch: (id: string) => request('POST', `/v1/batches/${encodeURIComponent(id)}/cancel`),
    getJob: (id: string) => request('GET', `/v1/jobs/${encodeURIComponent(id)}`),
    cancelJob: (id: string) => request('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`),
    /** Every job of a batch, page by page (bounded). */
    async batchJobs(batchId: string): Promise<Json[]> {
      const jobs: Json[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 1_000; page++) {
        const res = await request<{ data: Json[]; next_cursor: string | null }>('GET', '/v1/jobs', {
          query: { batch_id: batchId, limit: '100', cursor },
        });
        jobs.push(...res.data);
        if (!res.next_cursor) break;
        cursor = res.next_cursor;
      }
      return jobs;
    },
    createUpload: (file: { file_name: string; content_type: string; size: number }) =>
      request<{ upload_url: string; upload_fields: Record<string, string>; video_url: string }>(
        'POST',
        '/v1/uploads',
        {
          json: file,
        },
      ),
    /**
     * Uploads a local file with a presigned POST: the policy's fields, then the file (last, as S3
     * requires). The form is a Blob backed by the file on disk, so the bytes are read as they are sent.
     */
    async postFile(
      uploadUrl: string,
      fields: Record<string, string>,
      file: { path: string; fileName: string; contentType: string },
    ): Promise<void> {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      const blob = await openAsBlob(file.path, { type: file.contentType });
      form.append('file', blob, file.fileName);
      let res: Response;
      try {
        res = await doFetch(uploadUrl, {
          method: 'POST',
          body: form,
          signal: AbortSignal.timeout(30 * 60_000),
        });
      } catch (error) {
        throw new ApiUnreachableError(new URL(uploadUrl).origin, { cause: error });
      }
      const text = await res.text();
      if (!res.ok)
        throw new ApiRequestError(
          res.status,
          'upload_failed',
          `upload of ${file.path} failed: HTTP ${res.status}${s3Code(text)}`,
        );
    },
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } })
    ?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  if (code) return code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** S3 answers errors as XML `<Code>…</Code>`: name it (EntityTooLarge, AccessDenied, …). */
function s3Code(text: string): string {
  const code = /<Code>([A-Za-z]+)<\/Code>/.exec(text)?.[1];
  return code ? ` (${code})` : '';
}
