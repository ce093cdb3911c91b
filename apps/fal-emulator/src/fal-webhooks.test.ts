import { describe, expect, it } from 'vitest';
import { infraFailure } from './errors';
import { webhookBody } from './fal-webhooks';
import type { FalRequest } from './request-queue';

const base = {
  id: 'r1',
  endpointId: 'e',
  appId: 'a/b',
  input: {},
  webhookUrl: 'http://127.0.0.1/hook',
  submitHeaders: {},
  submitQuery: {},
  startBy: undefined,
  createdAt: new Date(0),
  state: 'COMPLETED',
  canceled: false,
  logs: [],
} satisfies FalRequest;

describe('webhookBody', () => {
  it('carries the output as payload for a success', () => {
    const output = { video: { url: 'v' }, audio: { url: 'a' } };
    expect(webhookBody({ ...base, outcome: { ok: true, output } })).toEqual({
      request_id: 'r1',
      gateway_request_id: 'r1',
      status: 'OK',
      error: null,
      payload: output,
    });
  });

  it('carries the error body and "Invalid status code" for a failure', () => {
    const failure = infraFailure(499, 'client_cancelled', 'cancelled');
    expect(webhookBody({ ...base, outcome: { ok: false, failure } })).toEqual({
      request_id: 'r1',
      gateway_request_id: 'r1',
      status: 'ERROR',
      error: 'Invalid status code: 499',
      payload: { detail: 'cancelled', error_type: 'client_cancelled' },
    });
  });
});
