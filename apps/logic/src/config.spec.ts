import { ConfigErrorCode } from './errors.js';
import { isDevelopmentEnv, parseGoDuration, parseListenAddr, parseLogicFlags, resolveLogicConfig } from './config.js';

// goim's logic-example.toml (spec §6.2), abridged only in the province lists.
const GOIM_EXAMPLE = `
[discovery]
    nodes = ["127.0.0.1:7171"]
[regions]
    "bj" = ["北京","天津"]
    "sh" = ["上海","江苏"]
[node]
    defaultDomain = "conn.goim.io"
    hostDomain = ".goim.io"
    heartbeat = "4m"
    heartbeatMax = 2
    tcpPort = 3101
    wsPort = 3102
    wssPort = 3103
    regionWeight = 1.6
[backoff]
    maxDelay = 300
    baseDelay = 3
    factor = 1.8
    jitter = 0.3
[rpcServer]
    network = "tcp"
    addr = ":3119"
    timeout = "1s"
[rpcClient]
    dial = "1s"
    timeout = "1s"
[httpServer]
    network = "tcp"
    addr = ":3111"
    readTimeout = "1s"
    writeTimeout = "1s"
[kafka]
    topic = "goim-push-topic"
    brokers = ["127.0.0.1:9092"]
[redis]
    network = "tcp"
    addr = "127.0.0.1:6379"
    active = 60000
    idle = 1024
    dialTimeout = "200ms"
    readTimeout = "500ms"
    writeTimeout = "500ms"
    idleTimeout = "120s"
    expire = "30m"
`;

describe('parseGoDuration', () => {
  it('parses Go duration strings into milliseconds', () => {
    expect(parseGoDuration('4m')).toBe(240_000);
    expect(parseGoDuration('200ms')).toBe(200);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5s')).toBe(1_500);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('4')).toBeUndefined();
    expect(parseGoDuration('4 m')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });
});

describe('resolveLogicConfig', () => {
  it('fills safe defaults for every section (addresses with their colon)', () => {
    const c = resolveLogicConfig({ hostname: 'h1' });
    expect(c.httpServer.addr).toBe(':3111');
    expect(c.rpcServer.addr).toBe(':3119');
    expect(c.node).toEqual({
      defaultDomain: 'conn.goim.io',
      hostDomain: '.goim.io',
      heartbeat: 240_000,
      heartbeatMax: 2,
      tcpPort: 3101,
      wsPort: 3102,
      wssPort: 3103,
      regionWeight: 1.6,
    });
    expect(c.backoff).toEqual({ maxDelay: 300, baseDelay: 3, factor: 1.8, jitter: 0.3 });
    expect(c.redis.expire).toBe(1_800_000);
    expect(c.kafka).toEqual({ topic: 'goim-push-topic', brokers: [] });
    expect(c.auth.type).toBe('goim-json');
    expect(c.receive.sink).toBe('log');
    expect(c.env.host).toBe('h1');
    expect(Object.isFrozen(c.node)).toBe(true);
  });

  it("loads goim's example file, keys matched case-insensitively", () => {
    const c = resolveLogicConfig({ toml: GOIM_EXAMPLE.replace('defaultDomain', 'DefaultDomain').replace('[redis]', '[Redis]') });
    expect(c.discovery.nodes).toEqual(['127.0.0.1:7171']);
    expect(c.regions.bj).toEqual(['北京', '天津']);
    expect(c.redis.addr).toBe('127.0.0.1:6379');
    expect(c.redis.dialTimeout).toBe(200);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.httpServer.readTimeout).toBe(1_000);
    expect(c.node.defaultDomain).toBe('conn.goim.io');
  });

  it('rejects unknown keys and bad values naming them', () => {
    expect(() => resolveLogicConfig({ toml: '[node]\nheartbeat = "4 minutes"' })).toThrow(/node\.heartbeat: not a duration/);
    try {
      resolveLogicConfig({ toml: '[node]\nbogus = 1' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toMatchObject({ name: 'ConfigError', code: ConfigErrorCode.INVALID, message: expect.stringContaining('bogus') });
    }
    expect(() => resolveLogicConfig({ toml: '[node' })).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_TOML }));
  });

  it('checks the queue engine has its address', () => {
    expect(() => resolveLogicConfig({ object: { queue: { type: 'kafka' } } })).toThrow(/kafka\.brokers: queue.type "kafka" needs/);
    expect(() => resolveLogicConfig({ object: { queue: { type: 'redis-streams' } } })).toThrow(/queue\.redisUrl/);
    expect(resolveLogicConfig({ object: { queue: { type: 'redis-streams', redisUrl: 'redis://h:1' } } }).queue.type).toBe('redis-streams');
  });

  it('checks cross-field rules for auth and receive', () => {
    expect(() => resolveLogicConfig({ object: { auth: { type: 'jwt' } } })).toThrow(/auth\.jwt: auth.type "jwt" needs/);
    expect(() => resolveLogicConfig({ object: { auth: { type: 'webhook' } } })).toThrow(/auth\.webhook\.url/);
    expect(() => resolveLogicConfig({ object: { receive: { sink: 'webhook', webhook: { url: 'nope' } } } })).toThrow(/receive\.webhook\.url/);
    expect(resolveLogicConfig({ object: { auth: { type: 'jwt', jwt: { secret: 's' } } } }).auth.jwt.secret).toBe('s');
  });

  it('applies env over TOML and flags over env', () => {
    const c = resolveLogicConfig({
      toml: '[env]\nregion = "bj"\n[httpServer]\naddr = ":1"',
      env: { REGION: 'sh', ZONE: 'sh001', DEPLOY_ENV: 'prod', GOIM_LOGIC_HTTP_ADDR: '127.0.0.1:8080', GOIM_KAFKA_BROKERS: 'a:1, b:2', GOIM_PUSH_BEARER_TOKENS: 't1,t2' },
      argv: ['-zone', 'sh002', '-deploy.env=uat', '-host', 'logic-7', '-weight', '5'],
    });
    expect(c.env).toEqual({ region: 'sh', zone: 'sh002', deployEnv: 'uat', host: 'logic-7', weight: 5 });
    expect(c.httpServer.addr).toBe('127.0.0.1:8080');
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.push.bearerTokens).toEqual(['t1', 't2']);
  });

  it('takes a static comet list in goim discovery instance shape', () => {
    const c = resolveLogicConfig({ toml: '[[discovery.comets]]\nhostname = "comet-1"\naddrs = ["grpc://10.0.0.1:3109"]\nmetadata = { weight = "10", addrs = "1.2.3.4" }' });
    expect(c.discovery.comets).toEqual([
      {
        region: '',
        zone: '',
        env: '',
        appid: 'goim.comet',
        hostname: 'comet-1',
        addrs: ['grpc://10.0.0.1:3109'],
        version: '',
        latest_timestamp: 0,
        metadata: { weight: '10', addrs: '1.2.3.4' },
      },
    ]);
  });
});

describe('discovery.registry', () => {
  it('takes a @goim/discovery-client registry config, exclusive with a static comet list', () => {
    const c = resolveLogicConfig({ toml: '[discovery.registry]\ntype = "etcd"\nhosts = "http://127.0.0.1:2379"' });
    expect(c.discovery.registry).toMatchObject({ type: 'etcd', hosts: ['http://127.0.0.1:2379'], env: 'dev' });
    expect(() => resolveLogicConfig({ toml: '[discovery.registry]\ntype = "zookeeper"' })).toThrow(/discovery\.registry/);
    expect(() =>
      resolveLogicConfig({ object: { discovery: { registry: { type: 'static' }, comets: [{ hostname: 'c1' }] } } }),
    ).toThrow(/not both/);
  });

  it('takes a Redis Cluster registry in the session store’s shape (clusterNodes + password) and the retry options', () => {
    const c = resolveLogicConfig({
      toml: '[discovery.registry]\ntype = "redis"\nclusterNodes = ["127.0.0.1:7000", "127.0.0.1:7001"]\npassword = "pw"\nattemptTimeoutMs = 2000\nretryMaxDelayMs = 10000',
    });
    expect(c.discovery.registry).toMatchObject({
      type: 'redis',
      clusterNodes: ['127.0.0.1:7000', '127.0.0.1:7001'],
      password: 'pw',
      attemptTimeoutMs: 2000,
      retryMaxDelayMs: 10000,
    });
    expect(() =>
      resolveLogicConfig({ toml: '[discovery.registry]\ntype = "redis"\nurl = "redis://127.0.0.1:6379"\nclusterNodes = ["127.0.0.1:7000"]' }),
    ).toThrow(/mutually exclusive/);
  });
});

describe('parseLogicFlags', () => {
  it('rejects unknown and incomplete flags', () => {
    expect(() => parseLogicFlags(['-nope'])).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FLAG }));
    expect(() => parseLogicFlags(['-region'])).toThrow(/needs a value/);
    expect(parseLogicFlags(['--conf', 'logic.toml']).conf).toBe('logic.toml');
  });
});

describe('parseListenAddr', () => {
  it('splits goim listen addresses', () => {
    expect(parseListenAddr(':3111')).toEqual({ host: undefined, port: 3111 });
    expect(parseListenAddr('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddr('[::1]:3119')).toEqual({ host: '::1', port: 3119 });
    // goim's code default lacked the colon (§10.15): refuse it rather than guess.
    expect(() => parseListenAddr('3111')).toThrow(/bad listen address/);
  });
});

describe('isDevelopmentEnv', () => {
  it('knows development deploy environments', () => {
    expect(isDevelopmentEnv('dev')).toBe(true);
    expect(isDevelopmentEnv('prod')).toBe(false);
  });
});
