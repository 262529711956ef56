/**
 * The logic process (apps/logic/src/main.ts) started while its discovery backend is down: it
 * must neither exit nor hang silently, but warn with the backend address, retry, and start by
 * itself once the backend is up (comet watch established, `goim.logic` registered). Each case
 * starts its own etcd / redis-server (through @goim/test-services) on a port chosen before the
 * logic process starts. (Before: with Redis down, logic exited 1 on the first failed watch.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, type RegistryConfigInput } from '@goim/discovery-client';
import { freePort, startEtcd, startRedis, type StartedService } from '@goim/test-services';
import { spawnApp, waitFor } from '@goim/testkit';

const backends: Array<{
  name: string;
  address: (port: number) => string;
  registry: (port: number) => RegistryConfigInput & { type: 'etcd' | 'redis' };
  toml: (port: number) => string[];
  start: (port: number) => Promise<StartedService>;
}> = [
  {
    name: 'etcd',
    address: (port) => `etcd http://127.0.0.1:${port}`,
    registry: (port) => ({ type: 'etcd', hosts: `http://127.0.0.1:${port}`, env: 'logic-down' }),
    toml: (port) => ['type = "etcd"', `hosts = "http://127.0.0.1:${port}"`],
    start: (port) => startEtcd({ port }),
  },
  {
    name: 'Redis',
    address: (port) => `redis redis://127.0.0.1:${port}`,
    registry: (port) => ({ type: 'redis', url: `redis://127.0.0.1:${port}`, env: 'logic-down' }),
    toml: (port) => ['type = "redis"', `url = "redis://127.0.0.1:${port}"`],
    start: (port) => startRedis({ port }),
  },
];

describe('logic main with discovery down at start', () => {
  for (const b of backends) {
    it(`waits for ${b.name} with warnings naming it, then watches and registers by itself`, async () => {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'logic-disc-'));
      const conf = join(dir, 'logic.toml');
      writeFileSync(
        conf,
        [
          '[httpServer]',
          'addr = "127.0.0.1:0"',
          '[rpcServer]',
          'addr = "127.0.0.1:0"',
          '[discovery.registry]',
          ...b.toml(port),
          'env = "logic-down"',
          'attemptTimeoutMs = 1000',
          'retryMaxDelayMs = 1000',
        ].join('\n'),
      );
      const app = spawnApp('logic', ['-conf', conf, '-host', 'logic-down-1']);
      let backend: StartedService | undefined;
      try {
        const warnings = () =>
          app
            .output()
            .split('\n')
            .filter((l) => l.includes('discovery watch of goim.comet failed; retrying'))
            .map((l) => JSON.parse(l) as { level: number; backend: string; attempt: number });
        await waitFor(() => warnings().length >= 2, `two warnings about the comet watch; output so far:\n${app.output()}`, 20_000);
        expect(warnings()[0]).toMatchObject({ level: 40, backend: b.address(port), attempt: 1 });
        expect(app.child.exitCode).toBeNull();
        expect(app.output()).not.toContain('logic started');

        backend = await b.start(port);
        await waitFor(() => app.output().includes('logic started'), `logic started after ${b.name} came up; output:\n${app.output()}`, 20_000);
        const observer = createRegistry(b.registry(port));
        try {
          const snap = await waitFor(async () => {
            const s = await observer.fetch('goim.logic');
            return s.instances.length === 1 ? s : undefined;
          }, 'logic registered as goim.logic');
          expect(snap.instances[0]!.hostname).toBe('logic-down-1');
          expect(snap.instances[0]!.addrs[0]).toMatch(/^grpc:\/\/[^:]+:\d+$/);
          app.child.kill('SIGTERM');
          expect((await app.exited).code).toBe(0);
          // Leaving discovery is the first shutdown step.
          expect((await observer.fetch('goim.logic')).instances).toEqual([]);
        } finally {
          await observer.close();
        }
      } finally {
        app.kill();
        await backend?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
