import { readFileSync } from 'node:fs';
import { createMetrics } from '@foley/shared/infra/metrics';
import { describe, expect, it } from 'vitest';

// The alert rules and the Grafana dashboard name metrics by string; a rename in code must not leave
// them querying nothing. Every foley_* token they use must be a series a Foley registry exposes.
const infra = (path: string) => readFileSync(new URL(`../../../../infra/${path}`, import.meta.url), 'utf8');
const tokens = (text: string) => [...new Set(text.match(/\bfoley_[a-z0-9_]+/g) ?? [])];

async function exposedNames(): Promise<Set<string>> {
  const metrics = createMetrics({ service: 'worker' });
  metrics.collectQueues([
    { name: 'dubbing', getJobCounts: async () => ({}), getWorkersCount: async () => 1 },
  ]);
  // Touch every labelled metric so each family has samples (histograms expose _bucket/_sum/_count).
  metrics.jobsTotal.inc({ status: 'completed', code: 'none' });
  metrics.jobPhaseSeconds.observe({ phase: 'upload' }, 1);
  metrics.falRequestsTotal.inc({ op: 'submit', status: 'ok' });
  metrics.webhookDeliveriesTotal.inc({ outcome: 'delivered' });
  metrics.retriesTotal.inc({ code: 'timeout' });
  const text = await metrics.registry.metrics();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = line.startsWith('# TYPE ') ? line.split(' ')[2] : /^[a-z_:][a-z0-9_:]*/i.exec(line)?.[0];
    if (name) names.add(name);
  }
  return names;
}

describe('infra files use only metrics that exist', () => {
  it.each(['prometheus/alerts.yml', 'grafana/foley-dashboard.json', 'k8s/autoscaling.yaml', 'README.md'])(
    '%s',
    async (file) => {
      // The README also shows the dev API key (`foley_dev_key_…`): only its Metrics section names metrics.
      const text =
        file === 'README.md' ? (infra(file).split('## Metrics')[1]?.split('\n## ')[0] ?? '') : infra(file);
      const used = tokens(text);
      expect(used.length).toBeGreaterThan(0);
      const names = await exposedNames();
      expect(used.filter((name) => !names.has(name))).toEqual([]);
    },
  );

  it('alerts cover backlog, failures, webhooks and worker liveness', () => {
    const alerts = infra('prometheus/alerts.yml');
    const names = [...alerts.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(names).toEqual(
      expect.arrayContaining([
        'FoleyQueueBacklogGrowing',
        'FoleyJobFailureRatioHigh',
        'FoleyWebhookDeliveriesFailing',
        'FoleyNoWorkerAlive',
      ]),
    );
    expect(alerts).toContain('up{job="foley-worker"}');
    expect(infra('prometheus/prometheus.yml')).toContain('job_name: foley-worker');
  });

  it('the Grafana dashboard is valid JSON with a query on every panel', () => {
    const dashboard = JSON.parse(infra('grafana/foley-dashboard.json')) as {
      uid: string;
      panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('foley-overview');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr, panel.title).toMatch(/foley_/);
    }
  });

  it('ships a Redis config that keeps jobs', () => {
    const conf = infra('redis.conf')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(conf).toEqual(
      expect.arrayContaining(['appendonly yes', 'appendfsync everysec', 'maxmemory-policy noeviction']),
    );
  });
});
