/**
 * fal states what a request cost in `X-Fal-Billable-Units` on its responses (docs/fal-protocol.md §13:
 * 0 on a 422). The fal client returns only the body, so this fetch wrapper reads the header off the
 * result response (`GET …/requests/{id}`) and keeps it until the gateway asks once.
 */
export interface BillableUnits {
  fetch: typeof fetch;
  /** The units fal sent with the request's result, read once; undefined when fal sent none. */
  take(requestId: string): number | undefined;
}

/** Results read but never asked about (a result that failed to parse) are dropped past this many. */
const MAX_KEPT = 10_000;
const RESULT_PATH = /\/requests\/([^/?#]+)\/?$/;

export function billableUnitsFetch(inner: typeof fetch = fetch): BillableUnits {
  const seen = new Map<string, number>();
  return {
    async fetch(input, init) {
      const response = await inner(input, init);
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const match = method === 'GET' ? RESULT_PATH.exec(new URL(url).pathname) : null;
      const header = response.headers.get('x-fal-billable-units');
      if (match && header !== null && /^\d+$/.test(header.trim())) {
        if (seen.size >= MAX_KEPT) seen.delete(seen.keys().next().value as string);
        seen.set(decodeURIComponent(match[1] as string), Number(header.trim()));
      }
      return response;
    },
    take(requestId) {
      const units = seen.get(requestId);
      seen.delete(requestId);
      return units;
    },
  };
}
