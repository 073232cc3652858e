// Baseline: node:http alone, answering POST /baskets/{id}/lines with the one command basket's Redis
// store sends for it: EVALSHA of basket's own addLine script (imported, never copied), its ARGV
// built by basket's own changeArgs, with EVAL when Redis does not have the script yet. No express,
// no kit, no validation beyond what JSON.parse does, no presenting: the stored JSON the script
// answers is the body. What the service does on top of this is what the bench measures.
import { createServer, type ServerResponse } from 'node:http';
import { basketScripts, changeArgs } from '@quadrants/basket/data/basket-scripts';
import { createRedisClient } from '@quadrants/basket/data/redis';
import { announce } from '../../lib/announce.ts';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required (the bench sets it)`);
  return value;
}

const keyPrefix = env('REDIS_KEY_PREFIX');
const idleMs = Number(env('BASKET_IDLE_SECONDS')) * 1_000;
const limits = {
  maxLines: Number(env('BASKET_MAX_LINES')),
  maxQuantity: Number(env('BASKET_MAX_QUANTITY')),
};
const commandTimeoutMs = Number(env('REDIS_COMMAND_TIMEOUT_MS'));

// basket's own client, with its options: auto-pipelining (the commands of one tick go out in one
// write) and the timeouts matter for speed; the rest only change what an outage does.
const redis = createRedisClient({
  url: env('REDIS_URL'),
  connectTimeoutMs: Number(env('REDIS_CONNECT_TIMEOUT_MS')),
  commandTimeoutMs,
});
redis.on('error', (error) => console.error(`baseline: redis: ${error.message}`));

const LINES_PATH = /^\/baskets\/([A-Za-z0-9_-]{22})\/lines$/;
const { addLine } = basketScripts;

type Reply = [string, string?];

async function runAddLine(key: string, args: (string | number)[]): Promise<Reply> {
  try {
    return (await redis.evalsha(addLine.sha, 1, key, ...args)) as Reply;
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return (await redis.eval(addLine.lua, 1, key, ...args)) as Reply;
  }
}

function answer(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = createServer((req, res) => {
  const id = req.method === 'POST' ? LINES_PATH.exec(req.url ?? '')?.[1] : undefined;
  if (id === undefined) {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const { sku, quantity, unitPrice, currency } = JSON.parse(Buffer.concat(chunks).toString());
      const args = changeArgs(
        { kind: 'addLine', sku, quantity, unitPrice, currency },
        { now: Date.now(), idleMs, limits },
      );
      const [status, json] = await runAddLine(`${keyPrefix}${id}`, args);
      if (status === 'ok') answer(res, 200, json ?? '');
      else answer(res, status === 'not_found' ? 404 : 422, JSON.stringify({ code: status, json }));
    } catch (error) {
      answer(res, 500, JSON.stringify({ error: String(error) }));
    }
  });
});

await announce(server.listen(0, '127.0.0.1'));
process.once('SIGTERM', () => {
  server.close();
  redis.disconnect();
});
