/**
 * Generates docs/config.md — every config key of every app with its type and default —
 * from the zod schemas themselves, so the reference cannot drift (a spec compares the
 * committed file with a fresh rendering; `npm run docs:config` rewrites it).
 */
import { cometConfigSchema, resolveCometConfig } from '@goim/comet-app';
import { jobConfigSchema, resolveJobConfig } from '@goim/job-app';
import { logicConfigSchema, resolveLogicConfig } from '@goim/logic-app';
import { z } from 'zod';
import { resolveStandaloneConfig, standaloneConfigSchema } from './config.js';

type JsonSchema = { type?: string | string[]; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; enum?: unknown[]; const?: unknown };

function typeOf(s: JsonSchema | undefined, value: unknown): string {
  if (!s) return Array.isArray(value) ? 'array' : typeof value;
  if (s.anyOf) {
    const kinds = s.anyOf.map((a) => a.type).join('|');
    if (kinds === 'number|string') return 'duration (ms, or a Go duration string like "8s")';
    return s.anyOf.map((a) => typeOf(a, undefined)).join(' or ');
  }
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === 'array') return `${typeOf(s.items, undefined)}[]`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return s.type ?? 'any';
}

function rows(schema: JsonSchema | undefined, value: unknown, path: string[], out: string[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && schema?.properties) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) rows(schema.properties[k], v, [...path, k], out);
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    out.push(`| \`${path.join('.')}\` | map | \`${JSON.stringify(value)}\` |`);
    return;
  }
  out.push(`| \`${path.join('.')}\` | ${typeOf(schema, value)} | \`${JSON.stringify(value)}\` |`);
}

function section(title: string, intro: string, schema: z.ZodType, defaults: unknown): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: string[] = [`## ${title}`, '', intro, '', '| key | type | default |', '|---|---|---|'];
  rows(json, defaults, [], out);
  return out.join('\n');
}

/** The whole reference as Markdown. */
export function renderConfigReference(): string {
  const clean = { env: {}, argv: [], hostname: '<hostname>' };
  return [
    '# Configuration reference',
    '',
    'Generated from the zod schemas (`npm run docs:config`); a spec fails when this file is stale.',
    'Each app reads a TOML file (`-conf FILE`, goim key names, case-insensitive), then environment',
    'variables, then goim-style flags (`-region -zone -deploy.env -host …`). Every section is optional;',
    'unknown keys are rejected. Durations are milliseconds in the resolved config; TOML and flags take',
    'Go duration strings (`"8s"`, `"4m"`).',
    '',
    section('comet', '`apps/comet` (`nx serve comet`, `node apps/comet/dist/main.js -conf comet.toml`).', cometConfigSchema, resolveCometConfig(clean)),
    '',
    section('logic', '`apps/logic`.', logicConfigSchema, resolveLogicConfig(clean)),
    '',
    section('job', '`apps/job`.', jobConfigSchema, resolveJobConfig({ env: {}, argv: [] })),
    '',
    section(
      'standalone',
      '`apps/standalone` (`npm start`): every role in one process. Env: `GOIM_BIND`, `GOIM_HOST`, `GOIM_TCP_PORT`, `GOIM_WS_PORT`, `GOIM_HTTP_PORT`, `GOIM_COMET_GRPC_PORT`, `GOIM_LOGIC_GRPC_PORT`, `GOIM_REDIS_URL`, `LOG_LEVEL`. `comet`/`logic`/`job` take the sections above.',
      standaloneConfigSchema,
      resolveStandaloneConfig({}, {}),
    ),
    '',
  ].join('\n');
}

// `tsx apps/standalone/src/config-reference.ts <file>` writes the reference.
if (process.argv[1]?.endsWith('config-reference.ts') && process.argv[2]) {
  void import('node:fs').then(({ writeFileSync }) => writeFileSync(process.argv[2]!, renderConfigReference()));
}
