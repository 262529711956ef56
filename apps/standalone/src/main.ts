/**
 * `npm start`: comet + logic + job in one process on embedded backends (development mode,
 * goim-json authenticator). Env: GOIM_BIND, GOIM_HOST, GOIM_TCP_PORT, GOIM_WS_PORT,
 * GOIM_HTTP_PORT, GOIM_COMET_GRPC_PORT, GOIM_LOGIC_GRPC_PORT, GOIM_REDIS_URL (use Redis for
 * sessions), GOIM_ADMIN_TOKEN (enables the admin API and the dashboard at /admin/), LOG_LEVEL.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handleShutdownSignals } from '@goim/app-kit';
import { pino } from 'pino';
import { RedisSessionStore } from '@goim/session-store';
import { resolveStandaloneConfig } from './config.js';
import { createStandalone } from './standalone.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', redact: ['token', '*.token'] });

async function main(): Promise<void> {
  const config = resolveStandaloneConfig({}, process.env);
  const here = dirname(fileURLToPath(import.meta.url));
  const sessions = process.env.GOIM_REDIS_URL ? new RedisSessionStore({ url: process.env.GOIM_REDIS_URL, logger }) : undefined;
  const app = createStandalone(config, { logger, demoDir: join(here, 'demo'), adminDir: join(here, 'admin'), ...(sessions ? { sessions } : {}) });
  const a = await app.listen();
  const http = `http://${a.http.host}:${a.http.port}`;
  logger.info({ ...a, sessions: sessions ? 'redis' : 'memory', queue: 'memory' }, 'goim-ts standalone is up');
  process.stdout.write(
    [
      '',
      'goim-ts is running (comet + logic + job in one process).',
      `  demo page      ${http}/demo`,
      `  admin          ${http}/admin/   ${process.env.GOIM_ADMIN_TOKEN ? '(token from GOIM_ADMIN_TOKEN)' : '(set GOIM_ADMIN_TOKEN to enable)'}`,
      `  WebSocket      ws://${a.ws.host}:${a.ws.port}/sub     TCP ${a.tcp.host}:${a.tcp.port}`,
      '  try:',
      `    curl -X POST '${http}/goim/push/room?operation=1000&type=live&room=1000' -d 'hello room'`,
      `    curl -X POST '${http}/goim/push/all?operation=1000' -d 'hello everyone'`,
      `    curl '${http}/goim/online/top?type=live&limit=10'`,
      '',
    ].join('\n') + '\n',
  );
  handleShutdownSignals({
    logger,
    deadline: { ms: 30_000, fields: {}, message: 'shutdown took longer than 30 s: exiting' },
    steps: async () => {
      await app.close();
      await sessions?.close();
    },
  });
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'standalone failed to start');
  process.exit(1);
});
