// What every service's OpenAPI document shares: zod schemas as JSON Schema, the small builders
// for responses and parameters, the Problem schema, and the routes that serve the document
// (`/openapi.json`) and an interactive reference of it (`/docs`, Swagger UI from npm, no CDN).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from './errors.ts';

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the $schema key. */
export function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
  return rest;
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** One query parameter; a schema's description becomes the parameter's. */
export function queryParameter(name: string, schema: JsonSchema, required: boolean): JsonSchema {
  const { description, ...rest } = schema;
  return {
    name,
    in: 'query',
    required,
    ...(typeof description === 'string' ? { description } : {}),
    schema: rest,
  };
}

/** Query parameters from a JSON object schema's properties. */
export function queryParametersOf(object: JsonSchema): JsonSchema[] {
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) =>
    queryParameter(name, schema, required.has(name)),
  );
}

export const jsonResponse = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
});

export const jsonBody = (schemaName: string) => ({
  required: true,
  content: { 'application/json': { schema: ref(schemaName) } },
});

/** RFC 9457 problem details, as the kit's problemHandler writes them. */
export const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Stable: clients may branch on it.' },
    traceId: {
      type: 'string',
      pattern: '^[0-9a-f]{32}$',
      description:
        "The request's W3C trace-id (its traceparent's, or a new one): every log line of the journey carries it.",
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'detail'],
        properties: { field: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
};

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
}

const swaggerUiDir = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

// No inline script: the page passes helmet's Content-Security-Policy as it is. Every path in it is
// relative, so the same page works at /docs and behind a prefix (/api/geo/docs on the one origin).
const docsPage = (title: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title.replaceAll(/[<>&"]/g, '')} — API reference</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

// Resolved against the page: /openapi.json beside /docs, /api/geo/openapi.json beside /api/geo/docs.
const docsInit = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
});
`;

// A path prefix as a proxy in front says it put the service under (X-Forwarded-Prefix, which the
// one origin's gateway sends as /api/geo): segments of URL-safe characters, nothing to escape,
// none of them `.` or `..`.
const FORWARDED_PREFIX = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*){1,8}$/;

/** The prefix the service is reached under, from X-Forwarded-Prefix when it is one; else ''. */
function prefixOf(req: Request): string {
  const offered = req.headers['x-forwarded-prefix'];
  return typeof offered === 'string' && FORWARDED_PREFIX.test(offered) ? offered : '';
}

/**
 * `/openapi.json`, the interactive reference at `/docs`, and `/`, which points to both (a
 * browser is sent to `/docs`; anything else gets the links as JSON). Behind a proxy that says
 * where it put the service (X-Forwarded-Prefix: /api/geo), the document names that prefix as
 * its server, so "Try it out" calls /api/geo/convert rather than /convert, and `/` points under
 * it; the header changes nothing else, and a value that is not a plain path is ignored.
 */
export function openApiRoutes(document: OpenApiDocument): Router {
  const router = express.Router();
  const body = JSON.stringify(document);
  const page = docsPage(document.info.title);
  router.get('/openapi.json', (req, res) => {
    const prefix = prefixOf(req);
    res.vary('X-Forwarded-Prefix');
    res
      .type('application/json')
      .send(prefix ? JSON.stringify({ ...document, servers: [{ url: prefix }] }) : body);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('text/javascript').send(docsInit);
  });
  router.use('/docs/assets', express.static(swaggerUiDir, { index: false, maxAge: '1d' }));
  router.get('/', (req, res) => {
    const prefix = prefixOf(req);
    res.vary('X-Forwarded-Prefix');
    if (req.accepts(['json', 'html']) === 'html') {
      res.redirect(302, `${prefix}/docs`);
      return;
    }
    res.json({
      service: document.info.title,
      version: document.info.version,
      links: {
        docs: `${prefix}/docs`,
        openapi: `${prefix}/openapi.json`,
        health: `${prefix}/healthz`,
        ready: `${prefix}/readyz`,
      },
    });
  });
  return router;
}
