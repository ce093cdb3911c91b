import { Router } from 'express';
import { z } from 'zod';
import { renderDocsPage } from './openapi-docs';
import { API_ROUTES, type RouteSpec } from './openapi-routes';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, OperationObject>>;
};
export interface OperationObject {
  operationId: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: Array<Record<string, unknown>>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** zod → JSON Schema (2020-12, as OpenAPI 3.1 uses) for what clients send; `$schema` dropped. */
function jsonSchema(schema: z.ZodType | JsonSchema): JsonSchema {
  if (!(schema instanceof z.ZodType)) return schema;
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function parameters(route: RouteSpec): Array<Record<string, unknown>> {
  const params: Array<Record<string, unknown>> = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const query = jsonSchema(route.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      params.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  if (route.idempotent) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Same key and same body → the same resource; same key and another body → 422.',
      schema: { type: 'string', maxLength: 255 },
    });
  }
  return params;
}

function operation(route: RouteSpec): OperationObject {
  const op: OperationObject = {
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c?: string) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    tags: [route.tag],
    security: route.auth === 'bearer' ? [{ apiKey: [] }] : [],
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, description]) => {
        const ok = Number(status) < 400;
        const type = ok ? (route.produces ?? 'application/json') : 'application/json';
        const schema = ok
          ? type === 'application/json'
            ? { type: 'object' }
            : { type: 'string' }
          : ERROR_REF;
        return [status, { description, content: { [type]: { schema } } }];
      }),
    ),
  };
  const params = parameters(route);
  if (params.length) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: true,
      content: Object.fromEntries(
        Object.entries(route.body).map(([type, s]) => [type, { schema: jsonSchema(s) }]),
      ),
    };
  }
  return op;
}

/** The OpenAPI 3.1 document of every route in `routes`. */
export function buildOpenApi(routes: RouteSpec[] = API_ROUTES): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Foley API',
      version: '1.0.0',
      description:
        'Dubs videos with sound effects and music through fal.ai `fal-ai/kling-video/video-to-audio`, ' +
        'stores the results in S3 and reports every job over HTTP and signed webhooks.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', examples: ['validation_error'] },
                message: { type: 'string' },
                details: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }] },
                request_id: { type: 'string' },
              },
            },
          },
        },
      },
    },
  };
}

/** `GET /openapi.json` and `GET /docs` (public; built once). */
export function openapiRouter(routes: RouteSpec[] = API_ROUTES): Router {
  const document = buildOpenApi(routes);
  const page = renderDocsPage(document);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  return router;
}
