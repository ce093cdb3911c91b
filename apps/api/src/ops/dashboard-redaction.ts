/**
 * What the ops dashboard may show of a job. Job data carries presigned video URLs, webhook URLs whose
 * query strings are often credentials, and (in webhook events) whole job views with presigned output
 * URLs: every URL keeps scheme, host and path but loses userinfo and query; values under secret-looking
 * keys are blanked. Pure functions, so the rules are tested without a board.
 */

const REDACTED = '[redacted]';
// Substrings that mark a key as secret wherever they appear (`x-api-key`, `clientSecret`, `access_token`).
const SENSITIVE_PART = /secret|passw|api[_-]?key|authorization|token|signature|credential|cookie/i;
// Whole words that do (`auth`, `pwd`, `session_key`, `privateKey`), without catching `author` or `keyboard`.
const SENSITIVE_WORDS = new Set([
  'auth',
  'pwd',
  'bearer',
  'sessionkey',
  'sessionid',
  'privatekey',
  'jwt',
  'sig',
]);
// scheme, optional userinfo, host/path up to a query, fragment, quote or whitespace, then query and fragment.
const URL_IN_TEXT = /\b(https?:\/\/)([^\s/?#@"'<>]*@)?([^\s?#"'<>]*)(\?[^\s#"'<>]*)?(#[^\s"'<>]*)?/gi;
// A path segment that looks like a credential: long, letters and digits mixed, no file extension
// (Slack-style `/services/T000/B000/<secret>`), unless it is one of Foley's own ids.
const SECRET_SEGMENT = /^(?=[^.]*$)(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_~+=-]{16,}$/;
const FOLEY_ID = /^(job|bat|evt)_[0-9a-z]+$/;

export function isSensitiveKey(key: string): boolean {
  if (SENSITIVE_PART.test(key)) return true;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((w, i) => SENSITIVE_WORDS.has(w) || SENSITIVE_WORDS.has(`${w}${words[i + 1] ?? ''}`));
}

function redactPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (SECRET_SEGMENT.test(segment) && !FOLEY_ID.test(segment) ? REDACTED : segment))
    .join('/');
}

/**
 * Removes userinfo, query strings and fragments from every http(s) URL inside `text`, and path segments
 * that look like credentials.
 */
export function redactUrlsInText(text: string): string {
  return text.replace(
    URL_IN_TEXT,
    (_m, scheme: string, _user?: string, rest = '', query?: string, fragment?: string) => {
      const slash = rest.indexOf('/');
      const hostAndPath = slash < 0 ? rest : `${rest.slice(0, slash)}${redactPath(rest.slice(slash))}`;
      return `${scheme}${hostAndPath}${query ? `?${REDACTED}` : ''}${fragment ? `#${REDACTED}` : ''}`;
    },
  );
}

/** A deep copy with URLs scrubbed, secret-looking keys blanked and JSON-in-strings treated the same way. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (typeof value === 'string') return redactString(value, depth);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        isSensitiveKey(k) && v !== null && v !== undefined && typeof v !== 'boolean'
          ? REDACTED
          : redactDeep(v, depth + 1),
      ]),
    );
  }
  return value;
}

function redactString(text: string, depth: number): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactDeep(JSON.parse(text), depth + 1));
    } catch {
      // not JSON after all: scrub it as text
    }
  }
  return redactUrlsInText(text);
}

type Fields = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Fields => (v && typeof v === 'object' ? (v as Fields) : {});

/** A readable title for a `dubbing` job: `dub job_… (tenant acme, batch bat_…, fal <request id>)`. */
export function dubJobName(job: { id?: unknown; name?: unknown; data?: unknown }): string {
  const data = obj(job.data);
  const id = str(data.id) ?? str(job.id) ?? '?';
  const parts = [
    str(data.tenant) && `tenant ${data.tenant}`,
    str(data.batch_id) && `batch ${data.batch_id}`,
    str(data.fal_request_id) && `fal ${data.fal_request_id}`,
  ].filter(Boolean);
  return `dub ${id}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** A readable title for a `webhooks` job: `job.completed evt_… → job job_… (tenant acme)`. */
export function webhookJobName(job: { id?: unknown; name?: unknown; data?: unknown }): string {
  const data = obj(job.data);
  const resource = obj(data.resource);
  const event = [str(data.type) ?? str(job.name) ?? 'deliver', str(data.event_id) ?? str(job.id)]
    .filter(Boolean)
    .join(' ');
  const target = str(resource.id) ? ` → ${str(resource.kind) ?? 'resource'} ${resource.id}` : '';
  const tenant = str(resource.tenant) ? ` (tenant ${resource.tenant})` : '';
  return `${event}${target}${tenant}`;
}
