import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { renderSample } from './media';

export const SAMPLES = {
  'sample.mp4': { format: 'mp4', contentType: 'video/mp4' },
  'sample.mov': { format: 'mov', contentType: 'video/quicktime' },
} as const;
export type SampleName = keyof typeof SAMPLES;

export interface Samples {
  /** Path of a sample video, rendered on first use; undefined for an unknown name. */
  get(name: string): Promise<{ path: string; contentType: string } | undefined>;
  close(): void;
}

export function createSamples(opts: { dir: string }): Samples {
  const rendering = new Map<SampleName, Promise<string>>();
  const controller = new AbortController();

  async function render(name: SampleName): Promise<string> {
    await mkdir(opts.dir, { recursive: true });
    const path = join(opts.dir, name);
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await renderSample(SAMPLES[name].format, temp, controller.signal);
    await rename(temp, path);
    return path;
  }

  return {
    async get(name) {
      if (!isSampleName(name)) return undefined;
      let promise = rendering.get(name);
      if (!promise) {
        promise = render(name);
        rendering.set(name, promise);
        promise.catch(() => rendering.delete(name));
      }
      return { path: await promise, contentType: SAMPLES[name].contentType };
    },
    close: () => controller.abort(),
  };
}

function isSampleName(name: string): name is SampleName {
  return Object.hasOwn(SAMPLES, name);
}
