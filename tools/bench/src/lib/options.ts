/** Command line of `npm run bench`: sub-commands, flags and the sizes each mode uses. */
import { parseArgs } from 'node:util';

export const SCENARIOS = ['memory', 'fanout', 'latency', 'connect'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];
export const TOOLS = ['micro', 'comet-memory'] as const;
/** The fan-out cases, by id: 1 room at the light rate, 1 room saturating, many small rooms, broadcast. */
export const FANOUT_CASES = ['room', 'heavy', 'small', 'broadcast'] as const;
export type FanoutCaseId = (typeof FANOUT_CASES)[number];
export type ToolId = (typeof TOOLS)[number];

export interface Sizes {
  /** Connection counts at which memory is read (ascending). */
  memoryCounts: number[];
  fanoutMembers: number;
  fanoutRate: number;
  /** Push rate of the saturating one-room case. */
  fanoutHeavyRate: number;
  fanoutSeconds: number;
  /** Room size and total push rate of the many-small-rooms case. */
  smallRoomSize: number;
  smallRoomsRate: number;
  /** Pushes/s of the broadcast-to-everyone case. */
  broadcastRate: number;
  latencyConnections: number;
  latencyRate: number;
  latencySeconds: number;
  connectCount: number;
}

export interface BenchOptions {
  scenarios: ScenarioId[];
  tools: ToolId[];
  quick: boolean;
  cpuProf: boolean;
  kafka: boolean;
  redis: boolean;
  socketio: boolean;
  writeResults: boolean;
  outDir: string | undefined;
  /** JSON merged into the goim-ts server's role configs (`{"job":{"room":{…}}}`), '' = none. */
  serverConfig: string;
  /** Fan-out cases to run (default all): a focused profile or A/B run skips the others. */
  fanoutCases: FanoutCaseId[];
  sizes: Sizes;
}

export const QUICK_SIZES: Sizes = Object.freeze({
  memoryCounts: [1000],
  fanoutMembers: 1000,
  fanoutRate: 40,
  fanoutHeavyRate: 400,
  fanoutSeconds: 6,
  smallRoomSize: 10,
  smallRoomsRate: 400,
  broadcastRate: 10,
  latencyConnections: 1000,
  latencyRate: 1000,
  latencySeconds: 6,
  connectCount: 1000,
});

export const FULL_SIZES: Sizes = Object.freeze({
  memoryCounts: [1000, 5000, 10_000],
  fanoutMembers: 10_000,
  fanoutRate: 40,
  fanoutHeavyRate: 200,
  fanoutSeconds: 15,
  smallRoomSize: 10,
  smallRoomsRate: 1000,
  broadcastRate: 4,
  latencyConnections: 1000,
  latencyRate: 1000,
  latencySeconds: 20,
  connectCount: 10_000,
});

export const USAGE = `usage: npm run bench -- [all|memory|fanout|latency|connect|micro|comet-memory][,…] [flags]
  --quick           small sizes (1 k connections, 6 s per case; < 3 min on 2 cores)
  --cpu-prof        run the goim-ts servers under --cpu-prof and print their hot spots
  --no-kafka        skip the Kafka latency run (it starts a JVM broker)
  --no-redis        skip the Redis Streams latency run
  --no-socketio     skip the Socket.IO side-by-side runs
  --write-results   regenerate tools/bench/RESULTS.md (always done by a full \`all\` run)
  --out DIR         report folder (default tools/bench/reports/<timestamp>)
  --server-config J JSON merged into the goim-ts server's role configs, e.g. '{"job":{"room":{"flushWhenIdle":false}}}'
  --cases LIST      fan-out cases to run (default all): room, heavy, small, broadcast`;

export class UsageError extends Error {
  readonly code = 'GOIM_ERR_BENCH_USAGE';
}

/** Parses argv (after `--`); throws UsageError on anything unknown. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        'cpu-prof': { type: 'boolean', default: false },
        'no-kafka': { type: 'boolean', default: false },
        'no-redis': { type: 'boolean', default: false },
        'no-socketio': { type: 'boolean', default: false },
        'write-results': { type: 'boolean', default: false },
        out: { type: 'string' },
        'server-config': { type: 'string', default: '' },
        cases: { type: 'string', default: FANOUT_CASES.join(',') },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError(USAGE);
  const names = positionals.flatMap((p) => p.split(',')).filter(Boolean);
  const scenarios = new Set<ScenarioId>();
  const tools = new Set<ToolId>();
  for (const n of names.length ? names : ['all']) {
    if (n === 'all') SCENARIOS.forEach((s) => scenarios.add(s));
    else if ((SCENARIOS as readonly string[]).includes(n)) scenarios.add(n as ScenarioId);
    else if ((TOOLS as readonly string[]).includes(n)) tools.add(n as ToolId);
    else throw new UsageError(`unknown sub-command "${n}"\n${USAGE}`);
  }
  const quick = values.quick;
  const serverConfig = values['server-config'];
  if (serverConfig) {
    let v: unknown;
    try {
      v = JSON.parse(serverConfig);
    } catch {
      throw new UsageError(`--server-config is not JSON: ${serverConfig}`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).some((k) => !['comet', 'logic', 'job'].includes(k))) {
      throw new UsageError('--server-config must be a JSON object with keys comet, logic and/or job');
    }
  }
  const caseNames = values.cases.split(',').filter(Boolean);
  const unknownCase = caseNames.find((c) => !(FANOUT_CASES as readonly string[]).includes(c));
  if (unknownCase !== undefined || caseNames.length === 0) {
    throw new UsageError(`--cases takes a comma-separated list of ${FANOUT_CASES.join(', ')}; got "${values.cases}"`);
  }
  return {
    scenarios: SCENARIOS.filter((s) => scenarios.has(s)),
    tools: [...tools],
    quick,
    cpuProf: values['cpu-prof'],
    kafka: !values['no-kafka'],
    redis: !values['no-redis'],
    socketio: !values['no-socketio'],
    writeResults: values['write-results'] || (!quick && scenarios.size === SCENARIOS.length),
    outDir: values.out,
    serverConfig,
    fanoutCases: FANOUT_CASES.filter((c) => caseNames.includes(c)),
    sizes: quick ? QUICK_SIZES : FULL_SIZES,
  };
}
