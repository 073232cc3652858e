// Baseline: express with one route and its defaults, calling geo's own convert().
import { convert } from '@quadrants/geo/domain/convert';
import { builtInIds } from '@quadrants/geo/domain/crs-catalog';
import express from 'express';
import { announce } from '../../lib/announce.ts';

const app = express();
app.get('/convert', (req, res) => {
  const lat = Number(req.query.lat);
  const lon = Number(req.query.lon);
  res.json(
    convert({ from: 'latlon', lat, lon }, builtInIds, { mgrsPrecision: 5, dmsPrecision: 1 }),
  );
});

await announce(app.listen(0, '127.0.0.1'));
