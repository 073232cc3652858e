import {
  type JsonSchema,
  jsonBody,
  jsonResponse,
  type OpenApiDocument,
  problemResponse,
  problemSchema,
  queryParameter,
  queryParametersOf,
  ref,
  schemaOf,
} from '@quadrants/service-kit';
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
      if (name !== 'from' && !fields.has(name))
        fields.set(name, queryParameter(name, schema, false));
    }
  }
  return [
    queryParameter(
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
    ...queryParametersOf(schemaOf(OptionsQuery)).map((p) =>
      p.name === 'to'
        ? { ...p, description: 'Comma-separated systems to answer in, e.g. utm,mgrs,EPSG:27700.' }
        : p,
    ),
  ];
}

const invalid = problemResponse(
  'A field is missing, malformed or out of range, or the body is not JSON.',
);
const outside = problemResponse(
  'Well-formed, but outside what the system covers (a zone, an area of use).',
);
const tooLarge = problemResponse('The body is larger than the service accepts.');
const notJson = problemResponse('The body is not application/json.');

/** The OpenAPI 3.1 description of geo, generated from the schemas that validate. */
export function openApiDocument(): OpenApiDocument {
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
            '200': jsonResponse(ref('Conversion'), 'The position in each system asked for.'),
            '304': { description: 'Not modified: the ETag in If-None-Match is current.' },
            '400': invalid,
            '422': outside,
          },
        },
        post: {
          operationId: 'convertBody',
          summary: 'Convert one position given as JSON',
          requestBody: jsonBody('ConvertRequest'),
          responses: {
            '200': jsonResponse(ref('Conversion'), 'The position in each system asked for.'),
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
          requestBody: jsonBody('BatchRequest'),
          responses: {
            '200': jsonResponse(ref('BatchResponse'), 'One result per point, in order.'),
            '400': invalid,
            '413': problemResponse(
              'More points than GEO_BATCH_MAX_POINTS, or a body over the limit.',
            ),
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
          parameters: queryParametersOf(schemaOf(OptionsQuery)),
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
            '415': problemResponse('The body is not application/x-ndjson.'),
          },
        },
      },
      '/geodesic/inverse': {
        get: {
          operationId: 'geodesicInverseQuery',
          summary: 'Distance and azimuths between two points (cacheable)',
          parameters: queryParametersOf(schemaOf(GeodesicInverseBody)),
          responses: {
            '200': jsonResponse(
              ref('GeodesicInverse'),
              'The shortest path on the WGS84 ellipsoid.',
            ),
            '304': { description: 'Not modified.' },
            '400': invalid,
          },
        },
        post: {
          operationId: 'geodesicInverseBody',
          summary: 'Distance and azimuths between two points',
          requestBody: jsonBody('GeodesicInverseRequest'),
          responses: {
            '200': jsonResponse(
              ref('GeodesicInverse'),
              'The shortest path on the WGS84 ellipsoid.',
            ),
            '400': invalid,
            '415': notJson,
          },
        },
      },
      '/geodesic/direct': {
        get: {
          operationId: 'geodesicDirectQuery',
          summary: 'Where a distance along an azimuth leads (cacheable)',
          parameters: queryParametersOf(schemaOf(GeodesicDirectBody)),
          responses: {
            '200': jsonResponse(ref('GeodesicDirect'), 'The end point and its azimuth.'),
            '304': { description: 'Not modified.' },
            '400': invalid,
          },
        },
        post: {
          operationId: 'geodesicDirectBody',
          summary: 'Where a distance along an azimuth leads',
          requestBody: jsonBody('GeodesicDirectRequest'),
          responses: {
            '200': jsonResponse(ref('GeodesicDirect'), 'The end point and its azimuth.'),
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
            '200': jsonResponse(ref('CrsList'), 'Every system, with its input fields.'),
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
        Problem: problemSchema,
      },
    },
  };
}
