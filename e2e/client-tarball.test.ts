import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DevStack, root, startDevStack } from './support/dev-stack';

// @foley/client as a customer gets it: `pnpm pack` (which builds it), `npm install` of the tarball in a
// fresh folder outside the workspace, and a plain `node` script that dubs a video through `pnpm dev`.
let stack: DevStack;
let work: string;
let tarball: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'foley-sdk-consumer-'));
  const packed = join(work, 'packed');
  execFileSync('pnpm', ['pack', '--pack-destination', packed], {
    cwd: join(root, 'packages/client'),
    stdio: 'pipe',
  });
  tarball = join(packed, 'foley-client-0.1.0.tgz');
  stack = await startDevStack();
}, 180_000);
afterAll(async () => {
  if (stack) await stack.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('packs without workspace versions, installs with npm in a fresh folder, and dubs a video from node', async () => {
  const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
  expect(listing).toEqual(
    expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md']),
  );
  expect(listing.filter((f) => f.startsWith('package/src/') || f.endsWith('.test.js'))).toEqual([]);
  const manifest = execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  expect(manifest).not.toMatch(/workspace:|catalog:/);
  const pkg = JSON.parse(manifest);
  expect(pkg.version).toMatch(/^0\./);
  expect(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })).toEqual([]);

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  execFileSync(
    'npm',
    ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: app,
      stdio: 'pipe',
      timeout: 120_000,
    },
  );
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/@foley/client/package.json'), 'utf8'));
  expect(installed.name).toBe('@foley/client');

  writeFileSync(
    join(app, 'dub.mjs'),
    `import { createFoleyClient, FoleyApiError } from '@foley/client';
const foley = createFoleyClient({ apiUrl: process.env.FOLEY_API_URL, apiKey: process.env.FOLEY_API_KEY });
const job = await foley.jobs.create({ video_url: process.env.VIDEO_URL, sound_effect_prompt: 'footsteps' });
const seen = new Set();
const done = await foley.jobs.wait(job.id, { intervalMs: 250, timeoutMs: 60000, onUpdate: (j) => seen.add(j.status) });
const missing = await foley.jobs.get('job_01m8bv1zgbtqs9wa1dh6btddy2').catch((e) => e);
console.log(JSON.stringify({ id: job.id, status: done.status, video: done.output?.video.content_type, seen: [...seen],
  notFound: missing instanceof FoleyApiError ? missing.status : String(missing) }));
`,
  );
  const out = execFileSync(process.execPath, ['dub.mjs'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 90_000,
    env: {
      PATH: process.env.PATH ?? '',
      FOLEY_API_URL: stack.api,
      FOLEY_API_KEY: stack.apiKey,
      VIDEO_URL: `${stack.emulator}/_emulator/samples/sample.mp4`,
    },
  });
  const result = JSON.parse(out.trim().split('\n').at(-1) as string);
  expect(result).toMatchObject({ status: 'completed', video: 'video/mp4', notFound: 404 });
  expect(result.id).toMatch(/^job_/);
  expect(result.seen).toContain('completed');

  // The declarations stand alone too: a strict TypeScript consumer compiles against them (lib check on).
  writeFileSync(
    join(app, 'check.ts'),
    `import { createFoleyClient, verifyWebhook, type Job } from '@foley/client';
const foley = createFoleyClient({ apiUrl: 'http://127.0.0.1:1' });
export const pending: Promise<Job> = foley.jobs.create({ video_url: 'https://x/v.mp4', asmr_mode: true });
export const kind = (raw: string, h: Headers) => verifyWebhook(raw, h, 'whsec_x').type;
// @ts-expect-error an unknown field is a type error, as it is a 422 at the API
foley.jobs.create({ video_url: 'https://x/v.mp4', seed: 1 });
`,
  );
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2023',
      '--typeRoots',
      join(root, 'node_modules/@types'),
      '--types',
      'node',
      'check.ts',
    ],
    { cwd: app, stdio: 'pipe' },
  );
}, 240_000);
