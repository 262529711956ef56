import { RegistryError, RegistryErrorCode, StaticRegistry, createRegistry, instanceAddr, registryConfigSchema } from './index.js';

function thrown(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('did not throw');
}

describe('createRegistry', () => {
  it('builds a StaticRegistry serving the configured instances', async () => {
    const r = createRegistry({
      type: 'static',
      env: 'prod',
      instances: [{ appid: 'goim.comet', hostname: 'c1', zone: 'sh001', addrs: ['grpc://10.0.0.1:3109'], metadata: { weight: '10' } }],
    });
    expect(r).toBeInstanceOf(StaticRegistry);
    expect(r.env).toBe('prod');
    const snap = await r.fetch('goim.comet');
    expect(snap.instances.map((i) => [i.hostname, i.env, i.zone, i.region, i.version])).toEqual([['c1', 'prod', 'sh001', '', '']]);
    await r.close();
  });

  it('defaults env to dev (goim fails without DEPLOY_ENV, #253)', () => {
    expect(createRegistry({ type: 'static' }).env).toBe('dev');
  });

  it('rejects unknown keys, naming them', () => {
    const err = thrown(() => createRegistry({ type: 'static', zone: 'x' } as never));
    expect(err.code).toBe(RegistryErrorCode.INVALID_OPTIONS);
    expect(err.message).toContain('zone');
  });

  it('rejects an unknown backend type', () => {
    expect(thrown(() => createRegistry({ type: 'consul' } as never)).code).toBe(RegistryErrorCode.INVALID_OPTIONS);
  });

  it('names a bad etcd host, a bad redis url and a too-short TTL', () => {
    expect(thrown(() => createRegistry({ type: 'etcd', hosts: '127.0.0.1:2379' })).message).toContain('hosts.0');
    expect(thrown(() => createRegistry({ type: 'redis', url: '127.0.0.1:6379' })).message).toContain('url');
    expect(thrown(() => createRegistry({ type: 'etcd', hosts: 'http://127.0.0.1:2379', ttlSec: 1 })).message).toContain('ttlSec');
    expect(thrown(() => createRegistry({ type: 'etcd', hosts: 'http://127.0.0.1:2379', username: 'u' })).message).toContain('password');
  });

  it('fills the documented defaults', () => {
    expect(registryConfigSchema.parse({ type: 'redis', url: 'redis://127.0.0.1:6379' })).toEqual({
      type: 'redis',
      env: 'dev',
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'goim:discovery:',
      ttlSec: 10,
      pollIntervalMs: 1000,
      callTimeoutMs: 3000,
      attemptTimeoutMs: 5000,
      retryMaxDelayMs: 5000,
    });
    expect(registryConfigSchema.parse({ type: 'redis', clusterNodes: '127.0.0.1:7000, 127.0.0.1:7001', password: 'pw' })).toMatchObject({
      clusterNodes: ['127.0.0.1:7000', '127.0.0.1:7001'],
      password: 'pw',
    });
    expect(registryConfigSchema.parse({ type: 'etcd', hosts: 'http://a:2379, http://b:2379' })).toEqual({
      type: 'etcd',
      env: 'dev',
      hosts: ['http://a:2379', 'http://b:2379'],
      keyPrefix: '/goim/discovery/',
      ttlSec: 10,
      callTimeoutMs: 3000,
      attemptTimeoutMs: 5000,
      retryMaxDelayMs: 5000,
    });
  });

  it('takes a single Redis or a Cluster, never both or neither, as the session store does', () => {
    expect(thrown(() => createRegistry({ type: 'redis', url: 'redis://a:1', clusterNodes: 'a:1' })).message).toContain('mutually exclusive');
    expect(thrown(() => createRegistry({ type: 'redis' })).message).toContain('`url` or `clusterNodes`');
    expect(thrown(() => createRegistry({ type: 'redis', clusterNodes: ['no-port'] })).message).toContain('clusterNodes.0');
    expect(thrown(() => createRegistry({ type: 'redis', url: 'redis://a:1', keyPrefix: 'x{y}' })).message).toContain('keyPrefix');
    expect(thrown(() => createRegistry({ type: 'etcd', hosts: 'http://a:1', retryMaxDelayMs: -1 })).message).toContain('retryMaxDelayMs');
  });
});

describe('instanceAddr', () => {
  it('gives host:port of the first address with the scheme (grpc by default)', () => {
    const ins = { addrs: ['http://10.0.0.1:3111', 'grpc://10.0.0.1:3109', 'grpc://10.0.0.2:3109'] };
    expect(instanceAddr(ins)).toBe('10.0.0.1:3109');
    expect(instanceAddr(ins, 'http')).toBe('10.0.0.1:3111');
    expect(instanceAddr({ addrs: ['grpc://[::1]:3109'] })).toBe('[::1]:3109');
  });

  it('is undefined when no address has the scheme', () => {
    expect(instanceAddr({ addrs: ['http://10.0.0.1:3111'] })).toBeUndefined();
    expect(instanceAddr({ addrs: [] })).toBeUndefined();
  });
});
