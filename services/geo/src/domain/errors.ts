/**
 * A position that this service cannot read or cannot write in the asked system, naming the
 * input field concerned. The HTTP layer answers it as 400 (unreadable input) or 422
 * (well-formed, but outside what the system covers).
 */
export class PositionError extends Error {
  readonly field: string;
  readonly kind: 'invalid' | 'out_of_range';

  constructor(field: string, detail: string, kind: 'invalid' | 'out_of_range' = 'invalid') {
    super(detail);
    this.name = 'PositionError';
    this.field = field;
    this.kind = kind;
  }
}
