import { ApiError } from '@foley/shared/errors';
import type { z } from 'zod';

export interface FieldIssue {
  field: string;
  rule: string;
  message: string;
}

/** zod issues → `[{field, rule, message}]`, where `field` is a dotted path like `items.3.video_url`. */
export function fieldIssues(
  error: z.ZodError,
  prefix: Array<string | number> = [],
  input?: unknown,
): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: [...path, key].join('.'),
        rule: 'unknown_field',
        message: `unknown field "${key}"`,
      }));
    }
    const field = path.join('.') || '(body)';
    const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
    const rule = missing ? 'required' : (customRule(issue) ?? issue.code);
    const message = rule === 'required' ? 'is required' : issue.message;
    return [{ field, rule, message }];
  });
}

export function validationError(issues: FieldIssue[]): ApiError {
  const first = issues[0];
  const summary = first ? `${first.field}: ${first.message}` : 'invalid request';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ApiError(
    'validation_error',
    `${summary}${more}`,
    issues as unknown as Array<Record<string, unknown>>,
  );
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError('invalid_body', 'the request body must be a JSON object');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error, [], body));
  return parsed.data;
}

/** A custom check may name its rule (`params.rule`), e.g. `too_deep`; otherwise the rule is zod's code. */
function customRule(issue: z.ZodError['issues'][number]): string | undefined {
  const rule = issue.code === 'custom' ? issue.params?.rule : undefined;
  return typeof rule === 'string' ? rule : undefined;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
