import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { Op, decodeWsMessage, encodeFrame } from '@goim/protocol';
import { startComet } from './testing.js';

function selfSignedPair(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  return { cert, key };
}

describe('comet WSS listener', () => {
  it('serves goim frames over TLS with the configured cert/key pairs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-tls-'));
    const { cert, key } = selfSignedPair(dir);
    const t = await startComet({ websocket: { tlsOpen: true, tlsBind: ['127.0.0.1:0'], certFile: cert, privateFile: key } });
    try {
      const ws = new WebSocket(`wss://127.0.0.1:${t.addrs.wss[0]!.port}/sub`, { rejectUnauthorized: false });
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      const got = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
      ws.send(encodeFrame({ ver: 1, op: Op.Auth, seq: 5, body: Buffer.from('{"mid":8,"key":"tls"}') }));
      const f = decodeWsMessage(await got);
      expect([f.op, f.seq]).toEqual([Op.AuthReply, 5]);
      expect(t.comet.buckets.get('tls')).toBeDefined();
      ws.terminate();
    } finally {
      await t.close();
    }
  });
});

describe('comet main (process entry)', () => {
  it('starts from -conf and flags and exits 0 on SIGTERM after draining', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-main-'));
    const conf = join(dir, 'comet.toml');
    writeFileSync(
      conf,
      ['[tcp]', 'bind = ["127.0.0.1:0"]', '[websocket]', 'bind = ["127.0.0.1:0"]', '[rpcServer]', 'addr = "127.0.0.1:0"', '[admin]', 'addr = "127.0.0.1:0"', '[shutdown]', 'drain = "100ms"'].join('\n'),
    );
    const root = resolve(__dirname, '../../..');
    const child = spawn(
      process.execPath,
      ['--conditions=@goim/source', '--import', 'tsx', join(__dirname, 'main.ts'), '-conf', conf, '-host', 'main-test', '-region', 'sh', '-logic', '127.0.0.1:1'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes('comet started') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('comet started');
      expect(out).toContain('"host":"main-test"');
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(out).toContain('comet closed');
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
