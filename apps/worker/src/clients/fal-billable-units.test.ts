import { describe, expect, it } from 'vitest';
import { billableUnitsFetch } from './fal-billable-units';

const answer = (headers: Record<string, string>) => async () => new Response('{}', { headers });

describe('billableUnitsFetch', () => {
  it('keeps X-Fal-Billable-Units of a result response until asked once', async () => {
    const units = billableUnitsFetch(answer({ 'x-fal-billable-units': '1' }));
    await units.fetch('https://queue.fal.run/fal-ai/kling-video/requests/req-1', { method: 'GET' });
    expect(units.take('req-1')).toBe(1);
    expect(units.take('req-1')).toBeUndefined();
  });

  it('ignores status polls, other methods, a missing or malformed header', async () => {
    const units = billableUnitsFetch(answer({ 'x-fal-billable-units': '1' }));
    await units.fetch('https://queue.fal.run/fal-ai/kling-video/requests/req-2/status', { method: 'GET' });
    await units.fetch('https://queue.fal.run/fal-ai/kling-video/requests/req-3', { method: 'PUT' });
    expect(units.take('req-2')).toBeUndefined();
    expect(units.take('req-3')).toBeUndefined();
    const none = billableUnitsFetch(answer({}));
    await none.fetch('https://queue.fal.run/fal-ai/kling-video/requests/req-4');
    expect(none.take('req-4')).toBeUndefined();
    const junk = billableUnitsFetch(answer({ 'x-fal-billable-units': '-1' }));
    await junk.fetch('https://queue.fal.run/fal-ai/kling-video/requests/req-5');
    expect(junk.take('req-5')).toBeUndefined();
  });
});
