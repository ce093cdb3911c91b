import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { API_KEY_A, API_KEY_B } from '../support/stack';

/** One generated HTTP request: raw bytes for the body, headers as Node's client accepts them. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Header values Node's client accepts (tab, visible ASCII, Latin-1): the server must cope with all of them. */
const headerValue = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })), {
    maxLength: 80,
  })
  .map((codes) => String.fromCharCode(...codes));

const ID_PREFIXES = ['job_', 'bat_', 'evt_', 'msg_', ''];
const anyId = fc.oneof(
  fc.tuple(fc.constantFrom(...ID_PREFIXES), fc.string({ maxLength: 40 })).map(([p, s]) => p + s),
  fc.constantFrom('%ZZ', '%C0%AF', '%00', '..', '%2e%2e', 'a'.repeat(5000), '%F0%9F%92%A9', '%ED%A0%80'),
);
const segment = (s: string) => encodeURIComponent(s).replace(/%25([0-9A-Z]{2})/g, '%$1');

const ROUTES: Array<(id: string, id2: string) => string> = [
  () => '/v1/jobs',
  (id) => `/v1/jobs/${id}`,
  (id) => `/v1/jobs/${id}/cancel`,
  (id) => `/v1/jobs/${id}/webhooks`,
  (id, id2) => `/v1/jobs/${id}/webhooks/${id2}/redeliver`,
  () => '/v1/batches',
  (id) => `/v1/batches/${id}`,
  (id) => `/v1/batches/${id}/cancel`,
  () => '/v1/uploads',
  () => '/v1/fal/webhook',
  () => '/healthz',
  () => '/readyz',
  () => '/openapi.json',
  (id) => `/${id}`,
  (id) => `/v1/${id}/${id}`,
];

const QUERY_KEYS = [
  'status',
  'batch_id',
  'limit',
  'cursor',
  'job_id',
  'format',
  'include',
  'x',
  'limit[]',
  '__proto__',
  'constructor[prototype]',
];
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('queued', 'completed', '-1', '0', '101', '1e309', 'NaN', '[]', '%ZZ', 'a'.repeat(3000)),
  fc.integer().map(String),
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue), { maxLength: 6 })
  .map((pairs) =>
    pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${segment(v)}`).join('&')}`,
  );

const route = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 3, arbitrary: fc.constantFrom(ROUTES[0]!, ROUTES[5]!, ROUTES[8]!) },
);
const path = fc
  .tuple(route, anyId, anyId, query)
  .map(([route, a, b, q]) => route(segment(a), segment(b)) + q);

const VIDEO = 'http://127.0.0.1:9/clip.mp4';
/** Bodies near the real shapes (so validation deep inside runs), then mutated by arbitrary JSON. */
const jobLike = fc.record(
  {
    video_url: fc.oneof(fc.constant(VIDEO), fc.webUrl(), fc.string(), fc.jsonValue()),
    sound_effect_prompt: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
    background_music_prompt: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
    asmr_mode: fc.oneof(fc.boolean(), fc.jsonValue()),
    webhook_url: fc.oneof(fc.webUrl(), fc.string(), fc.constant('http://169.254.169.254/x')),
    metadata: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue(), { maxKeys: 8 }),
      fc.jsonValue(),
    ),
    file_name: fc.oneof(fc.constantFrom('a.mp4', '../x.mov', ''), fc.string()),
    content_type: fc.oneof(fc.constantFrom('video/mp4', 'video/quicktime'), fc.string()),
    size: fc.oneof(fc.integer(), fc.double(), fc.constant(100_000_001), fc.jsonValue()),
    items: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue()),
    settings: fc.jsonValue(),
    request_id: fc.string(),
  },
  { requiredKeys: [] },
);

const validJob = fc.record(
  {
    video_url: fc.constant(VIDEO),
    sound_effect_prompt: fc.string({ maxLength: 200 }),
    asmr_mode: fc.boolean(),
    metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), {
      maxKeys: 3,
    }),
  },
  { requiredKeys: ['video_url'] },
);

const jsonText = fc.oneof(
  validJob.map((b) => JSON.stringify(b)),
  fc.array(validJob, { minLength: 1, maxLength: 5 }).map((items) => JSON.stringify({ items })),
  fc
    .record({
      file_name: fc.constant('a.mp4'),
      content_type: fc.constant('video/mp4'),
      size: fc.integer({ min: 1, max: 100_000_000 }),
    })
    .map((b) => JSON.stringify(b)),
  jobLike.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.integer({ min: 1, max: 20_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  fc.integer({ min: 1, max: 5_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc
    .integer({ min: 1, max: 3_000_000 })
    .map((n) => JSON.stringify({ video_url: VIDEO, sound_effect_prompt: 'x'.repeat(n) })),
  fc.constantFrom(
    '{',
    '{"a":}',
    '[1,]',
    'nul',
    '"\\uD800"',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{}}}',
    '1e999999',
  ),
  fc.string({ maxLength: 200 }),
);

const csvText = fc
  .array(
    fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(VIDEO), fc.constant('"')), { maxLength: 5 }),
    {
      maxLength: 20,
    },
  )
  .map((rows) => ['video_url,sound_effect_prompt', ...rows.map((r) => r.join(','))].join('\n'));

/** Bytes that are not UTF-8 at all, or UTF-8 broken in the middle of a sequence. */
const badUtf8 = fc
  .tuple(fc.string({ maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 64 }))
  .map(([text, raw]) =>
    Buffer.concat([Buffer.from(`{"video_url":"${text}`), Buffer.from([0xc3, 0x28, 0xff]), raw]),
  );

const body = fc.oneof(
  { weight: 5, arbitrary: jsonText.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: csvText.map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: badUtf8 },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)) },
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=nonsense',
  'application/jsonl',
  'application/x-ndjson',
  'text/csv',
  'text/csv; charset=utf-8',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  'text/plain',
  '*/*',
  '',
];
const ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'compress', 'x-unknown'];

const headers = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue),
    'content-encoding': fc.oneof(fc.constantFrom(...ENCODINGS), headerValue),
    'idempotency-key': fc.oneof(
      fc.string({ minLength: 1, maxLength: 300 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
      headerValue,
    ),
    accept: fc.oneof(fc.constantFrom('application/json', 'text/html', '*/*'), headerValue),
    'x-request-id': headerValue,
    'webhook-id': headerValue,
    'webhook-signature': headerValue,
    'webhook-timestamp': headerValue,
    'x-fal-webhook-signature': headerValue,
    'x-fal-webhook-timestamp': headerValue,
  },
  { requiredKeys: [] },
);

/** A request; when it claims gzip or deflate, half the time its body really is compressed (so inflation runs). */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    path,
    headers,
    // Mostly authenticated, so requests get past auth into validation, the services and Redis.
    authorization: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(`Bearer ${API_KEY_A}`, `Bearer ${API_KEY_B}`) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Basic YTpi', `bearer ${API_KEY_A}`, '') },
      { weight: 1, arbitrary: headerValue },
    ),
    body: fc.option(body, { nil: undefined }),
    compress: fc.boolean(),
    // Most clients send JSON and no Content-Encoding: keep enough of those to reach the services.
    plain: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ method, path, headers: generated, authorization, body, compress, plain }) => {
    const headers = { ...generated };
    if (plain < 6) {
      delete headers['content-encoding'];
      headers['content-type'] = 'application/json';
    }
    let bytes = body;
    if (bytes && compress && /gzip/.test(headers['content-encoding'] ?? '')) bytes = gzipSync(bytes);
    const withAuth = authorization ? { ...headers, authorization } : headers;
    return {
      method,
      path,
      headers: withAuth,
      ...(bytes && method !== 'GET' && method !== 'HEAD' ? { body: bytes } : {}),
    };
  });
