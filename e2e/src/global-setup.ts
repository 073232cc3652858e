import type { TestProject } from 'vitest/node';
import { selectTarget, type TargetState } from './targets/index.ts';

/** Brings the system up once for every test file, and down at the end. */
export default async function setup(project: TestProject) {
  const target = selectTarget();
  console.log(`e2e: bringing the system up on the ${target.name} target`);
  let state: TargetState;
  try {
    state = await target.up();
  } catch (error) {
    // Vitest runs no teardown when the setup throws: take down what came up (a network, the
    // containers that started) so the next run starts clean.
    if (process.env.E2E_KEEP !== '1') await target.down().catch(() => {});
    throw error;
  }
  project.provide('target', target.name);
  project.provide('targetState', state);
  return async () => {
    if (process.env.E2E_KEEP === '1') return;
    await target.down();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    target: string;
    /** What `target.up()` returned, for `selectTarget().driver(inject('targetState'))`. */
    targetState: TargetState;
  }
}
