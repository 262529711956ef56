import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CodedError,
  layerConfigSources,
  ConfigError,
  ConfigErrorCode,
  deepFreeze,
  goDuration,
  isTrue,
  mergeConfig,
  normaliseKeys,
  objectShape,
  parseBind,
  parseConfig,
  parseGoimFlags,
  parseIntValue,
  parseTomlConfig,
  readConfigFile,
  splitList,
} from './index.js';

const schema = z
  .object({
    env: z.object({ deployEnv: z.string().default(''), weight: z.number().default(1) }).strict().prefault({}),
    rpcServer: z.object({ addr: z.string().default(':1'), idleTimeout: goDuration(5, { examples: '"1s"' }) }).strict().prefault({}),
    comets: z.array(z.object({ hostName: z.string() }).strict()).default([]),
  })
  .strict()
  .superRefine(() => undefined);

describe('objectShape / normaliseKeys', () => {
  it('sees through superRefine and default wrappers', () => {
    expect(Object.keys(objectShape(schema) ?? {})).toEqual(['env', 'rpcServer', 'comets']);
    expect(objectShape(z.string())).toBeUndefined();
  });

  it('renames keys case-insensitively in tables and arrays of tables, keeping unknown keys', () => {
    const out = normaliseKeys({ ENV: { deployenv: 'dev' }, rpcserver: { IdleTimeout: '1s', bogus: 1 }, Comets: [{ HOSTNAME: 'a' }] }, objectShape(schema));
    expect(out).toEqual({ env: { deployEnv: 'dev' }, rpcServer: { idleTimeout: '1s', bogus: 1 }, comets: [{ hostName: 'a' }] });
  });
});

describe('parseTomlConfig / readConfigFile / parseConfig', () => {
  it('parses goim TOML into the schema spelling', () => {
    const raw = parseTomlConfig('[RPCServer]\naddr = ":9"\nidletimeout = "2s"\n', objectShape(schema));
    expect(parseConfig(schema, raw, 'test').rpcServer).toEqual({ addr: ':9', idleTimeout: 2_000 });
  });

  it('throws typed errors: bad TOML, unreadable file, invalid values naming every key', () => {
    expect(() => parseTomlConfig('x = [', undefined)).toThrow(expect.objectContaining({ name: 'ConfigError', code: ConfigErrorCode.BAD_TOML }));
    expect(() => readConfigFile('/nonexistent/goim.toml')).toThrow(
      expect.objectContaining({ code: ConfigErrorCode.BAD_FILE, message: expect.stringContaining('cannot read config file /nonexistent/goim.toml') }),
    );
    let err: unknown;
    try {
      parseConfig(schema, { env: { weight: 'x' }, rpcServer: { nope: 1 } }, 'test');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: ConfigErrorCode.INVALID, message: expect.stringMatching(/^invalid test config: env\.weight: .*; rpcServer: .*nope/) });
  });

  it('reads a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'app-kit-')), 'a.toml');
    writeFileSync(file, 'a = 1\n');
    expect(readConfigFile(file)).toBe('a = 1\n');
  });
});

describe('mergeConfig / deepFreeze', () => {
  it('merges tables deeply and replaces arrays', () => {
    expect(mergeConfig({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, e: 2 })).toEqual({ a: { b: 1, c: [2] }, d: 1, e: 2 });
  });

  it('freezes nested objects and arrays', () => {
    const o = deepFreeze({ a: { b: [1] } });
    expect(Object.isFrozen(o.a) && Object.isFrozen(o.a.b)).toBe(true);
  });
});

describe('values from env and flags', () => {
  it('reads goim booleans, lists and integers', () => {
    expect(['1', 't', 'TRUE', 'yes', 'on'].map(isTrue)).toEqual([true, true, true, true, true]);
    expect(['0', 'false', 'no', ''].map(isTrue)).toEqual([false, false, false, false]);
    expect(splitList(' a, ,b ,')).toEqual(['a', 'b']);
    expect(parseIntValue('WEIGHT', '7')).toBe(7);
    expect(() => parseIntValue('WEIGHT', '1.5')).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID, message: 'WEIGHT must be an integer, got "1.5"' }));
  });

  it('parses goim single-dash flags in order, with standalone booleans', () => {
    const spec = { names: ['conf', 'zone', 'deploy.env', 'debug'], booleans: ['debug'] };
    expect(parseGoimFlags(['-conf', 'a.toml', '--zone=sh', '-debug', '-deploy.env', 'dev', '-debug=false'], spec)).toEqual([
      ['conf', 'a.toml'],
      ['zone', 'sh'],
      ['debug', 'true'],
      ['deploy.env', 'dev'],
      ['debug', 'false'],
    ]);
    expect(parseGoimFlags(['-debug', 'no'], spec)).toEqual([['debug', 'no']]);
    expect(() => parseGoimFlags(['-nope'], spec)).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FLAG, message: 'unknown flag "-nope"' }));
    expect(() => parseGoimFlags(['-zone'], spec)).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FLAG, message: 'flag "-zone" needs a value' }));
    expect(() => parseGoimFlags(['zone'], spec)).toThrow(expect.objectContaining({ code: ConfigErrorCode.BAD_FLAG }));
  });

  it('splits bind addresses', () => {
    expect(parseBind(':3101')).toEqual({ host: undefined, port: 3101 });
    expect(parseBind('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseBind('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseBind('nope')).toThrow(expect.objectContaining({ code: ConfigErrorCode.INVALID }));
  });
});

describe('layerConfigSources', () => {
  it('layers toml < object < env < argv in the schema spelling', () => {
    const raw = layerConfigSources(
      schema,
      { toml: '[ENV]\ndeployenv = "toml"\nweight = 1\n', object: { Env: { weight: 2 } }, env: { W: '3' }, argv: ['-deploy.env', 'flag'] },
      {
        fromEnv: (env) => ({ env: { weight: Number(env.W) } }),
        fromArgv: (argv) => ({ env: { deployEnv: argv[1] } }),
      },
    );
    expect(raw).toEqual({ env: { deployEnv: 'flag', weight: 3 } });
    expect(layerConfigSources(schema, {}, { fromEnv: () => ({ a: 1 }), fromArgv: () => ({ b: 1 }) })).toEqual({});
  });
});

describe('CodedError', () => {
  it('carries the code, the message and the cause; subclasses name themselves', () => {
    class DemoError extends CodedError<'GOIM_ERR_DEMO_X'> {
      override readonly name = 'DemoError';
    }
    const cause = new Error('inner');
    const err = new DemoError('GOIM_ERR_DEMO_X', 'bad', { cause });
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.message, err.cause]).toEqual(['DemoError', 'GOIM_ERR_DEMO_X', 'bad', cause]);
  });
});
