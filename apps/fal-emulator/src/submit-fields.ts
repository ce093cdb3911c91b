import type { Request } from 'express';

/** What a submit came with, as the request log keeps it. */
export function submitFields(req: Request, endpointId: string) {
  const webhook = req.query.fal_webhook;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-fal-') && typeof value === 'string') headers[name] = value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.query)) {
    if (typeof value === 'string') query[name] = value;
  }
  return {
    endpointId,
    input: (req.body as unknown) ?? null,
    webhookUrl: typeof webhook === 'string' && webhook !== '' ? webhook : undefined,
    headers,
    query,
  };
}
