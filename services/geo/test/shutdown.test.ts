// geo as a real process, stopped with SIGTERM while a stream is still arriving.
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type ServiceProcess, startServiceProcess } from '@quadrants/service-kit/testing';
import { afterEach, describe, expect, test } from 'vitest';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let geo: ServiceProcess | undefined;

afterEach(() => {
  geo?.child.kill('SIGKILL');
  geo = undefined;
});

interface StreamAnswer {
  lines: Record<string, unknown>[];
  clientError: Error | undefined;
}

/**
 * Sends NDJSON points a few at a time, for as long as the server keeps answering (at most
 * `maxBatches` batches); calls `onFirstAnswer` once the first answer line has come back.
 */
function streamUntilAnswerEnds(
  port: number,
  onFirstAnswer: () => void,
  maxBatches = 2_000,
): Promise<StreamAnswer> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/convert/stream?to=utm',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    let text = '';
    let sent = 0;
    let clientError: Error | undefined;
    let finished = false;
    const batch = `${JSON.stringify({ from: 'latlon', lat: 52.2, lon: 21 })}\n`.repeat(10);
    const timer = setInterval(() => {
      if (finished || sent >= maxBatches) {
        clearInterval(timer);
        return;
      }
      req.write(batch);
      sent++;
    }, 10);
    req.on('error', (error) => {
      clientError = error;
    });
    req.on('response', (res) => {
      let first = true;
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (first) {
          first = false;
          onFirstAnswer();
        }
      });
      res.on('error', (error) => {
        clientError = error;
      });
      res.on('end', () => {
        finished = true;
        clearInterval(timer);
        req.destroy();
        resolve({
          lines: text
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Record<string, unknown>),
          clientError,
        });
      });
    });
  });
}

describe('POST /convert/stream while the server shuts down', () => {
  test.each([
    ['keeps sending', 2_000],
    ['has gone quiet after its first lines', 1],
  ])(
    'when the client %s, answers every line it read, ends with a line saying it is shutting down, and exits 0',
    async (_client, maxBatches) => {
      geo = startServiceProcess(entry, { PORT: '0', LOG_LEVEL: 'info' });
      const listening = await geo.waitFor((line) => line.msg === 'listening');
      const running = geo;

      const answer = await streamUntilAnswerEnds(
        Number(listening.port),
        () => running.child.kill('SIGTERM'),
        maxBatches,
      );

      expect(answer.clientError).toBeUndefined();
      const last = answer.lines.at(-1);
      const conversions = answer.lines.slice(0, -1);
      expect(last).toMatchObject({ error: { status: 503, code: 'shutting_down' } });
      expect(conversions.length).toBeGreaterThan(0);
      for (const line of conversions) expect(line).toHaveProperty('utm.zone', 34);
      // The client resumes from the line named: every line before it was answered.
      expect(last?.line).toBe(conversions.length + 1);
      expect(await running.exited).toBe(0);
    },
  );
});
