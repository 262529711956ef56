/**
 * `admin` entry point: serves the dashboard and forwards its API calls to logic.
 * Env: GOIM_ADMIN_BIND, GOIM_ADMIN_PORT (default 3130), GOIM_ADMIN_LOGIC_URL (default
 * http://127.0.0.1:3111), GOIM_ADMIN_WS_URL, LOG_LEVEL.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadAdminAssets } from './assets.js';
import { resolveAdminServerConfig } from './config.js';
import { createAdminServer } from './server.js';

const logger = pino({ name: 'admin', level: process.env.LOG_LEVEL ?? 'info', redact: ['authorization', '*.authorization'] });

async function main(): Promise<void> {
  const config = resolveAdminServerConfig({}, process.env);
  const uiDir = join(dirname(fileURLToPath(import.meta.url)), 'ui');
  const server = createAdminServer(config, loadAdminAssets(uiDir));
  const addr = await server.listen();
  logger.info({ ...addr, logicUrl: config.logicUrl, wsUrl: config.wsUrl || '(page host:3102)' }, 'admin dashboard listening');
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'admin failed to start');
  process.exit(1);
});
