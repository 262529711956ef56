import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigErrorCode, loadCometConfig, parseBind, parseCometFlags, parseGoDuration, resolveCometConfig } from './index.js';

// goim's comet-example.toml (spec §6.1), trimmed of comments.
const GOIM_EXAMPLE = `
[discovery]
    nodes = ["127.0.0.1:7171"]
[rpcServer]
    addr = ":3109"
    timeout = "1s"
[rpcClient]
    dial = "1s"
    timeout = "1s"
[tcp]
    bind = [":3101"]
    sndbuf = 4096
    rcvbuf = 4096
    keepalive = false
    reader = 32
    readBuf = 1024
    readBufSize = 8192
    writer = 32
    writeBuf = 1024
    writeBufSize = 8192
[websocket]
    bind = [":3102"]
    tlsOpen = false
    tlsBind = [":3103"]
    certFile = "../../cert.pem"
    privateFile = "../../private.pem"
[protocol]
    timer = 32
    timerSize = 2048
    svrProto = 10
    cliProto = 5
    handshakeTimeout = "8s"
[whitelist]
    Whitelist = [123]
    WhiteLog  = "/tmp/white_list.log"
[bucket]
    size = 32
    channel = 1024
    room = 1024
    routineAmount = 32
    routineSize = 1024
`;

describe('comet config', () => {
  it('has goim defaults when nothing is given', () => {
    const c = resolveCometConfig({ hostname: 'h1' });
    expect(c.env).toEqual({ region: '', zone: '', deployEnv: '', host: 'h1', weight: 10, addrs: [], offline: false, debug: false });
    expect(c.tcp.bind).toEqual([':3101']);
    expect(c.websocket.bind).toEqual([':3102']);
    expect(c.rpcServer.addr).toBe(':3109');
    expect(c.protocol.handshakeTimeout).toBe(5000);
    expect(c.protocol.defaultIdleTimeout).toBe(8 * 60_000);
    expect(c.bucket.size).toBe(32);
    expect(c.online.interval).toBe(10_000);
    expect(Object.isFrozen(c.tcp)).toBe(true);
  });

  it("loads goim's example TOML (obsolete keys accepted and ignored)", () => {
    const c = resolveCometConfig({ toml: GOIM_EXAMPLE, hostname: 'h' });
    expect(c.protocol.handshakeTimeout).toBe(8000);
    expect(c.rpcClient.timeout).toBe(1000);
    expect(c.websocket.certFile).toEqual(['../../cert.pem']);
  });

  it('matches TOML keys case-insensitively like BurntSushi/toml', () => {
    const c = resolveCometConfig({ toml: '[PROTOCOL]\nHANDSHAKETIMEOUT = "250ms"\n[Bucket]\nSize = 8', hostname: 'h' });
    expect(c.protocol.handshakeTimeout).toBe(250);
    expect(c.bucket.size).toBe(8);
  });

  it('rejects unknown keys and bad values with GOIM_ERR_CONFIG_INVALID naming the key', () => {
    expect(() => resolveCometConfig({ toml: '[tcp]\nbindd = [":1"]' })).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID }));
    expect(() => resolveCometConfig({ toml: '[protocol]\nhandshakeTimeout = "soon"' })).toThrow(/protocol.handshakeTimeout/);
    expect(() => resolveCometConfig({ toml: 'x = [' })).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_TOML }));
    expect(() => resolveCometConfig({ toml: '[websocket]\ntlsOpen = true' })).toThrow(/certFile/);
  });

  it('layers TOML < env < flags for identity, goim style', () => {
    const c = resolveCometConfig({
      toml: '[env]\nregion = "bj"\nzone = "bj01"\nweight = 3',
      env: { REGION: 'sh', ZONE: 'sh001', DEPLOY_ENV: 'dev', WEIGHT: '5', OFFLINE: 'true', ADDRS: '1.1.1.1, 2.2.2.2' },
      argv: ['-zone', 'sh002', '-host=comet-9', '-deploy.env', 'prod', '-debug'],
    });
    expect(c.env).toEqual({
      region: 'sh',
      zone: 'sh002',
      deployEnv: 'prod',
      host: 'comet-9',
      weight: 5,
      addrs: ['1.1.1.1', '2.2.2.2'],
      offline: true,
      debug: true,
    });
  });

  it('parses flags and rejects unknown ones', () => {
    expect(parseCometFlags(['-conf', 'c.toml', '-weight', '7', '-offline', 'false', '--logic=1.2.3.4:3119'])).toEqual({
      conf: 'c.toml',
      logic: '1.2.3.4:3119',
      env: { weight: 7, offline: false },
    });
    expect(() => parseCometFlags(['-nope'])).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FLAG }));
    expect(() => parseCometFlags(['-zone'])).toThrow(/needs a value/);
  });

  it('reads -conf from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-cfg-'));
    const file = join(dir, 'comet.toml');
    writeFileSync(file, '[tcp]\nbind = ["127.0.0.1:0"]\n');
    expect(loadCometConfig(['-conf', file], {}).tcp.bind).toEqual(['127.0.0.1:0']);
    expect(() => loadCometConfig(['-conf', join(dir, 'missing.toml')], {})).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FILE }));
  });

  it('takes a discovery registry (same keys as logic) and needs the gRPC server with it', () => {
    const toml = `[discovery]\nmetadataInterval = "2s"\n[discovery.registry]\ntype = "etcd"\nhosts = ["http://127.0.0.1:2379"]\nttlSec = 3\n`;
    const cfg = resolveCometConfig({ toml, hostname: 'h' });
    expect(cfg.discovery.metadataInterval).toBe(2_000);
    expect(cfg.discovery.registry).toMatchObject({ type: 'etcd', hosts: ['http://127.0.0.1:2379'], ttlSec: 3, env: 'dev' });
    const plain = resolveCometConfig({ hostname: 'h' }).discovery;
    expect(plain.registry).toBeUndefined();
    expect(plain.metadataInterval).toBe(10_000);
    expect(() => resolveCometConfig({ toml: `${toml}[rpcServer]\naddr = ""\n`, hostname: 'h' })).toThrow(
      expect.objectContaining({ code: ConfigErrorCode.INVALID, message: expect.stringContaining('rpcServer.addr') }),
    );
    expect(() => resolveCometConfig({ toml: '[discovery.registry]\ntype = "zookeeper"\n', hostname: 'h' })).toThrow(
      expect.objectContaining({ code: ConfigErrorCode.INVALID }),
    );
  });

  it('parses Go durations and bind addresses', () => {
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('200ms')).toBe(200);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('5')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
    expect(parseBind(':3101')).toEqual({ host: undefined, port: 3101 });
    expect(parseBind('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseBind('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(() => parseBind('nope')).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID }));
  });
});
