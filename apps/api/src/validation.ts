import { ApiError } from '@foley/shared/errors';
import type { z } from 'zod';

export interface FieldIssue {
  field: string;
  rule: string;
  message: string;
}

/** zod issues → `[{field, rule, message}]`, where `field` is a dotted path like `items.3.video_url`. */
export function fieldIssues(error: z.ZodError, prefix: Array<string | number> = []): FieldIssue[] {
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
    const rule = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.code;
    const message = rule === 'required' ? 'is required' : issue.message;
    return [{ field, rule, message }];
  });
}

export function validationError(issues: FieldIssue[]): ApiError {
  const first = issues[0];
  const summary = first ? `${first.field}: ${first.message}` : 'invalid request';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ApiError(422, 'validation_error', `${summary}${more}`, issues as unknown as Array<Record<string, unknown>>);
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'invalid_body', 'the request body must be a JSON object');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error));
  return parsed.data;
}
