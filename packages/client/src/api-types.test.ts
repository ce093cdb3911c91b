import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED, generateApiTypes } from '../scripts/generate-api-types.js';

describe('api-types.generated.ts', () => {
  it('is what the API’s current schemas and view types generate (regenerate with `pnpm --filter @foley/client generate`)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(generateApiTypes());
  }, 60_000);
});
