/**
 * Config of the dashboard's own small server (`nx serve admin`): where it listens, which
 * logic it forwards `/goim/admin/*` to, and the comet WebSocket URL the live tail uses.
 * The admin token is not configured here: the user types it, logic checks it.
 */
import { z } from 'zod';

export const DEFAULT_ADMIN_PORT = 3130;

export const adminServerConfigSchema = z
  .object({
    /** Interface to bind; loopback by default (put a TLS proxy in front for remote use). */
    bind: z.string().default('127.0.0.1'),
    /** TCP port; 0 = any free port. */
    port: z.number().int().min(0).max(65535).default(DEFAULT_ADMIN_PORT),
    /** logic's HTTP base URL; `/goim/admin/*` is forwarded there. */
    logicUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3111'),
    /** Comet WebSocket URL for the live tail; '' = the page uses `ws://<page host>:3102/sub`. */
    wsUrl: z.string().default(''),
    /** Largest forwarded request body, bytes. */
    maxBodyBytes: z.number().int().positive().default(2 * 1024 * 1024),
    /** Deadline of a forwarded request, ms. */
    upstreamTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.wsUrl && !/^wss?:\/\/./.test(c.wsUrl)) ctx.addIssue({ code: 'custom', path: ['wsUrl'], message: 'wsUrl must start with ws:// or wss://' });
  });

export type AdminServerConfig = z.output<typeof adminServerConfigSchema>;
export type AdminServerConfigInput = z.input<typeof adminServerConfigSchema>;

/** Resolves the config from an object plus env (GOIM_ADMIN_BIND, GOIM_ADMIN_PORT, GOIM_ADMIN_LOGIC_URL, GOIM_ADMIN_WS_URL). */
export function resolveAdminServerConfig(input: AdminServerConfigInput = {}, env: Record<string, string | undefined> = {}): AdminServerConfig {
  const merged: Record<string, unknown> = { ...input };
  if (env.GOIM_ADMIN_BIND) merged.bind = env.GOIM_ADMIN_BIND;
  if (env.GOIM_ADMIN_PORT) merged.port = Number(env.GOIM_ADMIN_PORT);
  if (env.GOIM_ADMIN_LOGIC_URL) merged.logicUrl = env.GOIM_ADMIN_LOGIC_URL;
  if (env.GOIM_ADMIN_WS_URL) merged.wsUrl = env.GOIM_ADMIN_WS_URL;
  return Object.freeze(adminServerConfigSchema.parse(merged));
}
