/**
 * transactions as a real process (src/main.ts): it starts without PostgreSQL and answers 503
 * rather than crashing, refuses bad configuration with one line that hides secrets, and shuts
 * down cleanly on SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { startServiceProcess } from '@quadrants/service-kit/testing';
import { describe, expect, test } from 'vitest';
import { freshDatabase, ledgerClient, type ProblemJson } from './ledger.ts';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const base = { PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' };

async function started(env: Record<string, string>) {
  const run = startServiceProcess(entry, { ...base, ...env });
  const listening = await run.waitFor((line) => line.msg === 'listening');
  return { run, api: ledgerClient(`http://127.0.0.1:${String(listening.port)}`) };
}

describe('the transactions process', () => {
  test('with PostgreSQL unreachable it still starts: alive, not ready, and POST answers 503', async () => {
    const { run, api } = await started({ DATABASE_URL: 'postgres://app:pw@127.0.0.1:1/ledger' });
    try {
      expect((await api.get('/healthz')).status).toBe(200);
      const ready = await api.get<{ checks: Record<string, string> }>('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.postgres).toBe('failing');
      const answer = await api.post<ProblemJson>('/transfers', {
        fromAccountId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        toAccountId: '1f8fad5b-d9cb-469f-a165-70867728950e',
        amount: 1,
      });
      expect(answer.status).toBe(503);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.code).toBe('database_unavailable');
      expect(answer.headers.get('retry-after')).toBe('1');
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  });

  test('serves the ledger and exits 0 on SIGTERM, closing its pool', async () => {
    const { run, api } = await started({ DATABASE_URL: await freshDatabase() });
    expect((await api.get('/readyz')).status).toBe(200);
    expect((await api.post('/accounts', { owner: 'Ada', currency: 'EUR' })).status).toBe(201);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe('');
  });

  test('a malformed DATABASE_URL stops start-up with one line naming it, password masked', async () => {
    const run = startServiceProcess(entry, {
      ...base,
      DATABASE_URL: 'mysql://app:hunter2@db/ledger',
    });
    expect(await run.exited).toBe(1);
    const text = JSON.stringify(run.lines);
    expect(text).toContain('DATABASE_URL');
    expect(text).not.toContain('hunter2');
  });

  test('without DATABASE_URL it says which variable is missing', async () => {
    const run = startServiceProcess(entry, { ...base, DATABASE_URL: '' });
    expect(await run.exited).toBe(1);
    expect(run.lines.at(-1)?.msg).toMatch(/DATABASE_URL/);
  });
});
