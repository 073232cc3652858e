// What `pnpm load` counts and how it prints it: per service, requests, errors and latency in an
// HDR histogram (Node's own, perf_hooks.createHistogram), once for the current window and once
// for the whole run; the journeys and payments; the text of a window and of the summary, and the
// summary as JSON. Pure: the caller passes the clock, so load.test.ts checks it without waiting.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** The five services, in the order every line and table shows them. */
export const serviceNames = ['static-site', 'geo', 'basket', 'transactions', 'uploads'] as const;
export type ServiceName = (typeof serviceNames)[number];

/**
 * How one request ended. `declined`: an expected business answer (a payment refused for
 * insufficient funds), counted apart and never an error. `cancelled`: cut off by Ctrl-C, so
 * neither timed nor an error.
 */
export type Outcome = 'ok' | 'declined' | 'error' | 'cancelled';

export interface ServiceFigures {
  requests: number;
  /** Requests per second over the window or the run. */
  rps: number;
  errors: number;
  /** Milliseconds; null when there was no timed request. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface Journeys {
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Arrivals not started because --concurrency journeys were in flight. */
  skipped: number;
}

export interface Summary {
  origin: string;
  seconds: number;
  services: Record<ServiceName, ServiceFigures>;
  requests: number;
  errors: number;
  /** errors / requests, 0 when nothing was sent. */
  errorRate: number;
  journeys: Journeys;
  payments: { paid: number; declined: number };
  /** Why requests failed, most frequent first: "GET /api/geo/geodesic/inverse: 503" → count. */
  errorReasons: { reason: string; count: number }[];
}

export interface Window {
  fromSeconds: number;
  toSeconds: number;
  services: Record<ServiceName, ServiceFigures>;
  journeys: Journeys;
  inFlight: number;
}

interface Tally {
  requests: number;
  errors: number;
  latency: RecordableHistogram;
}

const aTally = (): Tally => ({ requests: 0, errors: 0, latency: createHistogram() });
const tallies = () =>
  Object.fromEntries(serviceNames.map((name) => [name, aTally()])) as Record<ServiceName, Tally>;
const noJourneys = (): Journeys => ({
  started: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  skipped: 0,
});

/** The histograms hold whole microseconds: sub-millisecond answers are common on loopback. */
const toMicros = (ms: number) => Math.max(1, Math.round(ms * 1000));

/** To `places` decimals, so that the JSON shows no more digits than the figures hold. */
const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

function figures(tally: Tally, seconds: number): ServiceFigures {
  const timed = tally.latency.count > 0;
  return {
    requests: tally.requests,
    rps: seconds > 0 ? round(tally.requests / seconds, 2) : 0,
    errors: tally.errors,
    p50Ms: timed ? tally.latency.percentile(50) / 1000 : null,
    p99Ms: timed ? tally.latency.percentile(99) / 1000 : null,
  };
}

export class LoadStats {
  readonly #origin: string;
  readonly #start: number;
  #windowStart: number;
  #window = tallies();
  #windowJourneys = noJourneys();
  readonly #run = tallies();
  readonly #journeys = noJourneys();
  readonly #payments = { paid: 0, declined: 0 };
  readonly #reasons = new Map<string, number>();

  /** `now` is in milliseconds, on the clock every later call uses (performance.now()). */
  constructor(origin: string, now: number) {
    this.#origin = origin;
    this.#start = now;
    this.#windowStart = now;
  }

  /** One request's end; `latencyMs` is left out for a cancelled one. */
  request(service: ServiceName, outcome: Outcome, latencyMs?: number, reason?: string): void {
    if (outcome === 'cancelled') return;
    for (const tally of [this.#window[service], this.#run[service]]) {
      tally.requests += 1;
      if (outcome === 'error') tally.errors += 1;
      if (latencyMs !== undefined) tally.latency.record(toMicros(latencyMs));
    }
    if (outcome === 'error') {
      const key = reason ?? 'unknown';
      this.#reasons.set(key, (this.#reasons.get(key) ?? 0) + 1);
    }
  }

  journey(event: keyof Journeys): void {
    this.#journeys[event] += 1;
    this.#windowJourneys[event] += 1;
  }

  payment(result: 'paid' | 'declined'): void {
    this.#payments[result] += 1;
  }

  /** The window since the last call (or the start), and a fresh one from `now`. */
  window(now: number, inFlight: number): Window {
    const seconds = (now - this.#windowStart) / 1000;
    const services = Object.fromEntries(
      serviceNames.map((name) => [name, figures(this.#window[name], seconds)]),
    ) as Record<ServiceName, ServiceFigures>;
    const window: Window = {
      fromSeconds: (this.#windowStart - this.#start) / 1000,
      toSeconds: (now - this.#start) / 1000,
      services,
      journeys: this.#windowJourneys,
      inFlight,
    };
    this.#windowStart = now;
    this.#window = tallies();
    this.#windowJourneys = noJourneys();
    return window;
  }

  summary(now: number): Summary {
    const seconds = (now - this.#start) / 1000;
    const services = Object.fromEntries(
      serviceNames.map((name) => [name, figures(this.#run[name], seconds)]),
    ) as Record<ServiceName, ServiceFigures>;
    const all = Object.values(services);
    const requests = all.reduce((sum, s) => sum + s.requests, 0);
    const errors = all.reduce((sum, s) => sum + s.errors, 0);
    return {
      origin: this.#origin,
      seconds: round(seconds, 3),
      services,
      requests,
      errors,
      errorRate: requests > 0 ? round(errors / requests, 6) : 0,
      journeys: { ...this.#journeys },
      payments: { ...this.#payments },
      errorReasons: [...this.#reasons]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    };
  }
}

const width = Math.max(...serviceNames.map((name) => name.length));
const ms = (value: number | null) => (value === null ? '–' : value.toFixed(1));
const rps = (value: number) => value.toFixed(1);

/** A window as a heading line and one line per service. */
export function formatWindow(window: Window): string {
  const j = window.journeys;
  const heading =
    `${window.fromSeconds.toFixed(0)}–${window.toSeconds.toFixed(0)} s: ` +
    `${j.started} journeys started, ${j.completed} completed, ${j.failed} failed` +
    (j.skipped > 0 ? `, ${j.skipped} skipped` : '') +
    `, ${window.inFlight} in flight`;
  const lines = serviceNames.map((name) => {
    const s = window.services[name];
    return (
      `  ${name.padEnd(width)} ${rps(s.rps).padStart(7)} req/s ${String(s.errors).padStart(5)} errors` +
      `   p50 ${ms(s.p50Ms).padStart(7)} ms   p99 ${ms(s.p99Ms).padStart(7)} ms`
    );
  });
  return [heading, ...lines].join('\n');
}

/** The run as a table per service, then journeys, payments and the commonest errors. */
export function formatSummary(summary: Summary, concurrency: number): string {
  const columns = ['requests', 'req/s', 'errors', 'p50 ms', 'p99 ms'];
  const row = (name: string, cells: string[]) =>
    `${name.padEnd(width)} ${cells.map((cell) => cell.padStart(9)).join(' ')}`;
  const total = summary.services;
  const j = summary.journeys;
  const lines = [
    `summary: ${summary.seconds.toFixed(1)} s against ${summary.origin}`,
    row('service', columns),
    ...serviceNames.map((name) =>
      row(name, [
        String(total[name].requests),
        rps(total[name].rps),
        String(total[name].errors),
        ms(total[name].p50Ms),
        ms(total[name].p99Ms),
      ]),
    ),
    row('all', [
      String(summary.requests),
      rps(summary.seconds > 0 ? summary.requests / summary.seconds : 0),
      String(summary.errors),
      '',
      '',
    ]),
    `journeys: ${j.started} started, ${j.completed} completed, ${j.failed} failed, ` +
      `${j.cancelled} cancelled, ${j.skipped} skipped (at --concurrency ${concurrency})`,
    `payments: ${summary.payments.paid} paid, ${summary.payments.declined} declined ` +
      `(insufficient funds: a business answer, not an error)`,
    `error rate: ${(summary.errorRate * 100).toFixed(2)} %`,
  ];
  if (summary.errorReasons.length > 0) {
    lines.push('errors by cause:');
    for (const { reason, count } of summary.errorReasons.slice(0, 8)) {
      lines.push(`  ${String(count).padStart(6)}  ${reason}`);
    }
    const more = summary.errorReasons.length - 8;
    if (more > 0) lines.push(`  … and ${more} other causes (--json lists them all)`);
  }
  return lines.join('\n');
}
