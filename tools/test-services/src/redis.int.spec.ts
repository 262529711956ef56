import { TestServiceError } from './errors.js';
import { parseServiceNames } from './services.js';
import { redisCommand, startRedis } from './redis.js';

describe('startRedis', () => {
  it('starts a redis-server that answers on its port and is gone after stop()', async () => {
    const redis = await startRedis();
    try {
      expect(redis.env.GOIM_TEST_REDIS_URL).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redisCommand(redis.port, 'SET goim-test-services 1')).toBe('+OK');
      expect(await redisCommand(redis.port, 'GET goim-test-services')).toBe('1');
    } finally {
      await redis.stop();
      await redis.stop(); // safe twice
    }
    await expect(redisCommand(redis.port, 'PING', 500)).rejects.toThrow();
  });
});

describe('parseServiceNames', () => {
  it('expands all and rejects unknown names with a typed error', () => {
    expect(parseServiceNames([])).toEqual(['redis', 'cluster', 'etcd', 'kafka']);
    expect(parseServiceNames(['kafka', 'redis', 'kafka'])).toEqual(['kafka', 'redis']);
    expect(() => parseServiceNames(['mysql'])).toThrow(TestServiceError);
    expect(() => parseServiceNames(['mysql'])).toThrow(/unknown service "mysql"/);
  });
});
