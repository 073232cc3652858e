// What Redis itself says it did, from INFO: its CPU time, and how many commands it ran of each
// kind. Read before and after each window, the difference says what one add cost Redis and how
// many commands it took, for either side alike, whichever server the bench was given.
import type { Redis } from 'ioredis';

export interface RedisStats {
  /** used_cpu_user + used_cpu_sys: every thread of the server, in seconds. */
  cpuSeconds: number;
  /** Calls of each command (lower case, as INFO names them). */
  calls: Record<string, number>;
  /**
   * Reads from client sockets (total_reads_processed, Redis 6 and later; 0 where absent). With
   * ioredis' auto-pipelining, one read can carry the commands of several requests: fewer reads
   * than adds is that batching at work.
   */
  reads: number;
}

function fields(info: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

export async function redisStats(redis: Redis): Promise<RedisStats> {
  const cpu = fields(await redis.info('cpu'));
  const stats = fields(await redis.info('stats'));
  const calls: Record<string, number> = {};
  for (const [name, value] of fields(await redis.info('commandstats'))) {
    const count = /^calls=(\d+)/.exec(value)?.[1];
    if (name.startsWith('cmdstat_') && count !== undefined) {
      calls[name.slice('cmdstat_'.length)] = Number(count);
    }
  }
  return {
    cpuSeconds: Number(cpu.get('used_cpu_user')) + Number(cpu.get('used_cpu_sys')),
    calls,
    reads: Number(stats.get('total_reads_processed') ?? 0),
  };
}

/**
 * What Redis did between two readings, less the bench's own INFO: each command with its count
 * (`evalsha` 1,000), the CPU seconds and the reads from client sockets.
 */
export function difference(before: RedisStats, after: RedisStats) {
  const calls: Record<string, number> = {};
  for (const [name, count] of Object.entries(after.calls)) {
    const ran = count - (before.calls[name] ?? 0);
    if (ran > 0 && name !== 'info') calls[name] = ran;
  }
  // The bench's own INFO commands are three reads a reading.
  return {
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    calls,
    reads: after.reads - before.reads - 3,
  };
}
