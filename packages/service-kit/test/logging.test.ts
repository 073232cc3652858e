/** What the kit's logger writes, and what it never writes. */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger } from '../src/logging.ts';

describe('createLogger', () => {
  test("hides the arguments of a client's failed command (a password, in an AUTH), keeping its name", () => {
    const output = new PassThrough();
    const log = createLogger({
      service: 'test',
      level: 'info',
      pretty: false,
      destination: output,
    });
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'default', 'hunter2'] },
    });
    log.warn({ err: error }, 'dependency reported an error');
    const line = JSON.parse(String(output.read())) as { err: { command: unknown } };
    expect(line.err.command).toEqual({ name: 'hello', args: '(hidden)' });
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });
});
