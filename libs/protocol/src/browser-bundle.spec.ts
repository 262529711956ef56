/**
 * The main entry runs in browsers: esbuild bundles src/index.ts for `platform: 'browser'`
 * and fails on any Node built-in; the bundle then runs in a bare V8 context that has only
 * ECMAScript globals plus TextEncoder/TextDecoder (no require, Buffer, process).
 */
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { build, type Plugin } from 'esbuild';

const ENTRY = join(__dirname, 'index.ts');
const BUILTINS = new Set(builtinModules);

/** Fails the build on `node:*` and bare built-in names (`fs`, `buffer`, `net` …). */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, '').split('/')[0]!;
      if (args.path.startsWith('node:') || BUILTINS.has(bare)) {
        return { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}` }] };
      }
      return undefined;
    });
  },
};

async function bundle(entry: string, format: 'esm' | 'iife') {
  return build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format,
    globalName: format === 'iife' ? 'goim' : undefined,
    target: 'es2020',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
}

describe('browser bundle of @goim/protocol', () => {
  it('bundles for the browser without any Node built-in and stays small', async () => {
    const result = await bundle(ENTRY, 'esm');
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((p) => p.startsWith('libs/protocol/src/') || p.startsWith('src/'))).toBe(true);
    expect(inputs.some((p) => p.includes('/rpc/'))).toBe(false);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\brequire\(|\bBuffer\b|\bprocess\./);
    const size = Buffer.byteLength(code);
    // Reported for the README; the budget catches an accidental dependency.
    console.log(`@goim/protocol browser bundle: ${size} bytes minified (esm)`);
    expect(size).toBeLessThan(16 * 1024);
  });

  it('fails the build when something imports a Node built-in (the guard works)', async () => {
    await expect(bundle(join(__dirname, 'rpc', 'index.ts'), 'esm')).rejects.toThrow(/Node built-in "(node:)?[a-z_/]+" imported by/);
  });

  it('runs in a context with only web-standard globals', async () => {
    const result = await bundle(ENTRY, 'iife');
    const context = createContext({ TextEncoder, TextDecoder });
    runInContext(result.outputFiles[0]!.text, context);
    const out = runInContext(
      `(() => {
        const { encodeFrame, encodeAuthToken, FrameStreamDecoder, decodeWsMessage, encodeRawBatch, wrapRaw, readRawBatch, parseAuthToken, Op } = goim;
        const auth = encodeFrame({ ver: 1, op: Op.Auth, seq: 1, body: encodeAuthToken({ mid: 1, room_id: 'live://1' }) });
        const d = new FrameStreamDecoder();
        const frames = [...d.push(auth.subarray(0, 5)), ...d.push(auth.subarray(5))];
        const batch = encodeRawBatch([{ op: 1000, body: new TextEncoder().encode('hi') }]);
        const ws = new Uint8Array(16 + batch.length); ws.set(wrapRaw(batch)); ws.set(batch, 16);
        const inner = readRawBatch(decodeWsMessage(ws, Infinity).body);
        return JSON.stringify({ token: parseAuthToken(frames[0].body), inner: inner.map((f) => [f.op, new TextDecoder().decode(f.body)]),
          hasRequire: typeof require, hasBuffer: typeof Buffer });
      })()`,
      context,
    ) as string;
    expect(JSON.parse(out)).toEqual({
      token: { mid: 1, key: '', room_id: 'live://1', platform: '', accepts: [] },
      inner: [[1000, 'hi']],
      hasRequire: 'undefined',
      hasBuffer: 'undefined',
    });
  });
});
