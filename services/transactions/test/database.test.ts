import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { connectionString, isRetryable, isUnavailable } from '../src/data/database.ts';

/** The settings pg itself reads from a URL. */
const parse = (url: string) => {
  const client = new pg.Client({ connectionString: url });
  const { user, host, port, database, password } = client as unknown as Record<string, unknown>;
  return { user, host, port, database, password };
};

describe('connectionString', () => {
  test('puts DATABASE_PASSWORD into the URL so that pg reads it back exactly', () => {
    const password = 'p@ss:w/rd%?#&=+ é';
    const url = connectionString('postgres://app@db:5432/ledger', password);
    expect(parse(url).password).toBe(password);
    expect(parse(url)).toMatchObject({ user: 'app', host: 'db', port: 5432, database: 'ledger' });
  });

  test('replaces a password already in the URL, and leaves the URL alone without one', () => {
    expect(parse(connectionString('postgres://app:old@db/ledger', 'new')).password).toBe('new');
    expect(connectionString('postgres://app:old@db/ledger', undefined)).toBe(
      'postgres://app:old@db/ledger',
    );
  });
});

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isUnavailable', () => {
  test.each([
    withCode('ECONNREFUSED'),
    withCode('ENOTFOUND'),
    withCode('57P01'),
    withCode('57P03'),
    withCode('08006'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Connection terminated unexpectedly'),
    new AggregateError([withCode('ECONNREFUSED')]),
  ])('%s means PostgreSQL cannot serve: 503', (error) => {
    expect(isUnavailable(error)).toBe(true);
  });

  test.each([
    withCode('23505'),
    withCode('42P01'),
    withCode('22003'),
    new Error('boom'),
    'not an error',
  ])('%s is a bug, not an outage', (error) => {
    expect(isUnavailable(error)).toBe(false);
  });
});

test('serialization failures and deadlocks are retryable; nothing else is', () => {
  expect(isRetryable(withCode('40001'))).toBe(true);
  expect(isRetryable(withCode('40P01'))).toBe(true);
  expect(isRetryable(withCode('23505'))).toBe(false);
  expect(isRetryable(undefined)).toBe(false);
});
