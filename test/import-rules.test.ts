import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The dependency rules of ARCHITECTURE.md are enforced by Biome's noRestrictedImports (biome.json).
// Each case lints a one-line probe file, placed where the rule applies, in a scratch copy of the config.
const root = fileURLToPath(new URL('..', import.meta.url));
const biome = join(root, 'node_modules/.bin/biome');

// Each rule: the files it covers, imports it must refuse there, and imports it must let through.
const rules: Array<{ rule: string; files: string[]; refused: string[]; allowed: string[] }> = [
  {
    rule: 'worker processors see interfaces, never the libraries behind the adapters',
    files: [
      'apps/worker/src/dubbing/dub.ts',
      'apps/worker/src/dubbing/dub-wait.ts',
      'apps/worker/src/webhooks/deliver-webhook.ts',
    ],
    refused: ['ioredis', 'bullmq', '@aws-sdk/client-s3', 'express'],
    allowed: ['@foley/shared/jobs/contract', './dub-deps'],
  },
  {
    rule: 'adapters may use those libraries',
    files: ['apps/worker/src/clients/fal-slots.ts', 'apps/worker/src/dubbing/dubbing-worker.ts'],
    refused: ['@foley/api/server'],
    allowed: ['ioredis', 'bullmq'],
  },
  {
    rule: 'the API never imports the worker, tests included',
    files: ['apps/api/src/server.ts', 'apps/api/src/jobs/jobs-service.test.ts'],
    refused: ['@foley/worker/start-worker', '../../../worker/src/start-worker'],
    allowed: ['@foley/shared/jobs/signals'],
  },
  {
    rule: "the emulator states fal's contract itself and mirrors none of Foley's modules",
    files: ['apps/fal-emulator/src/input-validation.ts', 'apps/fal-emulator/src/routes/queue.ts'],
    refused: ['@foley/shared/jobs/model', '@foley/shared/queues/catalog', '@foley/worker/config'],
    allowed: ['@foley/shared/infra/logger', './fal-contract'],
  },
  {
    rule: 'another package is reached by its name, never its src/ by relative path',
    files: ['test/pipeline.int.test.ts', 'bench/s3-copy.ts', 'apps/worker/src/start-worker.ts'],
    refused: ['../apps/api/src/server', '../packages/shared/src/infra/s3', '../../api/src/server'],
    allowed: ['@foley/shared/infra/s3', './support/stack'],
  },
  {
    rule: 'the published SDK imports no workspace package (its API types are generated)',
    files: ['packages/client/src/jobs.ts', 'packages/client/src/webhooks/verify.ts'],
    refused: ['@foley/shared/jobs/contract', '@foley/api/http/public-types', '@foley/shared'],
    allowed: ['./transport.js', 'node:crypto'],
  },
  {
    rule: "the SDK's tests may use workspace packages (the server's signer)",
    files: ['packages/client/src/webhooks/verify.test.ts'],
    refused: ['../../../shared/src/webhooks/signature'],
    allowed: ['@foley/shared/webhooks/signature', 'standardwebhooks'],
  },
];
const cases = rules.flatMap(({ rule, files, refused, allowed }) =>
  files.flatMap((file) => [
    ...refused.map((spec) => ({ rule, file, spec, fires: true })),
    ...allowed.map((spec) => ({ rule, file, spec, fires: false })),
  ]),
);

// One Biome run over every probe: each file imports one spec per line; diagnostics are read by line.
const probeFiles = [...new Set(cases.map((c) => c.file))];
let fired: Set<string>;
let checked: string;

beforeAll(() => {
  const scratch = mkdtempSync(join(tmpdir(), 'foley-import-rules-'));
  try {
    const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
    delete config.$schema;
    config.vcs = { enabled: false };
    writeFileSync(join(scratch, 'biome.json'), JSON.stringify(config));
    for (const file of probeFiles) {
      const specs = cases.filter((c) => c.file === file).map((c) => c.spec);
      const lines = specs.map((spec, n) => `import { probe${n} } from '${spec}';`);
      lines.push('', `export const used = [${specs.map((_, n) => `probe${n}`).join(', ')}];`, '');
      mkdirSync(dirname(join(scratch, file)), { recursive: true });
      writeFileSync(join(scratch, file), lines.join('\n'));
    }
    const run = spawnSync(biome, ['lint', '--max-diagnostics=none', ...probeFiles], {
      cwd: scratch,
      encoding: 'utf8',
    });
    checked = `${run.stdout}${run.stderr}`;
    fired = new Set(
      [...checked.matchAll(/^(\S+?):(\d+):\d+ lint\/style\/noRestrictedImports/gm)].map(
        (m) => `${m[1]}:${m[2]}`,
      ),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe('import rules', () => {
  it('linted every probe file', () => {
    expect(checked).toContain(`Checked ${probeFiles.length} files`);
  });

  it.each(cases)('$rule: $file importing $spec (refused: $fires)', ({ file, spec, fires }) => {
    const line = cases.filter((c) => c.file === file).findIndex((c) => c.spec === spec) + 1;
    expect(fired.has(`${file}:${line}`)).toBe(fires);
  });
});
