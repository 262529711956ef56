import { resolveCometConfig } from '@goim/comet-app';
import { resolveJobConfig } from '@goim/job-app';
import { resolveLogicConfig } from '@goim/logic-app';
import { FAST_TIMING, cometToml, jobToml, logicToml, type ClusterCommon } from './config-files.js';

const common: ClusterCommon = {
  backends: { redisUrl: 'redis://127.0.0.1:6390', kafkaBrokers: '127.0.0.1:9092,127.0.0.1:9093', etcdUrl: 'http://127.0.0.1:2389' },
  timing: FAST_TIMING,
  deployEnv: 'cx1',
  region: 'local',
  zone: 'local1',
  etcdPrefix: '/goim-cluster/cx1/',
  kafkaTopic: 'goim-push-cx1',
  kafkaGroup: 'goim-push-group-cx1',
  tcpPort: 41001,
  wsPort: 41002,
};

const registry = { type: 'etcd', env: 'cx1', hosts: ['http://127.0.0.1:2389'], keyPrefix: '/goim-cluster/cx1/', ttlSec: 2 };

// The generated files go through each app's own config loader, so a renamed key fails here
// (fast) rather than as a process that never logs "started".
describe('generated role configs', () => {
  it('comet: shared client ports on its own loopback IP, registry, fast cadences', () => {
    const cfg = resolveCometConfig({ toml: cometToml(common, { host: 'comet-1', clientIp: '127.0.0.11', grpcPort: 40001, adminPort: 40002 }) });
    expect(cfg.env).toMatchObject({ host: 'comet-1', region: 'local', zone: 'local1', deployEnv: 'cx1', addrs: ['127.0.0.11'] });
    expect(cfg.tcp.bind).toEqual(['127.0.0.11:41001']);
    expect(cfg.websocket.bind).toEqual(['127.0.0.11:41002']);
    expect(cfg.rpcServer.addr).toBe('127.0.0.1:40001');
    expect(cfg.admin.addr).toBe('127.0.0.1:40002');
    expect(cfg.online.interval).toBe(1_000);
    expect(cfg.discovery.metadataInterval).toBe(1_000);
    expect(cfg.discovery.registry).toMatchObject(registry);
  });

  it('logic: Redis sessions, Kafka queue, node ports of the comets, online timing, registry', () => {
    const cfg = resolveLogicConfig({ toml: logicToml(common, { host: 'logic-1', httpPort: 40003, grpcPort: 40004 }) });
    expect(cfg.env).toMatchObject({ host: 'logic-1', deployEnv: 'cx1' });
    expect(cfg.httpServer.addr).toBe('127.0.0.1:40003');
    expect(cfg.rpcServer.addr).toBe('127.0.0.1:40004');
    expect(cfg.node).toMatchObject({ tcpPort: 41001, wsPort: 41002 });
    expect(cfg.redis.addr).toBe('127.0.0.1:6390');
    expect(cfg.kafka).toMatchObject({ topic: 'goim-push-cx1', brokers: ['127.0.0.1:9092', '127.0.0.1:9093'] });
    expect(cfg.queue.type).toBe('kafka');
    expect(cfg.online).toEqual({ refresh: 1_000, stale: 5_000 });
    expect(cfg.discovery.registry).toMatchObject(registry);
  });

  it('job: consumer group of the cluster, Kafka timing, registry', () => {
    const cfg = resolveJobConfig({ toml: jobToml(common, { host: 'job-1', httpPort: 40005 }) });
    expect(cfg.env).toMatchObject({ host: 'job-1', deployEnv: 'cx1' });
    expect(cfg.kafka).toMatchObject({ topic: 'goim-push-cx1', group: 'goim-push-group-cx1', sessionTimeout: 6_000, heartbeatInterval: 1_000 });
    expect(cfg.queue.type).toBe('kafka');
    expect(cfg.httpServer.addr).toBe('127.0.0.1:40005');
    expect(cfg.discovery.registry).toMatchObject(registry);
  });
});
