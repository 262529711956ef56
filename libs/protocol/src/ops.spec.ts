import { loadVectors } from '@goim/testkit';
import { Op } from './index.js';

describe('Op', () => {
  it('names every op code of goim v2 (spec §1.2) with its number', () => {
    const { ops } = loadVectors<{ ops: Record<string, string> }>('frames.json');
    expect(Object.keys(ops)).toHaveLength(18);
    for (const [num, goName] of Object.entries(ops)) {
      const name = goName.replace(/^Op/, '') as keyof typeof Op;
      expect([goName, Op[name]]).toEqual([goName, Number(num)]);
    }
  });

  it('adds the goim-ts room ops 18–21', () => {
    expect([Op.JoinRoom, Op.JoinRoomReply, Op.LeaveRoom, Op.LeaveRoomReply]).toEqual([18, 19, 20, 21]);
  });

  it('gives every name a distinct code', () => {
    expect(new Set(Object.values(Op)).size).toBe(Object.keys(Op).length);
  });
});
