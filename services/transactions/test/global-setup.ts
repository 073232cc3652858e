// One PostgreSQL for the whole run and one migrated template database on it; each test file
// copies the template into a database of its own (test/ledger.ts), so files running side by
// side never see each other's rows. A test that kills PostgreSQL starts its own container.
import type { TestProject } from 'vitest/node';
import { createMigratedDatabase, startPostgres } from '../test-support/postgres.ts';

export const TEMPLATE = 'transactions_template';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgres();
  await createMigratedDatabase(server.adminUrl, TEMPLATE);
  project.provide('postgresAdminUrl', server.adminUrl);
  return () => server.stop();
}
