// Idempotency-Key as transactions keeps it: the rules every service shares (what a key may
// look like, the request's fingerprint, what is stored) come from the kit; what is this
// service's own is the outcome of one keyed request against the ledger.
import type { StoredResponse } from '@quadrants/service-kit';

export {
  fingerprint,
  KeyInUse,
  KeyReused,
  keyProblem,
  type StoredResponse,
} from '@quadrants/service-kit';

export type KeyOutcome =
  | { replayed: false; response: StoredResponse }
  | { replayed: true; response: StoredResponse };
