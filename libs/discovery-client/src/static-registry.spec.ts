import { RegistryError, RegistryErrorCode, StaticRegistry } from './index.js';
import { describeRegistryContract } from './testing/index.js';

describeRegistryContract('StaticRegistry (contract)', ({ env }) => ({ registry: new StaticRegistry({ env }) }), { supportsExpiry: false });

describe('StaticRegistry', () => {
  const logic = { appid: 'goim.logic', hostname: 'logic01', zone: 'sh001', region: 'sh', addrs: ['grpc://10.0.0.9:3119'], version: '', metadata: { weight: '10' } };

  it('serves configured instances stamped with the construction time, ignoring other envs', async () => {
    const r = new StaticRegistry({
      env: 'prod',
      now: () => 1_700_000_000_000,
      instances: [logic, { ...logic, hostname: 'logic02', env: 'dev' }, { ...logic, hostname: 'logic03', env: 'prod', latest_timestamp: 5 }],
    });
    const snap = await r.fetch('goim.logic');
    expect(snap.instances).toEqual([
      { ...logic, env: 'prod', latest_timestamp: 1_700_000_000_000 * 1e6 },
      { ...logic, hostname: 'logic03', env: 'prod', latest_timestamp: 5 },
    ]);
    await r.close();
  });

  it('defaults the env to dev rather than failing (goim #253)', () => {
    expect(new StaticRegistry().env).toBe('dev');
  });

  it('names the bad property of a configured instance', () => {
    let caught: unknown;
    try {
      new StaticRegistry({ instances: [{ ...logic, addrs: ['10.0.0.9:3119'] }] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RegistryError);
    expect((caught as RegistryError).code).toBe(RegistryErrorCode.INVALID_OPTIONS);
    expect((caught as RegistryError).message).toContain('instances[0].addrs.0');
  });

  it('rejects a bad env', () => {
    expect(() => new StaticRegistry({ env: 'a b' })).toThrow(expect.objectContaining({ code: 'GOIM_ERR_REGISTRY_INVALID_OPTIONS' }));
  });

  it('stamps a strictly growing latest_timestamp even when the clock stands still', async () => {
    const r = new StaticRegistry({ now: () => 1_700_000_000_000 });
    const reg = await r.register({ ...logic });
    const t0 = reg.instance.latest_timestamp;
    await reg.update({ weight: '1' });
    const t1 = reg.instance.latest_timestamp;
    await reg.update({ weight: '2' });
    expect(t0).toBe(1_700_000_000_000 * 1e6);
    expect(t1).toBeGreaterThan(t0);
    expect(reg.instance.latest_timestamp).toBeGreaterThan(t1);
    await r.close();
  });

  it('hands out copies: mutating a snapshot or the input changes nothing', async () => {
    const r = new StaticRegistry();
    const input = { ...logic, metadata: { weight: '10' } };
    await r.register(input);
    input.metadata.weight = '99';
    const snap = await r.fetch('goim.logic');
    snap.instances[0]!.metadata['weight'] = '0';
    expect((await r.fetch('goim.logic')).instances[0]!.metadata).toEqual({ weight: '10' });
    await r.close();
  });

  it('cancelling a replaced registration leaves the newer one in place', async () => {
    const r = new StaticRegistry();
    const first = await r.register({ ...logic, version: '1' });
    await r.register({ ...logic, version: '2' });
    await first.cancel();
    expect((await r.fetch('goim.logic')).instances.map((i) => i.version)).toEqual(['2']);
    await r.close();
  });
});
