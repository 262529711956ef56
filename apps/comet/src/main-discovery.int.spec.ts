/**
 * The comet process (apps/comet/src/main.ts) with discovery on its own redis-server:
 * - Redis down at start: the comet warns naming the backend, keeps retrying, and once Redis is
 *   up watches goim.logic, registers as goim.comet and, on SIGTERM, leaves discovery and
 *   exits 0;
 * - registration refused (a Redis ACL user that may read but not write keys): the comet listens
 *   for clients while registration keeps retrying; a SIGTERM then still runs the shutdown
 *   protocol (op 6 drain, exit 0) instead of killing the process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '@goim/discovery-client';
import { freePort, redisCommand, startRedis, type StartedService } from '@goim/test-services';
import { spawnApp, waitFor } from '@goim/testkit';

interface Line {
  level: number;
  msg: string;
  backend?: string;
}

function startComet(registryUrl: string, ports: { tcp: number; grpc: number }, host: string) {
  const dir = mkdtempSync(join(tmpdir(), 'comet-disc-'));
  const conf = join(dir, 'comet.toml');
  writeFileSync(
    conf,
    [
      '[rpcServer]',
      `addr = "127.0.0.1:${ports.grpc}"`,
      '[tcp]',
      `bind = ["127.0.0.1:${ports.tcp}"]`,
      '[websocket]',
      'bind = ["127.0.0.1:0"]',
      '[admin]',
      'addr = ""',
      '[shutdown]',
      'drain = "200ms"',
      '[discovery.registry]',
      'type = "redis"',
      `url = "${registryUrl}"`,
      'env = "comet-disc"',
      'attemptTimeoutMs = 1000',
      'retryMaxDelayMs = 500',
    ].join('\n'),
  );
  const app = spawnApp('comet', ['-conf', conf, '-host', host]);
  return {
    ...app,
    lines: () => app.lines<Line>(),
    cleanup: () => {
      app.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `port` on 127.0.0.1 accepts a TCP connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('comet main with discovery on Redis', () => {
  it('waits for Redis with warnings naming it, then registers by itself and leaves discovery on SIGTERM', async () => {
    const port = await freePort();
    const comet = startComet(`redis://127.0.0.1:${port}`, { tcp: await freePort(), grpc: await freePort() }, 'comet-disc-1');
    let redis: StartedService | undefined;
    try {
      const warnings = () => comet.lines().filter((l) => l.level === 40 && l.msg.endsWith('failed; retrying'));
      await waitFor(() => warnings().length >= 2, `two discovery warnings; output so far:\n${comet.output()}`, 20_000);
      expect(warnings()[0]!.backend).toBe(`redis redis://127.0.0.1:${port}`);
      expect(comet.child.exitCode).toBeNull();

      redis = await startRedis({ port });
      await waitFor(() => comet.output().includes('"comet started"'), `comet started after Redis came up; output:\n${comet.output()}`, 20_000);
      const observer = createRegistry({ type: 'redis', url: `redis://127.0.0.1:${port}`, env: 'comet-disc' });
      try {
        const snap = await observer.fetch('goim.comet');
        expect(snap.instances.map((i) => i.hostname)).toEqual(['comet-disc-1']);
        comet.child.kill('SIGTERM');
        expect(await comet.exited).toEqual({ code: 0, signal: null });
        expect((await observer.fetch('goim.comet')).instances).toEqual([]);
      } finally {
        await observer.close();
      }
    } finally {
      comet.cleanup();
      await redis?.stop();
    }
  }, 60_000);

  it('drains and exits 0 on SIGTERM while registration is still being retried', async () => {
    const redis = await startRedis();
    // May read every key (the goim.logic watch works) but write none (registration fails).
    expect(await redisCommand(redis.port, 'ACL SETUSER reader on >secret %R~* &* +@all')).toBe('+OK');
    const ports = { tcp: await freePort(), grpc: await freePort() };
    const comet = startComet(`redis://reader:secret@127.0.0.1:${redis.port}`, ports, 'comet-disc-2');
    try {
      const registerRetries = () => comet.lines().filter((l) => l.level === 40 && /register.*failed; retrying/.test(l.msg));
      await waitFor(() => registerRetries().length >= 2, `registration retried; output so far:\n${comet.output()}`, 20_000);
      expect(comet.output()).toContain('NOPERM');
      expect(await accepts(ports.tcp)).toBe(true); // clients can already connect
      expect(comet.output()).not.toContain('"comet started"');

      comet.child.kill('SIGTERM');
      expect(await comet.exited).toEqual({ code: 0, signal: null });
      expect(comet.lines().some((l) => l.msg === 'shutting down')).toBe(true);
    } finally {
      comet.cleanup();
      await redis.stop();
    }
  }, 60_000);
});
