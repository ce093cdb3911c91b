import { describe, expect, it } from 'vitest';
import { DEFAULT_SUBMIT_POLICY, submitOptions } from './fal';

describe('submitOptions', () => {
  it('by default: X-Fal-Store-IO 0, outputs expire after a day, no start timeout', () => {
    expect(submitOptions(DEFAULT_SUBMIT_POLICY)).toEqual({
      headers: { 'x-fal-store-io': '0' },
      storageSettings: { expiresIn: 86_400 },
    });
  });

  it('FAL_STORE_IO=true sends no store header; a start timeout goes in whole seconds', () => {
    expect(submitOptions({ storeIo: true, outputTtlMs: 90_500, startTimeoutMs: 2_500 })).toEqual({
      storageSettings: { expiresIn: 91 },
      startTimeout: 3,
    });
  });
});
