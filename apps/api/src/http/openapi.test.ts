import type { Router } from 'express';
import { describe, expect, it } from 'vitest';
import { batchesRouter } from '../batches/batches-routes';
import { falCallbackRouter } from '../fal-callback/fal-callback-route';
import { jobsRouter } from '../jobs/jobs-routes';
import { healthRouter } from '../ops/health-routes';
import { metricsRouter } from '../ops/metrics-route';
import { usageRouter } from '../spend/usage-routes';
import { statusRouter } from '../status/status-routes';
import { uploadsRouter } from '../uploads/uploads-routes';
import { jobWebhooksRouter } from '../webhooks/job-webhooks-routes';
import { buildOpenApi, type OperationObject, openapiRouter } from './openapi';
import { renderDocsPage } from './openapi-docs';
import { API_ROUTES, expressPath } from './openapi-routes';

const doc = buildOpenApi();
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ path, method, op: op as OperationObject })),
);
const op = (method: string, path: string) => {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`${method} ${path} is not documented`);
  return found;
};

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with bearer security and the error schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toMatchObject({
      info: { title: 'Foley API' },
      security: [{ apiKey: [] }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    });
    expect(doc).toHaveProperty('components.schemas.Error.properties.error.required', ['code', 'message']);
  });

  it('documents every route of the API', () => {
    const documented = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    expect(documented).toEqual(
      [
        'POST /v1/jobs',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'POST /v1/jobs/{id}/cancel',
        'GET /v1/jobs/{id}/webhooks',
        'POST /v1/jobs/{id}/webhooks/{event_id}/redeliver',
        'POST /v1/batches',
        'GET /v1/batches/{id}',
        'POST /v1/batches/{id}/cancel',
        'GET /v1/usage',
        'POST /v1/uploads',
        'GET /v1/status',
        'POST /v1/fal/webhook',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        'GET /docs',
      ].sort(),
    );
  });

  it('gives every operation a unique id, a summary, responses, and declares each path parameter', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations) {
      expect(op.summary, path).not.toBe('');
      expect(Object.keys(op.responses).length, path).toBeGreaterThan(0);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared, path).toEqual(templated);
    }
  });

  it('requires the API key exactly on /v1 routes (except fal’s webhook) and documents their 401', () => {
    for (const { path, op } of operations) {
      const bearer = path.startsWith('/v1/') && path !== '/v1/fal/webhook';
      expect(op.security, path).toEqual(bearer ? [{ apiKey: [] }] : []);
      if (bearer) expect(op.responses['401'], path).toBeDefined();
    }
  });

  it('points every error response at the Error schema and every $ref somewhere real', () => {
    for (const { path, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400)
          expect(response.content?.['application/json']?.schema, `${path} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1] as string);
    for (const ref of refs) {
      const target = ref
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it('documents the 404 and 409 answers the handlers give besides lookups of an id', () => {
    const statuses = (method: string, path: string) => Object.keys(op(method, path).responses);
    expect(statuses('get', '/v1/jobs')).toContain('404'); // unknown batch_id
    for (const path of ['/v1/jobs', '/v1/batches', '/v1/jobs/{id}/cancel', '/v1/batches/{id}/cancel'])
      expect(statuses('post', path), path).toContain('409');
  });

  it('derives request schemas from the zod schemas the routes parse with', () => {
    const create = op('post', '/v1/jobs').requestBody?.content['application/json']?.schema as {
      required: string[];
      additionalProperties: unknown;
      properties: Record<string, unknown>;
    };
    expect(create.required).toEqual(['video_url']);
    expect(create.additionalProperties).toBe(false);
    expect(Object.keys(create.properties)).toEqual(
      expect.arrayContaining([
        'video_url',
        'sound_effect_prompt',
        'background_music_prompt',
        'asmr_mode',
        'webhook_url',
        'metadata',
      ]),
    );
    expect(create.properties.sound_effect_prompt).toMatchObject({ type: 'string', maxLength: 200 });

    const list = op('get', '/v1/jobs').parameters ?? [];
    expect(list.find((p) => p.name === 'status')).toMatchObject({
      in: 'query',
      schema: { enum: ['queued', 'processing', 'completed', 'failed', 'canceled'] },
    });
    expect(op('post', '/v1/jobs').parameters?.some((p) => p.name === 'Idempotency-Key')).toBe(true);

    const batch = op('post', '/v1/batches').requestBody?.content ?? {};
    expect(Object.keys(batch).sort()).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(batch['application/json']?.schema).toMatchObject({
      required: ['items'],
      properties: { items: { type: 'array', items: { required: ['video_url'] } } },
    });
  });
});

/** `[METHOD path]` of every route declared on a router (Express 5 router stack), nested routers included. */
function mountedRoutes(router: Router): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route?.path}`)
        : layer.handle?.stack
          ? walk(layer.handle.stack)
          : [],
    );
  return walk((router as unknown as { stack: Layer[] }).stack);
}

describe('route table vs the routers', () => {
  it('matches every route the routers declare, both ways', () => {
    const stub = {} as never;
    const routers = [
      jobsRouter({ jobs: stub, idempotency: stub, jsonLimit: 1024 }),
      batchesRouter({ batches: stub, idempotency: stub, bodyLimit: 1024, maxItems: 10 }),
      uploadsRouter({ store: stub }),
      usageRouter({ ledger: stub }),
      statusRouter({
        redis: stub,
        keys: stub,
        ready: stub,
        accounts: { byTenant: {} },
        maxQueued: () => undefined,
      }),
      jobWebhooksRouter({ jobs: stub, store: stub, producer: stub }),
      falCallbackRouter({ verifier: stub, jobs: stub, signals: stub }),
      healthRouter([]),
      metricsRouter(stub),
      openapiRouter(),
    ];
    const mounted = routers.flatMap(mountedRoutes).sort();
    const table = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${expressPath(r.path)}`).sort();
    expect(mounted).toEqual(table);
  });
});

describe('docs page', () => {
  const page = renderDocsPage(doc);

  it('lists every operation, self-contained (no scripts, nothing loaded from elsewhere)', () => {
    for (const { method, path } of operations)
      expect(page).toContain(`${method.toUpperCase()}</span> <code>${path}</code>`);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('escapes what it shows', () => {
    const evil = renderDocsPage({
      ...doc,
      info: { title: '<img src=x onerror=alert(1)>', version: '1', description: '' },
    });
    expect(evil).not.toContain('<img');
    expect(evil).toContain('&#60;img');
  });
});
