import { describe, expect, it } from 'vitest';
import { validationFailure } from './errors';
import type { FalRequest } from './request-queue';
import { requestUrls, statusBody, submitBody } from './status-body';

const request = (patch: Partial<FalRequest> = {}): FalRequest => ({
  id: 'r1',
  endpointId: 'fal-ai/kling-video/video-to-audio',
  appId: 'fal-ai/kling-video',
  input: {},
  webhookUrl: undefined,
  submitHeaders: {},
  submitQuery: {},
  startBy: undefined,
  createdAt: new Date(0),
  state: 'IN_QUEUE',
  canceled: false,
  logs: [{ message: 'hi', level: 'INFO', source: 'USER', timestamp: '2024-01-01T00:00:00.000Z' }],
  ...patch,
});

describe('status bodies', () => {
  it('puts the URLs on owner/alias, without the endpoint path', () => {
    expect(requestUrls(request())).toEqual({
      response_url: 'https://queue.fal.run/fal-ai/kling-video/requests/r1',
      status_url: 'https://queue.fal.run/fal-ai/kling-video/requests/r1/status',
      cancel_url: 'https://queue.fal.run/fal-ai/kling-video/requests/r1/cancel',
    });
    expect(submitBody(request(), 3)).toMatchObject({
      status: 'IN_QUEUE',
      queue_position: 3,
      gateway_request_id: 'r1',
    });
  });

  it('answers 202 while queued or running, with logs only when asked', () => {
    expect(statusBody(request(), { position: 2, logs: true })).toMatchObject({
      httpStatus: 202,
      body: { status: 'IN_QUEUE', queue_position: 2 },
    });
    const running = request({ state: 'IN_PROGRESS' });
    expect(statusBody(running, { position: undefined, logs: true }).body.logs).toHaveLength(1);
    expect(statusBody(running, { position: undefined, logs: false }).body.logs).toEqual([]);
  });

  it('answers 200 COMPLETED with metrics, and error fields for a failed run', () => {
    const failed = request({
      state: 'COMPLETED',
      startedAt: 1000,
      completedAt: 3500,
      outcome: {
        ok: false,
        failure: validationFailure([{ loc: ['body'], msg: 'bad', type: 'model_error', url: 'u' }]),
      },
    });
    const { httpStatus, body } = statusBody(failed, { position: undefined, logs: false });
    expect(httpStatus).toBe(200);
    expect(body).toMatchObject({
      status: 'COMPLETED',
      metrics: { inference_time: 2.5 },
      error: 'bad',
      error_type: 'model_error',
    });
  });
});
