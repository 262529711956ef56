import type { Instance } from '@goim/discovery-client';
import { MAX_WEIGHT, WeightedBalancer, computeWeight, roundHalfDown, type BalancerNode } from './balancer.js';
import { eligibleComets } from './comets.js';

function inst(hostname: string, md: Record<string, string>, extra: Partial<Instance> = {}): Instance {
  return { region: '', zone: 'z1', env: 'dev', appid: 'goim.comet', hostname, addrs: [], version: '', latest_timestamp: 1, metadata: md, ...extra };
}
const node = (fixedWeight: number, currentConns: number): BalancerNode => ({
  hostname: 'n',
  region: '',
  fixedWeight,
  currentConns,
  addrs: [],
  updated: 0,
  currentWeight: 0,
});

// Expected numbers below are worked out by hand from spec §3.7.
describe('roundHalfDown', () => {
  it('rounds an exact half down and anything above it up', () => {
    expect(roundHalfDown(0.5)).toBe(0);
    expect(roundHalfDown(1.75)).toBe(2);
    expect(roundHalfDown(73.0769)).toBe(73);
    expect(roundHalfDown(-0.25)).toBe(-0);
    expect(roundHalfDown(-44.01)).toBe(-44);
    expect(roundHalfDown(-0.5)).toBe(-1);
  });
});

describe('computeWeight', () => {
  it('is 0 while no connection is counted', () => {
    expect(computeWeight(node(10, 0), 20, 0, 1)).toBe(0);
  });

  it('boosts the client region by regionWeight', () => {
    // fw = 16, tw = 20 + 16 − 10 = 26; diff = 16/26 − (100/200)·0.5 = 0.36538; m = 73.08 → 73; 16 + 73 = 89
    expect(computeWeight(node(10, 100), 20, 200, 1.6)).toBe(89);
    // fw = 10, tw = 20; diff = 0.5 − 0.25 = 0.25; m = 50 → 10 + 50 = 60
    expect(computeWeight(node(10, 100), 20, 200, 1)).toBe(60);
  });

  it('rounds m up above a half: weight 30 of 40 with 1 of 3 connections', () => {
    // diff = 0.75 − (1/3)·0.5 = 0.58333; m = 1.75 → 2; 30 + 2 = 32
    expect(computeWeight(node(30, 1), 40, 3, 1)).toBe(32);
    // diff = 0.25 − (2/3)·0.5 = −0.08333; m = −0.25 → −0; 10 + 0 = 10
    expect(computeWeight(node(10, 2), 40, 3, 1)).toBe(10);
  });

  it('clamps an overloaded node to 1 and a huge weight to 2^20', () => {
    // diff = 1/101 − 0.9·0.5 = −0.4401; m = −44.01 → −44; 1 − 44 = −43 → 1
    expect(computeWeight(node(1, 90), 101, 100, 1)).toBe(1);
    expect(computeWeight(node(2_000_000, 0), 2_000_000, 1, 1)).toBe(MAX_WEIGHT);
  });
});

describe('WeightedBalancer', () => {
  it('picks by weight and counts one connection for the best node', () => {
    const b = new WeightedBalancer();
    b.update(eligibleComets([inst('a', { weight: '10', conn_count: '0', addrs: '1.1.1.1' }), inst('b', { weight: '10', conn_count: '0', addrs: '2.2.2.2,2.2.2.3' })]));
    // Client region gz matches neither node (no gain). totalConns 0: both weigh 0, a keeps first place.
    expect(b.pick('gz', '.goim.io', 1.6)).toEqual({ domains: ['a.goim.io', 'b.goim.io'], addrs: ['1.1.1.1', '2.2.2.2', '2.2.2.3'] });
    // totalConns 1: a = 10 + round(0·1) = 10, b = 10 + round(0.5) = 10 → tie, a again.
    expect(b.pick('gz', '.goim.io', 1.6).domains[0]).toBe('a.goim.io');
    // totalConns 2, a has 2: a = 10 + 0 = 10, b = 10 + round(1) = 11 → b.
    expect(b.pick('gz', '.goim.io', 1.6).domains[0]).toBe('b.goim.io');
    expect(b.list().map((n) => [n.hostname, n.currentConns])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('prefers the client region', () => {
    const b = new WeightedBalancer();
    b.update(
      eligibleComets([
        inst('bj1', { weight: '10', conn_count: '100' }, { region: 'bj' }),
        inst('sh1', { weight: '10', conn_count: '100' }, { region: 'sh' }),
      ]),
    );
    expect(b.pick('sh', '.x', 1.6).domains).toEqual(['sh1.x', 'bj1.x']);
    expect(b.list().map((n) => n.currentWeight)).toEqual([60, 89]);
  });

  it('returns at most 5 nodes', () => {
    const b = new WeightedBalancer();
    b.update(eligibleComets(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'].map((h) => inst(h, { weight: '1', addrs: `ip-${h}` }))));
    const picked = b.pick('', '.d', 1);
    expect(picked.domains).toHaveLength(5);
    expect(picked.addrs).toHaveLength(5);
  });

  it('ignores an empty list and one under half the current size (flap guard)', () => {
    const b = new WeightedBalancer();
    const four = ['a', 'b', 'c', 'd'].map((h) => inst(h, { weight: '1' }));
    expect(b.update(eligibleComets(four))).toBe(true);
    expect(b.update([])).toBe(false);
    expect(b.update(eligibleComets(four.slice(0, 1)))).toBe(false);
    expect(b.list()).toHaveLength(4);
    expect(b.update(eligibleComets(four.slice(0, 2)))).toBe(true);
    expect(b.list()).toHaveLength(2);
  });

  it('keeps the local connection counter of an unchanged instance and resets a changed one', () => {
    const b = new WeightedBalancer();
    const a1 = inst('a', { weight: '1', conn_count: '5' }, { latest_timestamp: 100 });
    b.update(eligibleComets([a1]));
    b.pick('', '', 1);
    b.pick('', '', 1);
    expect(b.list()[0]!.currentConns).toBe(7);
    b.update(eligibleComets([a1]));
    expect(b.list()[0]!.currentConns).toBe(7);
    b.update(eligibleComets([inst('a', { weight: '1', conn_count: '6' }, { latest_timestamp: 200 })]));
    expect(b.list()[0]!.currentConns).toBe(6);
  });
});

describe('eligibleComets', () => {
  it('skips offline comets and unparseable counts, reads missing counts as 0', () => {
    const got = eligibleComets([
      inst('on', { offline: 'false', conn_count: '3', ip_count: '2' }),
      inst('off', { offline: 'true' }),
      inst('off2', { offline: 'T' }),
      inst('badbool', { offline: 'maybe' }),
      inst('badcount', { conn_count: 'x' }),
      inst('fresh', {}),
    ]);
    expect(got.map((c) => [c.instance.hostname, c.connCount, c.ipCount])).toEqual([
      ['on', 3, 2],
      ['fresh', 0, 0],
    ]);
  });
});
