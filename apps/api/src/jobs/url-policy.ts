import { type Allowlist, checkUrlAtSubmit, parseAllowlist } from '@foley/shared/ssrf/url-guard';
import type { FieldIssue } from '../http/validation';
import { validationError } from '../http/validation';

export interface UrlPolicy {
  /** Every SSRF rule the fields break, as field issues named after `prefix` + the field. */
  issues(fields: { video_url?: string; webhook_url?: string | undefined }, prefix?: string): FieldIssue[];
  /** Throws a 422 naming the first field that breaks a rule. */
  assertAllowed(fields: { video_url: string; webhook_url?: string | undefined }): void;
}

/**
 * SSRF rules at submit time: what can be known from the URL alone (scheme, literal addresses in every
 * spelling). The worker checks again on the address it actually connects to.
 */
export function createUrlPolicy(allowlistEntries: string[]): UrlPolicy {
  const allowlist: Allowlist = parseAllowlist(allowlistEntries);

  function issues(
    fields: { video_url?: string; webhook_url?: string | undefined },
    prefix = '',
  ): FieldIssue[] {
    const found: FieldIssue[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (typeof value !== 'string') continue;
      const check = checkUrlAtSubmit(value, allowlist);
      if (!check.ok) found.push({ field: `${prefix}${field}`, rule: check.rule, message: check.message });
    }
    return found;
  }

  return {
    issues,
    assertAllowed(fields: { video_url: string; webhook_url?: string | undefined }): void {
      const found = issues({ video_url: fields.video_url, webhook_url: fields.webhook_url });
      if (found.length) throw validationError(found);
    },
  };
}
