/**
 * Standalone config: every role in one process on embedded backends by default. Ports are
 * goim's defaults; the bind host defaults to loopback (a development server should not
 * listen on every interface unless asked).
 */
import { z } from 'zod';

export const DEFAULT_STANDALONE_PORTS = Object.freeze({ tcp: 3101, ws: 3102, cometGrpc: 3109, http: 3111, logicGrpc: 3119 });

export const standaloneConfigSchema = z
  .object({
    /** Interface every listener binds; `0.0.0.0` to accept other machines. */
    bind: z.string().default('127.0.0.1'),
    ports: z
      .object({
        tcp: z.number().int().min(0).max(65535).default(DEFAULT_STANDALONE_PORTS.tcp),
        ws: z.number().int().min(0).max(65535).default(DEFAULT_STANDALONE_PORTS.ws),
        cometGrpc: z.number().int().min(0).max(65535).default(DEFAULT_STANDALONE_PORTS.cometGrpc),
        http: z.number().int().min(0).max(65535).default(DEFAULT_STANDALONE_PORTS.http),
        logicGrpc: z.number().int().min(0).max(65535).default(DEFAULT_STANDALONE_PORTS.logicGrpc),
        /** Comet and job admin HTTP (/metrics, /healthz, /readyz); 0 = any free port. */
        cometAdmin: z.number().int().min(0).max(65535).default(3105),
        jobAdmin: z.number().int().min(0).max(65535).default(3129),
      })
      .strict()
      .prefault({}),
    /** Comet id (what logic stores as `server`). */
    host: z.string().default('standalone'),
    /** Serve the demo page at `/demo` on the HTTP port. */
    demo: z.boolean().default(true),
    /** Extra settings merged into each role's own config (same keys as their TOML). */
    comet: z.record(z.string(), z.unknown()).default({}),
    logic: z.record(z.string(), z.unknown()).default({}),
    job: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type StandaloneConfig = z.output<typeof standaloneConfigSchema>;
export type StandaloneConfigInput = z.input<typeof standaloneConfigSchema>;

/** Resolves the config from an object plus env (`GOIM_BIND`, `GOIM_HTTP_PORT`, `GOIM_ADMIN_TOKEN`, … see README). */
export function resolveStandaloneConfig(input: StandaloneConfigInput = {}, env: Record<string, string | undefined> = {}): StandaloneConfig {
  const merged: Record<string, unknown> = { ...input, ports: { ...(input.ports ?? {}) } };
  const ports = merged.ports as Record<string, number>;
  const num = (name: string, key: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') ports[key] = Number(v);
  };
  if (env.GOIM_BIND) merged.bind = env.GOIM_BIND;
  if (env.GOIM_HOST) merged.host = env.GOIM_HOST;
  num('GOIM_TCP_PORT', 'tcp');
  num('GOIM_WS_PORT', 'ws');
  num('GOIM_HTTP_PORT', 'http');
  num('GOIM_COMET_GRPC_PORT', 'cometGrpc');
  num('GOIM_LOGIC_GRPC_PORT', 'logicGrpc');
  // The admin API token (logic's `admin.token`); unset = admin API disabled.
  if (env.GOIM_ADMIN_TOKEN) {
    const logic = (merged.logic ?? {}) as Record<string, unknown>;
    merged.logic = { ...logic, admin: { ...((logic.admin ?? {}) as Record<string, unknown>), token: env.GOIM_ADMIN_TOKEN } };
  }
  return Object.freeze(standaloneConfigSchema.parse(merged));
}
