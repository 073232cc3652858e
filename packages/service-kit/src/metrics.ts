import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Counts and times every request by method, route template and status. */
  middleware: RequestHandler;
}

type Labels = { method: string; route: string; status: string };

/** One method, route and status: its count so far and its histogram child. */
interface Series {
  labels: Labels;
  count: number;
  observe: (seconds: number) => void;
}

/** One registry per app, so tests and several apps in one process never share counters. */
export function createMetrics(options: { service: string }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });

  // prom-client checks a label object and joins it into a string key on every inc and every
  // observe (a child from .labels() too), and a profile of geo under load shows it on each
  // request. So each series is found here, by method, route and status, its histogram child
  // made once, and the counter filled in from its counts only when it is read.
  const series = new Map<string, Map<string, Map<number, Series>>>();
  const labelNames = ['method', 'route', 'status'] as const;
  // Registered with the registry, which reads it through collect(); nothing else holds it.
  new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const routes of series.values())
        for (const statuses of routes.values())
          for (const { labels, count } of statuses.values()) this.inc(labels, count);
    },
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route and status.',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const seriesOf = (method: string, route: string, status: number): Series => {
    let routes = series.get(method);
    if (routes === undefined) {
      routes = new Map();
      series.set(method, routes);
    }
    let statuses = routes.get(route);
    if (statuses === undefined) {
      statuses = new Map();
      routes.set(route, statuses);
    }
    let found = statuses.get(status);
    if (found === undefined) {
      const labels = { method, route, status: String(status) };
      found = { labels, count: 0, observe: duration.labels(labels).observe };
      statuses.set(status, found);
    }
    return found;
  };

  const middleware: RequestHandler = (req, res, next) => {
    const start = performance.now();
    // 'finish' comes once, and only for an answered request: aborted ones are not counted.
    res.on('finish', () => {
      // The route template, never the raw path, so that the label set stays bounded: a request
      // answered before any route matched (a 404, a 405, a 415 from the body check) is
      // '(unmatched)', whatever its path.
      const route = req.route?.path ?? '(unmatched)';
      const one = seriesOf(req.method, String(route), res.statusCode);
      one.count++;
      one.observe((performance.now() - start) / 1000);
    });
    next();
  };

  return { registry, middleware };
}
