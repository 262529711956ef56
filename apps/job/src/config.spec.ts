import { ConfigErrorCode } from './errors.js';
import { grpcTarget, parseDurationMs, parseJobConfig, parseJobFlags, queueMaxInFlight, resolveJobConfig, roomIdleMs, roomMaxPending } from './config.js';

describe('job config', () => {
  it('has goim defaults (§6.3) and safe ones for the new keys', () => {
    const c = parseJobConfig({});
    expect(c.kafka).toEqual({ topic: 'goim-push-topic', group: 'goim-push-group-job', brokers: [] });
    expect(c.comet).toMatchObject({ routineChan: 1024, routineSize: 32, deadline: 5000, retries: 5 });
    expect(c.room).toMatchObject({ batch: 20, signal: 1000, idle: 900_000, flushWhenIdle: true });
    expect(c.job).toEqual({ zoneOnly: false, unknownServerDeadline: 30_000 });
    expect(roomMaxPending(c)).toBe(40);
    expect(c.queue.maxInFlightPerKey).toBe(0);
    expect(queueMaxInFlight(c)).toBe(40); // 0 = the room pending bound
    expect(queueMaxInFlight(parseJobConfig({ room: { batch: 5 } }))).toBe(10);
    expect(queueMaxInFlight(parseJobConfig({ queue: { maxInFlightPerKey: 1 } }))).toBe(1);
    expect(() => parseJobConfig({ queue: { maxInFlightPerKey: -1 } })).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID }));
    expect(Object.isFrozen(c.room)).toBe(true);
  });

  it('reads goim TOML keys case-insensitively with Go durations and a static comet list', () => {
    const c = resolveJobConfig({
      toml: `
[Kafka]
Topic = "t"
Brokers = ["127.0.0.1:9092"]
[room]
batch = 10
signal = "250ms"
idle = "0"
[comet]
RoutineSize = 4
[[comets]]
Hostname = "c1"
addr = "grpc://10.0.0.1:3109"
zone = "sh001"
`,
    });
    expect(c.kafka).toMatchObject({ topic: 't', brokers: ['127.0.0.1:9092'] });
    expect(c.room).toMatchObject({ batch: 10, signal: 250, idle: 0 });
    expect(roomIdleMs(c)).toBe(60_000); // goim: idle 0 means 1 min
    expect(c.comet.routineSize).toBe(4);
    expect(c.comets).toEqual([{ hostname: 'c1', addr: 'grpc://10.0.0.1:3109', zone: 'sh001' }]);
  });

  it('takes identity from env then flags, as goim', () => {
    const c = resolveJobConfig({ env: { ZONE: 'a', REGION: 'sh' }, argv: ['-zone', 'b', '-deploy.env=prod', '-debug'] });
    expect(c.env).toMatchObject({ zone: 'b', region: 'sh', deployEnv: 'prod', debug: true });
  });

  it('rejects unknown keys, bad durations, zoneOnly without a zone and duplicate comets with GOIM_ERR_CONFIG_INVALID', () => {
    expect(() => parseJobConfig({ room: { size: 1 } })).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID }));
    expect(() => parseJobConfig({ room: { signal: '1 sec' } })).toThrow(/room.signal: not a duration/);
    expect(() => parseJobConfig({ job: { zoneOnly: true } })).toThrow(/job.zoneOnly needs env.zone/);
    expect(() =>
      parseJobConfig({
        comets: [
          { hostname: 'a', addr: ':1' },
          { hostname: 'a', addr: ':2' },
        ],
      }),
    ).toThrow(/duplicate comet hostname "a"/);
    expect(() => resolveJobConfig({ toml: 'x = = 1' })).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_TOML }));
    expect(() => parseJobFlags(['-nope'])).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FLAG }));
    expect(() => parseJobFlags(['-zone'])).toThrow(/needs a value/);
  });

  it('parses Go durations and gRPC addresses', () => {
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('5')).toBeUndefined();
    expect(grpcTarget('grpc://10.0.0.1:3109')).toBe('10.0.0.1:3109');
    expect(grpcTarget(':3109')).toBe('127.0.0.1:3109');
    expect(grpcTarget('[::1]:3109')).toBe('[::1]:3109');
    expect(() => grpcTarget('nohost')).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID }));
  });
});
