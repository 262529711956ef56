import type { Instance } from '@goim/discovery-client';
import { MemorySessionStore } from '@goim/session-store';
import { StaticCometSource } from './comets.js';
import { OnlineAggregator } from './online.js';

const comet = (hostname: string): Instance => ({
  region: '',
  zone: '',
  env: '',
  appid: 'goim.comet',
  hostname,
  addrs: [],
  version: '',
  latest_timestamp: 0,
  metadata: {},
});

describe('OnlineAggregator', () => {
  let now: number;
  let sessions: MemorySessionStore;
  const clock = () => now;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_700_000_000_000;
    sessions = new MemorySessionStore({ now: clock });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sums room counts of every known comet', async () => {
    const sec = Math.floor(now / 1000);
    await sessions.addServerOnline({ server: 'c1', roomCount: { 'live://1': 3, 'live://2': 1 }, updated: sec });
    await sessions.addServerOnline({ server: 'c2', roomCount: { 'live://1': 4 }, updated: sec });
    await sessions.addServerOnline({ server: 'unknown', roomCount: { 'live://1': 100 }, updated: sec });
    const agg = new OnlineAggregator(sessions, new StaticCometSource([comet('c1'), comet('c2')]), { now: clock });
    await agg.refresh();
    expect(Object.fromEntries(agg.roomCount())).toEqual({ 'live://1': 7, 'live://2': 1 });
  });

  it('drops and deletes a comet whose newest report is older than 5 minutes', async () => {
    await sessions.addServerOnline({ server: 'old', roomCount: { 'live://1': 5 }, updated: Math.floor(now / 1000) - 301 });
    await sessions.addServerOnline({ server: 'edge', roomCount: { 'live://1': 2 }, updated: Math.floor(now / 1000) - 300 });
    const agg = new OnlineAggregator(sessions, new StaticCometSource([comet('old'), comet('edge')]), { now: clock });
    await agg.refresh();
    expect(Object.fromEntries(agg.roomCount())).toEqual({ 'live://1': 2 });
    await expect(sessions.serverOnline('old')).resolves.toBeUndefined();
    await expect(sessions.serverOnline('edge')).resolves.toBeDefined();
  });

  it('counts servers that reported through this logic even when not in the comet list, until they go stale', async () => {
    const agg = new OnlineAggregator(sessions, new StaticCometSource([]), { now: clock });
    await sessions.addServerOnline({ server: 'c9', roomCount: { 'live://9': 1 }, updated: Math.floor(now / 1000) });
    agg.noteReport('c9');
    await agg.refresh();
    expect(agg.roomCount().get('live://9')).toBe(1);
    now += 301_000;
    await agg.refresh();
    expect(agg.roomCount().size).toBe(0);
  });

  it('reloads every 10 s and keeps the last counts when a load fails', async () => {
    const agg = new OnlineAggregator(sessions, new StaticCometSource([comet('c1')]), { now: clock });
    await agg.start();
    expect(agg.roomCount().size).toBe(0);
    await sessions.addServerOnline({ server: 'c1', roomCount: { 'live://1': 1 }, updated: Math.floor(now / 1000) });
    await jest.advanceTimersByTimeAsync(9_999);
    expect(agg.roomCount().size).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(agg.roomCount().get('live://1')).toBe(1);
    const spy = jest.spyOn(sessions, 'serverOnline').mockRejectedValue(new Error('redis down'));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(spy).toHaveBeenCalled();
    expect(agg.roomCount().get('live://1')).toBe(1);
    await agg.stop();
    spy.mockClear();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(spy).not.toHaveBeenCalled();
  });

  it('top matches the exact type:// prefix and keeps room ids intact', async () => {
    await sessions.addServerOnline({
      server: 'c1',
      roomCount: { 'live://1000': 5, 'live://a/b?c#d@e:f g': 9, 'live2://1000': 50, live: 70, 'live://x': 5, 'chat://1': 1 },
      updated: Math.floor(now / 1000),
    });
    const agg = new OnlineAggregator(sessions, new StaticCometSource([comet('c1')]), { now: clock });
    await agg.refresh();
    expect(agg.top('live', 10)).toEqual([
      { room_id: 'a/b?c#d@e:f g', count: 9 },
      { room_id: '1000', count: 5 },
      { room_id: 'x', count: 5 },
    ]);
    expect(agg.top('live', 1)).toEqual([{ room_id: 'a/b?c#d@e:f g', count: 9 }]);
    expect(agg.top('none', 5)).toEqual([]);
    expect(agg.rooms('live', ['1000', 'nope'])).toEqual({ '1000': 5, nope: 0 });
  });
});
