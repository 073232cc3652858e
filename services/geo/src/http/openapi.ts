import { PROBLEM_CONTENT_TYPE } from '@quadrants/service-kit';
import express, { type Router } from 'express';
import { z } from 'zod';
import { ConversionOut, PositionBody } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
  return rest;
}

/** GET takes the body's fields as query parameters; list each once, with its JSON Schema. */
function queryParameters(): JsonSchema[] {
  const seen = new Map<string, JsonSchema>();
  const systems = PositionBody.options.map((option) => option.shape.from.value);
  seen.set('from', {
    name: 'from',
    in: 'query',
    required: true,
    description: 'The system the position is given in; the other fields depend on it.',
    schema: { type: 'string', enum: systems },
  });
  for (const option of PositionBody.options) {
    for (const [name, field] of Object.entries(option.shape)) {
      if (seen.has(name)) continue;
      const schema = schemaOf(field, 'input');
      const { description, ...rest } = schema;
      seen.set(name, {
        name,
        in: 'query',
        required: false,
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return [...seen.values()];
}

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The OpenAPI 3.1 description of this service, generated from the schemas that validate. */
export function openApiDocument() {
  const conversion = {
    description: 'The position in every system.',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Conversion' } } },
  };
  return {
    openapi: '3.1.1',
    info: {
      title: 'quadrants geo',
      version: '1.0.0',
      description:
        'Converts a position between WGS84 latitude/longitude, UTM/UPS, MGRS and Web Mercator.',
    },
    paths: {
      '/convert': {
        get: {
          operationId: 'convertQuery',
          summary: 'Convert one position given in the query string',
          parameters: queryParameters(),
          responses: {
            '200': conversion,
            '400': problem('A parameter is missing, malformed or out of range.'),
          },
        },
        post: {
          operationId: 'convertBody',
          summary: 'Convert one position given as JSON',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Position' } } },
          },
          responses: {
            '200': conversion,
            '400': problem(
              'A field is missing, malformed or out of range, or the body is not JSON.',
            ),
            '413': problem('The body is larger than the service accepts.'),
            '415': problem('The body is not application/json.'),
          },
        },
      },
    },
    components: {
      schemas: {
        Position: schemaOf(PositionBody, 'input'),
        Conversion: schemaOf(ConversionOut, 'output'),
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details.',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'detail'],
                properties: { field: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}

export function openApiRoutes(): Router {
  const document = openApiDocument();
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
