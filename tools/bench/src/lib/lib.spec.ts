import { encodeFrame, encodeRawBatch } from '@goim/protocol';
import { hotSpots, shortUrl, type CpuProfile } from './cpu-profile.js';
import { TcpFrameCounter, benchBody, countFrames, publishTimeOf } from './goim-frames.js';
import { parseBenchArgs, QUICK_SIZES, FULL_SIZES, UsageError } from './options.js';
import { parseProcStat, parseVmRss, sampleProc } from './proc.js';
import { barChartSvg, markdownTable, textTable } from './report.js';
import { percentile, summarize } from './stats.js';

const frame = (op: number, body: string) => Buffer.from(encodeFrame({ ver: 1, op, seq: 0, body: Buffer.from(body) }));

describe('goim frame counting', () => {
  it('counts the inner frames of a WebSocket op-9 batch and reports their bodies', () => {
    const inner = encodeRawBatch([
      { op: 1000, body: Buffer.from('{"t":12.5}') },
      { op: 1000, body: Buffer.from('hi') },
    ]);
    const ws = Buffer.from(encodeFrame({ ver: 1, op: 9, seq: 0, body: inner }));
    const bodies: string[] = [];
    expect(countFrames(ws, 0, ws.length, (b, s, e) => bodies.push(b.toString('utf8', s, e)))).toBe(2);
    expect(bodies).toEqual(['{"t":12.5}', 'hi']);
  });

  it('does not count auth and heartbeat replies', () => {
    const buf = Buffer.concat([frame(8, ''), frame(3, '\0\0\0\x2a'), frame(1000, 'x')]);
    expect(countFrames(buf, 0, buf.length)).toBe(1);
  });

  it('rejects a frame that runs past the message', () => {
    const f = frame(1000, 'abc');
    expect(() => countFrames(f, 0, f.length - 1)).toThrow(TypeError);
  });

  it('counts a TCP stream split inside headers and bodies, remembering the auth reply', () => {
    const stream = Buffer.concat([frame(8, ''), frame(1000, '{"t":1}'), frame(1001, 'two'), frame(1000, 'three')]);
    for (const step of [1, 5, 17, stream.length]) {
      const c = new TcpFrameCounter();
      let n = 0;
      for (let i = 0; i < stream.length; i += step) n += c.feed(stream.subarray(i, i + step));
      expect(n).toBe(3);
      expect(c.authed).toBe(true);
    }
  });

  it('reads the publish time written by benchBody and pads to the asked size', () => {
    const body = Buffer.from(benchBody(1234.5678, 64));
    expect(body.length).toBe(64);
    expect(JSON.parse(body.toString()).t).toBe(1234.568);
    expect(publishTimeOf(body, 0, body.length)).toBe(1234.568);
    expect(publishTimeOf(Buffer.from('{"u":1}'), 0, 7)).toBeNaN();
    expect(publishTimeOf(Buffer.from(benchBody(7)), 0, benchBody(7).length)).toBe(7);
  });
});

describe('stats', () => {
  it('uses nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(500);
    expect(percentile(sorted, 0.99)).toBe(990);
    expect(percentile(sorted, 0.999)).toBe(999);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted samples without modifying them', () => {
    const s = [5, 1, 4, 2, 3];
    expect(summarize(s)).toEqual({ count: 5, p50: 3, p99: 5, p999: 5, max: 5, mean: 3 });
    expect(s).toEqual([5, 1, 4, 2, 3]);
  });
});

describe('/proc parsing', () => {
  it('finds utime/stime after a command name containing spaces and parentheses', () => {
    const line = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 11 0 123 456 789';
    expect(parseProcStat(line)).toEqual({ utimeTicks: 250, stimeTicks: 31 });
    expect(() => parseProcStat('garbage')).toThrow(TypeError);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseVmRss('Name:\tnode\nVmRSS:\t  12345 kB\n')).toBe(12345 * 1024);
    expect(() => parseVmRss('Name: x')).toThrow(TypeError);
  });

  it('samples this process', () => {
    const s = sampleProc(process.pid);
    expect(s.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(s.cpuMs).toBeGreaterThan(0);
  });
});

describe('options', () => {
  it('defaults to every scenario at full size and regenerates RESULTS.md then', () => {
    const o = parseBenchArgs([]);
    expect(o.scenarios).toEqual(['memory', 'fanout', 'latency', 'connect']);
    expect(o.sizes).toBe(FULL_SIZES);
    expect(o.writeResults).toBe(true);
  });

  it('takes comma-separated sub-commands and flags', () => {
    const o = parseBenchArgs(['latency,micro', '--quick', '--cpu-prof', '--no-kafka']);
    expect(o.scenarios).toEqual(['latency']);
    expect(o.tools).toEqual(['micro']);
    expect(o.sizes).toBe(QUICK_SIZES);
    expect(o).toMatchObject({ cpuProf: true, kafka: false, redis: true, socketio: true, writeResults: false });
  });

  it('rejects unknown sub-commands and flags with a usage error', () => {
    expect(() => parseBenchArgs(['nope'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--fast'])).toThrow(expect.objectContaining({ code: 'GOIM_ERR_BENCH_USAGE' }));
    expect(() => parseBenchArgs(['--server-config', '{nope'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--server-config', '{"db":{}}'])).toThrow(UsageError);
    expect(parseBenchArgs(['--server-config', '{"job":{"room":{"batch":20}}}']).serverConfig).toBe('{"job":{"room":{"batch":20}}}');
  });

  it('selects fan-out cases with --cases and rejects unknown ones', () => {
    expect(parseBenchArgs([]).fanoutCases).toEqual(['room', 'heavy', 'small', 'broadcast']);
    expect(parseBenchArgs(['fanout', '--cases', 'small,room']).fanoutCases).toEqual(['room', 'small']);
    expect(() => parseBenchArgs(['--cases', 'small,tiny'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--cases', ''])).toThrow(UsageError);
  });
});

describe('report rendering', () => {
  it('aligns numbers right in the text table and formats thousands', () => {
    const t = textTable(['server', 'msgs/s'], [['goim-ts', 1234567], ['Socket.IO', 12.345]]).split('\n');
    expect(t[2]).toBe('goim-ts    1,234,567');
    expect(t[3]).toBe('Socket.IO      12.35');
  });

  it('writes a markdown table with numeric columns right-aligned and pipes escaped', () => {
    expect(markdownTable(['a|b', 'n'], [['x', 1]])).toBe('| a\\|b | n |\n| --- | ---: |\n| x | 1 |');
  });

  it('draws one bar per value, the longest for the largest, with escaped labels', () => {
    const svg = barChartSvg({ title: 'T', unit: 'msgs/s', bars: [{ label: 'a<b', value: 10 }, { label: 'c', value: 5 }] });
    expect(svg).toContain('a&lt;b');
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([360, 180]);
  });
});

describe('cpu profile hot spots', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 } },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 } },
      { id: 3, callFrame: { functionName: 'broadcastRoom', url: 'file:///work/main/libs/bucket/src/buckets.ts', lineNumber: 9, columnNumber: 0 } },
      { id: 4, callFrame: { functionName: 'frame', url: 'file:///x/node_modules/ws/lib/sender.js', lineNumber: 99, columnNumber: 0 } },
      { id: 5, callFrame: { functionName: 'frame', url: 'file:///x/node_modules/ws/lib/sender.js', lineNumber: 99, columnNumber: 4 } },
    ],
    samples: [2, 3, 4, 5, 3, 2],
    timeDeltas: [5000, 3000, 1000, 1000, 3000, 9000],
    startTime: 0,
    endTime: 22000,
  };

  it('ranks self time without idle and merges the same function', () => {
    const h = hotSpots(profile);
    expect(h.busyMs).toBe(8);
    expect(h.totalMs).toBe(22);
    expect(h.spots).toEqual([
      { where: 'broadcastRoom (libs/bucket/src/buckets.ts:10)', selfMs: 6, selfPct: 75 },
      { where: 'frame (ws/lib/sender.js:100)', selfMs: 2, selfPct: 25 },
    ]);
  });

  it('shortens file URLs', () => {
    expect(shortUrl('file:///a/b/node_modules/ws/lib/x.js')).toBe('ws/lib/x.js');
    expect(shortUrl('node:internal/net')).toBe('node:internal/net');
  });
});
