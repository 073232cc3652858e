import { PROBLEM_CONTENT_TYPE } from '@quadrants/service-kit';
import express, { type Router } from 'express';
import { z } from 'zod';
import {
  BatchBody,
  BatchOut,
  ConversionOut,
  ConvertBody,
  CrsListOut,
  GeodesicDirectBody,
  GeodesicDirectOut,
  GeodesicInverseBody,
  GeodesicInverseOut,
  ItemErrorOut,
  OptionsQuery,
  Position,
} from './schemas.ts';

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the $schema key. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function parameter(name: string, schema: JsonSchema, required: boolean): JsonSchema {
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
function parametersOf(object: JsonSchema): JsonSchema[] {
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) =>
    parameter(name, schema, required.has(name)),
  );
}

/** GET /convert takes every system's fields; each is listed once, `from` first. */
function convertParameters(position: JsonSchema): JsonSchema[] {
  const variants = (position.oneOf ?? position.anyOf ?? []) as JsonSchema[];
  const fields = new Map<string, JsonSchema>();
  const systems: string[] = [];
  for (const variant of variants) {
    const properties = variant.properties as Record<string, JsonSchema>;
    const from = properties.from ?? {};
    systems.push(...((from.enum as string[] | undefined) ?? [from.const as string]));
    for (const [name, schema] of Object.entries(properties)) {
      if (name !== 'from' && !fields.has(name)) fields.set(name, parameter(name, schema, false));
    }
  }
  return [
    parameter(
      'from',
      {
        type: 'string',
        enum: systems,
        description:
          'The system the position is given in (case-insensitive; EPSG:4326, EPSG:3857 and ' +
          'EPSG:4978 stand for latlon, webmercator and ecef). The fields it needs are those ' +
          'of its variant in the Position schema.',
      },
      true,
    ),
    ...fields.values(),
    ...parametersOf(schemaOf(OptionsQuery)).map((p) =>
      p.name === 'to'
        ? { ...p, description: 'Comma-separated systems to answer in, e.g. utm,mgrs,EPSG:27700.' }
        : p,
    ),
  ];
}

const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
});
const bodyOf = (name: string) => ({
  required: true,
  content: { 'application/json': { schema: ref(name) } },
});

const invalid = problem('A field is missing, malformed or out of range, or the body is not JSON.');
const outside = problem(
  'Well-formed, but outside what the system covers (a zone, an area of use).',
);
const tooLarge = problem('The body is larger than the service accepts.');
const notJson = problem('The body is not application/json.');

/** The OpenAPI 3.1 description of geo, generated from the schemas that validate. */
export function openApiDocument() {
  const position = schemaOf(Position);
  const batch = schemaOf(BatchBody);
  (batch.properties as Record<string, JsonSchema>).points = {
    type: 'array',
    items: ref('Position'),
    description: `Positions, each as \`position\` in POST /convert.`,
  };

  return {
    openapi: '3.1.1',
    info: {
      title: 'quadrants geo',
      version: '2.0.0',
      description:
        'Converts positions between WGS84 latitude/longitude (decimal and DMS), UTM/UPS, MGRS, ' +
        'Web Mercator, ECEF and bundled EPSG systems, and solves geodesics on WGS84.',
    },
    paths: {
      '/convert': {
        get: {
          operationId: 'convertQuery',
          summary: 'Convert one position given in the query string (cacheable)',
          parameters: convertParameters(position),
          responses: {
            '200': json(ref('Conversion'), 'The position in each system asked for.'),
            '304': { description: 'Not modified: the ETag in If-None-Match is current.' },
            '400': invalid,
            '422': outside,
          },
        },
        post: {
          operationId: 'convertBody',
          summary: 'Convert one position given as JSON',
          requestBody: bodyOf('ConvertRequest'),
          responses: {
            '200': json(ref('Conversion'), 'The position in each system asked for.'),
            '400': invalid,
            '413': tooLarge,
            '415': notJson,
            '422': outside,
          },
        },
      },
      '/convert/batch': {
        post: {
          operationId: 'convertBatch',
          summary: 'Convert up to the configured number of positions; each answered in place',
          requestBody: bodyOf('BatchRequest'),
          responses: {
            '200': json(ref('BatchResponse'), 'One result per point, in order.'),
            '400': invalid,
            '413': problem('More points than GEO_BATCH_MAX_POINTS, or a body over the limit.'),
            '415': notJson,
          },
        },
      },
      '/convert/stream': {
        post: {
          operationId: 'convertStream',
          summary: 'Convert any number of positions as NDJSON, in constant memory',
          description:
            'One Position per line in, one line out per line in, in order: a Conversion, or an ' +
            'ItemError naming the line. A bad line does not stop the stream.',
          parameters: parametersOf(schemaOf(OptionsQuery)),
          requestBody: {
            required: true,
            content: { 'application/x-ndjson': { schema: ref('Position') } },
          },
          responses: {
            '200': {
              description: 'One line per input line.',
              content: { 'application/x-ndjson': { schema: ref('StreamLine') } },
            },
            '400': invalid,
            '415': problem('The body is not application/x-ndjson.'),
          },
        },
      },
      '/geodesic/inverse': {
        get: {
          operationId: 'geodesicInverseQuery',
          summary: 'Distance and azimuths between two points (cacheable)',
          parameters: parametersOf(schemaOf(GeodesicInverseBody)),
          responses: {
            '200': json(ref('GeodesicInverse'), 'The shortest path on the WGS84 ellipsoid.'),
            '304': { description: 'Not modified.' },
            '400': invalid,
          },
        },
        post: {
          operationId: 'geodesicInverseBody',
          summary: 'Distance and azimuths between two points',
          requestBody: bodyOf('GeodesicInverseRequest'),
          responses: {
            '200': json(ref('GeodesicInverse'), 'The shortest path on the WGS84 ellipsoid.'),
            '400': invalid,
            '415': notJson,
          },
        },
      },
      '/geodesic/direct': {
        get: {
          operationId: 'geodesicDirectQuery',
          summary: 'Where a distance along an azimuth leads (cacheable)',
          parameters: parametersOf(schemaOf(GeodesicDirectBody)),
          responses: {
            '200': json(ref('GeodesicDirect'), 'The end point and its azimuth.'),
            '304': { description: 'Not modified.' },
            '400': invalid,
          },
        },
        post: {
          operationId: 'geodesicDirectBody',
          summary: 'Where a distance along an azimuth leads',
          requestBody: bodyOf('GeodesicDirectRequest'),
          responses: {
            '200': json(ref('GeodesicDirect'), 'The end point and its azimuth.'),
            '400': invalid,
            '415': notJson,
          },
        },
      },
      '/crs': {
        get: {
          operationId: 'listSystems',
          summary: 'The coordinate systems this service reads and writes',
          responses: {
            '200': json(ref('CrsList'), 'Every system, with its input fields.'),
            '304': { description: 'Not modified.' },
          },
        },
      },
    },
    components: {
      schemas: {
        Position: position,
        ConvertRequest: schemaOf(ConvertBody),
        BatchRequest: batch,
        Conversion: schemaOf(ConversionOut, 'output'),
        ItemError: schemaOf(ItemErrorOut, 'output'),
        StreamLine: { oneOf: [ref('Conversion'), ref('ItemError')] },
        BatchResponse: schemaOf(BatchOut, 'output'),
        GeodesicInverseRequest: schemaOf(GeodesicInverseBody),
        GeodesicInverse: schemaOf(GeodesicInverseOut, 'output'),
        GeodesicDirectRequest: schemaOf(GeodesicDirectBody),
        GeodesicDirect: schemaOf(GeodesicDirectOut, 'output'),
        CrsList: schemaOf(CrsListOut, 'output'),
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
