import { composeTarget } from './compose.ts';
import { kindTarget } from './kind.ts';
import { localTarget } from './local.ts';
import type { Target, TargetName } from './target.ts';

export type {
  Driver,
  NewReplica,
  Replica,
  StoreRestartOptions,
  StoreVariant,
  Target,
  TargetState,
} from './target.ts';

const targets: Record<TargetName, () => Target> = {
  local: localTarget,
  compose: composeTarget,
  kind: kindTarget,
};

/** The target E2E_TARGET names: local (the default), compose or kind. */
export function selectTarget(env: NodeJS.ProcessEnv = process.env): Target {
  const name = env.E2E_TARGET ?? 'local';
  if (!(name in targets)) {
    throw new Error(`E2E_TARGET must be one of ${Object.keys(targets).join(', ')}; got ${name}`);
  }
  return targets[name as TargetName]();
}
