import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The deploy files say what the README says about them (they are not run here: no Docker engine).
const file = (path: string) => readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8');

describe('deploy files', () => {
  it('.env.example lists every variable docker-compose.yml reads', () => {
    const used = new Set([...file('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const listed = new Set([...file('.env.example').matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !listed.has(name))).toEqual([]);
  });

  it('runs the fal emulator only under the dev profile', () => {
    const compose = file('docker-compose.yml');
    const emulator = compose.split('\n  emulator:\n')[1]?.split(/\n {2}[a-z-]+:\n/)[0] ?? '';
    expect(emulator).toMatch(/profiles: \[dev\]/);
    expect(compose).toMatch(/emulator: \{ condition: service_started, required: false \}/);
  });

  it('builds the images on Node 22 while the code still declares Node 20', () => {
    const froms = [...file('infra/Dockerfile').matchAll(/^FROM (node:\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    expect(froms.every((image) => image?.startsWith('node:22'))).toBe(true);
    expect(JSON.parse(file('package.json')).engines.node).toBe('>=20.18');
  });

  it('limits voluntary disruptions of the workers with a PodDisruptionBudget', () => {
    const budgets = file('infra/k8s/disruption.yaml');
    expect(budgets).toMatch(
      /kind: PodDisruptionBudget[\s\S]*name: foley-worker[\s\S]*maxUnavailable: 1[\s\S]*component: worker/,
    );
    expect(file('infra/k8s/kustomization.yaml')).toMatch(/- disruption\.yaml/);
  });
});
