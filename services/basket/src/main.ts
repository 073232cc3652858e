// basket's process: config → the store BASKET_STORE names (for `redis`, the client registered
// with its readiness check) → app → listen. While Redis is down the process keeps running,
// answers 503 and is not ready; the client reconnects by itself.
import { runService } from '@quadrants/service-kit';
import { createApp } from './app.ts';
import { loadBasketConfig } from './config.ts';
import type { BasketStore } from './data/basket-store.ts';
import { createMemoryBasketStore, startMemorySweeper } from './data/memory-store.ts';
import { createRedisClient, redisResource } from './data/redis.ts';
import { createRedisBasketStore } from './data/redis-store.ts';

await runService({
  name: 'basket',
  loadConfig: loadBasketConfig,
  async start({ config, kit, register, listen }) {
    const idleMs = config.BASKET_IDLE_SECONDS * 1_000;
    const limits = { maxLines: config.BASKET_MAX_LINES, maxQuantity: config.BASKET_MAX_QUANTITY };
    let store: BasketStore;
    if (config.BASKET_STORE === 'redis') {
      // loadBasketConfig refuses BASKET_STORE=redis without REDIS_URL, so this never throws.
      if (config.REDIS_URL === undefined) throw new Error('REDIS_URL is required');
      const redis = createRedisClient({
        url: config.REDIS_URL,
        password: config.REDIS_PASSWORD,
        connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      });
      register(redisResource(redis));
      store = createRedisBasketStore(redis, { keyPrefix: config.REDIS_KEY_PREFIX, idleMs, limits });
    } else {
      kit.log.warn(
        'baskets are kept in this process (BASKET_STORE=memory): run one replica only, and expect a restart to lose them',
      );
      const memory = createMemoryBasketStore({
        idleMs,
        limits,
        maxBaskets: config.MEMORY_MAX_BASKETS,
      });
      register(startMemorySweeper(memory));
      store = memory;
    }

    await listen(createApp({ ...kit, store, idleMs }), { port: config.PORT, host: config.HOST });
  },
});
