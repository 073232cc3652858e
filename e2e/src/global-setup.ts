import type { TestProject } from 'vitest/node';
import { selectTarget } from './targets/index.ts';

/** Brings the system up once for every test file, and down at the end. */
export default async function setup(project: TestProject) {
  const target = selectTarget();
  console.log(`e2e: bringing the system up on the ${target.name} target`);
  await target.up();
  project.provide('target', target.name);
  return async () => {
    if (process.env.E2E_KEEP === '1') return;
    await target.down();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    target: string;
  }
}
