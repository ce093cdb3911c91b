import type { Transport } from './transport.js';
import type { Usage } from './types.js';

export interface UsageQueryOptions {
  /** First UTC day counted, `YYYY-MM-DD` (default: the first of this month). */
  from?: string;
  /** Last UTC day counted, inclusive (default: the last of this month). */
  to?: string;
  groupBy?: 'day' | 'batch';
  signal?: AbortSignal;
}

export interface UsageApi {
  /** The API key's tenant's spend (USD) and job counts: `GET /v1/usage`. */
  get(opts?: UsageQueryOptions): Promise<Usage>;
}

export function createUsageApi(transport: Transport): UsageApi {
  return {
    get: (opts = {}) =>
      transport.request<Usage>({
        method: 'GET',
        path: '/v1/usage',
        query: { from: opts.from, to: opts.to, group_by: opts.groupBy },
        signal: opts.signal,
      }),
  };
}
