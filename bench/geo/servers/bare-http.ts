// Baseline: node:http alone, calling geo's own convert(): the floor under any framework.
import { createServer } from 'node:http';
import { convert } from '@quadrants/geo/domain/convert';
import { builtInIds } from '@quadrants/geo/domain/crs-catalog';
import { announce } from '../../lib/announce.ts';

const server = createServer((req, res) => {
  const [path, query] = (req.url ?? '').split('?', 2);
  const params = new URLSearchParams(query);
  if (req.method !== 'GET' || path !== '/convert' || params.get('from') !== 'latlon') {
    res.writeHead(404).end();
    return;
  }
  const lat = Number(params.get('lat'));
  const lon = Number(params.get('lon'));
  const body = JSON.stringify(
    convert({ from: 'latlon', lat, lon }, builtInIds, { mgrsPrecision: 5, dmsPrecision: 1 }),
  );
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});

await announce(server.listen(0, '127.0.0.1'));
